package console

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// Each chart on the dashboard is well-formed SVG labelled for screen readers, in the reader's language, and its
// numbers are in a table too.
func TestDashboardPage(t *testing.T) {
	tc := newTestConsole(t, nil)
	auditor, _ := tc.client(t, service.RoleAuditor)
	for range 3 {
		tc.adminFile(t)
	}
	for _, tt := range []struct{ lang, title, open string }{
		{"en", "Open and overdue requests per queue", "Not in a queue"},
		{"zh-CN", "各队列未办结及逾期的申请", "未分配队列"},
	} {
		status, body := tc.get(t, auditor, "/console/dashboard?lang="+tt.lang)
		if status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", tt.lang, status, body)
		}
		svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(body, -1)
		if len(svgs) != 4 { // no backup holds erased data: no purge chart
			t.Errorf("%s: %d charts, want 4", tt.lang, len(svgs))
		}
		for _, svg := range svgs {
			if err := wellFormed(svg); err != nil {
				t.Errorf("%s: a chart is not well-formed XML: %v\n%s", tt.lang, err, svg)
			}
			if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, `aria-labelledby="chart-`) {
				t.Errorf("%s: a chart is not labelled for screen readers", tt.lang)
			}
		}
		for _, want := range []string{tt.title, tt.open, "<table", `<td>3</td>`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the dashboard lacks %q", tt.lang, want)
			}
		}
	}
	// An officer sees the dashboard of her queues only: the three unrouted requests are not hers.
	officer, _ := tc.client(t, service.RoleOfficer)
	if _, body := tc.get(t, officer, "/console/dashboard"); strings.Contains(body, "Not in a queue") {
		t.Error("the officer's dashboard counts requests of no queue of hers")
	}
	// The web form's role has no session (no console), so the refusals left are the service's, checked in
	// the service's tests.
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// The dashboard's view: the running month is marked, a month without replies has no rate, a type without
// replies says so, and the purge chart appears only when a backup holds erased data.
func TestBuildDashboard(t *testing.T) {
	cat, err := web.LoadCatalogueDir(mustSub(t))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	half := 0.5
	three := 3.0
	d := &service.Dashboard{GeneratedAt: testNow, Location: loc,
		Queues: []service.QueueLoad{{QueueID: "q1", QueueName: `<b>HR & "Legal"</b>`, Open: 4, Overdue: 1}},
		Weeks:  []service.WeekFlow{{Received: 2, Closed: 1}},
		Months: []service.MonthOnTime{{Year: 2027, Month: 2, Replied: 2, OnTime: 1, Rate: &half, Complete: true},
			{Year: 2027, Month: 3}},
		ReplyDays: []service.TypeReplyDay{{Type: service.TypeAccess, Replied: 2, Median: &three, P90: &three},
			{Type: service.TypeDeletion}},
		Purges: []service.PurgeLoad{{BackupSystemID: "b1", BackupName: "tape", Pending: 2, OldestExecutedAt: testNow}},
	}
	got, err := buildDashboard(cat.Localizer("en"), d, map[string]int{"b1": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Months[0].Rate != "50%" || got.Months[1].Rate != "" || !got.Months[1].Running || got.Months[0].Running {
		t.Errorf("months: %+v", got.Months)
	}
	if got.ReplyDays[0].Median != "3" || got.ReplyDays[1].Median != "" || got.ReplyDays[1].Type != "delete my data" {
		t.Errorf("reply days: %+v", got.ReplyDays)
	}
	if got.PurgeChart == "" || got.Purges[0].Overdue != 1 || got.Purges[0].Oldest != "1 March 2027" {
		t.Errorf("purges: %+v", got.Purges)
	}
	if strings.Contains(string(got.QueueChart), "<b>") || wellFormed(string(got.QueueChart)) != nil {
		t.Errorf("a queue's name is not escaped in its chart:\n%s", got.QueueChart)
	}
	none, err := buildDashboard(cat.Localizer("zh-CN"), &service.Dashboard{GeneratedAt: testNow, Location: loc,
		Weeks: d.Weeks, Months: d.Months, ReplyDays: d.ReplyDays}, nil)
	if err != nil || none.PurgeChart != "" || none.Queues == nil && none.QueueChart == "" {
		t.Errorf("an empty dashboard: %+v, %v", none, err)
	}
}

// The audit views: the verification in words in both languages, the events in words, the summary with its CSV
// and a bad date beside its field.
func TestAuditViews(t *testing.T) {
	tc := newTestConsole(t, nil)
	auditor, _ := tc.client(t, service.RoleAuditor)
	if _, err := tc.svc.CreateUser(context.Background(), adminActor, service.NewUser{Name: "Mei", Email: "mei@example.com",
		Role: service.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en": "The audit trail is intact", "zh-CN": "审计记录完整"} {
		status, body := tc.get(t, auditor, "/console/audit/verify?lang="+lang)
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s verify: %d, want %q\n%s", lang, status, want, body)
		}
	}
	_, body := tc.get(t, auditor, "/console/audit/events")
	if !strings.Contains(body, "Added a user") {
		t.Errorf("events page lacks the user's creation in words:\n%s", body)
	}
	tc.adminFile(t)
	status, body := tc.get(t, auditor, "/console/audit/report?from=2027-01-01&to=2027-03-01")
	if status != http.StatusOK || !strings.Contains(body, `id="summary"`) || !strings.Contains(body, "delete my data") {
		t.Fatalf("report: %d\n%s", status, body)
	}
	status, body = tc.get(t, auditor, "/console/audit/report?from=2027-02-30&to=2027-03-01")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-from-error"`) {
		t.Errorf("report with a bad date: %d", status)
	}
	status, body = tc.get(t, auditor, "/console/audit/report?from=2027-03-01&to=2027-01-01")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-to-error"`) {
		t.Errorf("report with to before from: %d", status)
	}
	res, err := auditor.Get(tc.URL + "/console/audit/report.csv?from=2027-01-01&to=2027-03-01")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s %v", res.StatusCode, res.Header.Get("Content-Type"), err)
	}
	if rows[0][0] != "type" || rows[len(rows)-1][0] != "total" || rows[len(rows)-1][1] != "1" {
		t.Errorf("CSV rows: %v", rows)
	}
	// The report is a read: an auditor's forged POST to it is no route at all.
	if status, _ := tc.post(t, auditor, "/console/audit/", "/console/audit/report", url.Values{}); status != http.StatusNotFound {
		t.Errorf("POST to the report: %d", status)
	}
}

func mustSub(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
