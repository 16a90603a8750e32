package service

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// codes lists every snake_case code a mail could leak: types, statuses, grounds, denial reasons, channels.
func codes() []string {
	var out []string
	add := func(vs ...string) {
		for _, v := range vs {
			if strings.Contains(v, "_") {
				out = append(out, v)
			}
		}
	}
	for _, v := range RequestTypes {
		add(string(v))
	}
	for _, v := range Statuses {
		add(string(v))
	}
	for _, v := range DeletionGrounds {
		add(string(v))
	}
	for _, v := range DenialReasons {
		add(string(v))
	}
	for _, v := range Channels {
		add(string(v))
	}
	return out
}

var leftovers = regexp.MustCompile(`\{\{|\}\}|<no value>|«|»|%!|\bnil\b|map\[`)

// TestEveryMailReadsAsWords renders every template in both locales with realistic data, every type, ground,
// denial reason and correction outcome, a minor's guardian and due dates past, today and ahead, and checks that
// no template syntax, missing value or code remains, that the organisation greets and signs, and that a
// zh-CN mail is in Chinese.
func TestEveryMailReadsAsWords(t *testing.T) {
	const org = "Example Trading Ltd"
	s := &core{orgName: org, clock: func() time.Time { return time.Date(2026, 10, 12, 9, 0, 0, 0, time.UTC) },
		policies: ShippedPolicies()}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	base := Request{ID: "r-1", Reference: "DSR-2026-000042", Policy: DefaultPolicy, ReplyMessage: "Here is what we did.",
		ReceivedAt: time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai),
		Due:        Due{Date: calendar.NewDate(2026, 10, 12), At: time.Date(2026, 10, 12, 23, 59, 59, 0, shanghai)},
		Subject:    Subject{Name: "Li Wei", Email: "li.wei@example.com"}}
	var requests []Request
	for _, typ := range RequestTypes {
		r := base
		r.Type, r.Outcome = typ, StatusFulfilled
		requests = append(requests, r)
	}
	for _, g := range DeletionGrounds {
		r := base
		r.Type, r.Details.Ground = TypeDeletion, g
		requests = append(requests, r)
	}
	for _, d := range DenialReasons {
		r := base
		r.Type, r.Outcome, r.DenialReason = TypeAccess, StatusDenied, d
		requests = append(requests, r)
	}
	minor := base
	minor.Type = TypeRectification
	minor.Subject = Subject{Name: "Xiao Ming", IsMinor: true, Guardian: &Guardian{Name: "Wang Fang", Email: "wang.fang@example.com", Relationship: "mother"}}
	minor.Details.Corrections = []Correction{{Field: "phone", CorrectedValue: "+86 139 0000 0000"}, {Field: "address", CorrectedValue: "1 Road"}}
	minor.CorrectionOutcomes = []CorrectionOutcome{{Index: 0, Outcome: "applied"}, {Index: 1, Outcome: "refused", Reason: "We hold no address."}}
	minor.Outcome = StatusFulfilled
	requests = append(requests, minor)
	for _, due := range []calendar.Date{calendar.NewDate(2026, 10, 9), calendar.NewDate(2026, 10, 12), calendar.NewDate(2026, 10, 30)} {
		r := base
		r.Type, r.Due.Date = TypeConsentWithdrawal, due
		requests = append(requests, r)
	}
	extras := []map[string]string{
		{"WithdrawURL": "https://privacy.example.com/withdraw?token=w"},
		{"VerifyURL": "https://privacy.example.com/verify?token=v", "WithdrawURL": "https://privacy.example.com/withdraw?token=w"},
		{"DownloadURL": "https://privacy.example.com/download?token=d", "Expires": "2026-10-19", "Reason": "The data is spread over three systems."},
	}
	for _, locale := range Locales {
		check := func(what, subject, body string, signs int) {
			t.Helper()
			all := subject + "\n" + body
			if m := leftovers.FindString(all); m != "" {
				t.Errorf("%s/%s shows %q:\n%s", locale, what, m, all)
			}
			for _, c := range codes() {
				if strings.Contains(all, c) {
					t.Errorf("%s/%s shows the code %q:\n%s", locale, what, c, all)
				}
			}
			if n := strings.Count(body, org); n < signs {
				t.Errorf("%s/%s names %s %d times, want %d (greeting and signature):\n%s", locale, what, org, n, signs, body)
			}
			if zh := locale == "zh-CN"; zh != (strings.IndexFunc(subject, isHan) >= 0) || zh != (strings.IndexFunc(body, isHan) >= 0) {
				t.Errorf("%s/%s is not in its language:\n%s", locale, what, all)
			}
		}
		// A staff mail's link is an API address, a JSON 401 in a browser: the mail says how to open it and
		// links nothing.
		staff := func(what, body string) {
			t.Helper()
			if html := htmlFromText(body); strings.Contains(html, "<a href") {
				t.Errorf("%s/%s links to an API address, a JSON 401 in a browser:\n%s", locale, what, html)
			}
			if !strings.Contains(body, `"Authorization: Bearer"`) && !strings.Contains(body, `“Authorization: Bearer”`) &&
				!strings.Contains(body, "\"Authorization:\nBearer\"") {
				t.Errorf("%s/%s does not say how to open its API address (a token as \"Authorization: Bearer\"):\n%s", locale, what, body)
			}
		}
		// console: a staff mail that links a request's page in the console, which opens in a browser.
		console := func(what, body string) {
			t.Helper()
			if html := htmlFromText(body); !strings.Contains(html, `<a href="https://privacy.example.com/console/requests/r-1">`) {
				t.Errorf("%s/%s does not link the request's console page:\n%s", locale, what, html)
			}
			if strings.Contains(body, "Bearer") || strings.Contains(body, "/api/") {
				t.Errorf("%s/%s sends a person to the API for a page the console has:\n%s", locale, what, body)
			}
		}
		for _, r := range requests {
			r.Locale = locale
			for _, extra := range extras {
				data, err := s.subjectMailData(&r, extra)
				if err != nil {
					t.Fatalf("%s %s: %v", locale, r.Type, err)
				}
				for _, kind := range []string{mailAcknowledgement, mailReply, mailExtended, mailWithdrawn, mailExpired} {
					subject, body, err := renderMail(kind, locale, data)
					if err != nil {
						t.Fatal(err)
					}
					check(kind, subject, body, 2)
				}
			}
		}
		for _, typ := range RequestTypes {
			kind, err := word(locale, "kind", string(typ))
			if err != nil {
				t.Fatal(err)
			}
			data := escalationMail{Org: org, Reference: "DSR-2026-000042", Type: kind, DueDate: longDate(locale, base.Due.Date),
				DueAt: longTime(locale, base.Due.At), Link: "https://privacy.example.com/console/requests/r-1",
				WorkingDaysLeft: 2, WorkingDaysLate: 3}
			for _, level := range []string{LevelReminder, LevelOverdue, LevelDPO} {
				subject, body, err := renderMail("escalation_"+level, locale, data)
				if err != nil {
					t.Fatal(err)
				}
				check("escalation_"+level, subject, body, 1)
				console("escalation_"+level, body)
			}
		}
		answered := map[string]string{"Org": org, "Reference": "DSR-2026-000042", "DueDate": "2026-10-22", "Files": "1",
			"Link": "https://privacy.example.com/console/requests/r-1"}
		subject, body, err := renderMail("subject_answered", locale, answered)
		if err != nil {
			t.Fatal(err)
		}
		check("subject_answered", subject, body, 1)
		console("subject_answered", body)
		purge := map[string]string{"Org": org, "Reference": "DSR-2026-000042", "Backup": "nightly-db",
			"ExecutedAt": "2026-10-14T10:00:00Z", "Deadline": "2026-10-22T03:00:00Z", "Generations": "7",
			"Schedule": "0 3 * * *", "Link": "https://privacy.example.com/api/v1/backup-systems/b-1/refreshes"}
		subject, body, err = renderMail("purge_overdue", locale, purge)
		if err != nil {
			t.Fatal(err)
		}
		check("purge_overdue", subject, body, 1)
		staff("purge_overdue", body)
		for _, current := range []bool{false, true} {
			subject, body, err := renderMail("calendar_missing", locale, map[string]any{"Org": org, "Year": 2027,
				"Current": current, "Link": "https://privacy.example.com/api/v1/calendars/cn/years/2027"})
			if err != nil {
				t.Fatal(err)
			}
			check("calendar_missing", subject, body, 1)
			staff("calendar_missing", body)
		}
		sent := time.Date(2026, 10, 10, 2, 0, 0, 0, time.UTC)
		due := sent.Add(72 * time.Hour)
		for _, kind := range []RunKind{RunCollect, RunErase, RunSuppress} {
			r := base
			r.Locale = locale
			data, err := s.dataJobOverdueMail(&r, &Run{ID: "run-1", Kind: kind, CreatedAt: sent},
				&SystemRun{Name: "newsletter", DueAt: &due})
			if err != nil {
				t.Fatal(err)
			}
			subject, body, err := renderMail("data_job_overdue", locale, data)
			if err != nil {
				t.Fatal(err)
			}
			check("data_job_overdue", subject, body, 1)
			staff("data_job_overdue", body)
			if strings.Contains(body, string(kind)+" job") || strings.Contains(body, "T02:00:00Z") {
				t.Errorf("%s/data_job_overdue shows the job's code or a raw time:\n%s", locale, body)
			}
		}
	}
}

// TestMailTellsTheTruthAboutTheDueDate: a request whose due date has passed (a letter keyed in late) is told its
// reply is overdue, not promised a past date; one due today is told so; a guardian is told the mail concerns the
// child's request; a rectification's reply lists each correction with its outcome.
func TestMailTellsTheTruthAboutTheDueDate(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	s := &core{orgName: "Example Trading Ltd", clock: func() time.Time { return time.Date(2026, 10, 12, 9, 0, 0, 0, shanghai) },
		policies: ShippedPolicies()}
	ack := func(r Request) map[string]string {
		out := map[string]string{}
		for _, locale := range Locales {
			r.Locale = locale
			data, err := s.subjectMailData(&r, map[string]string{"WithdrawURL": "https://privacy.example.com/withdraw?token=w"})
			if err != nil {
				t.Fatal(err)
			}
			_, body, err := renderMail(mailAcknowledgement, locale, data)
			if err != nil {
				t.Fatal(err)
			}
			out[locale] = body
		}
		return out
	}
	r := Request{Reference: "DSR-2026-000042", Type: TypeDeletion, Policy: DefaultPolicy, Details: Details{Ground: GroundNoLongerUsingService},
		ReceivedAt: time.Date(2026, 9, 1, 10, 0, 0, 0, shanghai)}
	for _, tc := range []struct {
		name     string
		due      calendar.Date
		want     map[string][]string
		wantNone map[string][]string
	}{
		{"past", calendar.NewDate(2026, 9, 22), map[string][]string{"en": {"22 September 2026", "overdue", "has passed"}, "zh-CN": {"2026年9月22日", "已逾期"}},
			map[string][]string{"en": {"We will reply by"}, "zh-CN": {"前答复"}}},
		{"today", calendar.NewDate(2026, 10, 12), map[string][]string{"en": {"due today, 12 October 2026"}, "zh-CN": {"今天", "2026年10月12日"}},
			map[string][]string{"en": {"We will reply by", "overdue"}, "zh-CN": {"我们将于 2026年10月12日 前答复", "逾期"}}},
		{"ahead", calendar.NewDate(2026, 10, 30), map[string][]string{"en": {"We will reply by 30 October 2026"}, "zh-CN": {"我们将于 2026年10月30日 前答复"}},
			map[string][]string{"en": {"overdue"}, "zh-CN": {"逾期"}}},
	} {
		r.Due.Date = tc.due
		bodies := ack(r)
		for locale, body := range bodies {
			for _, w := range tc.want[locale] {
				if !strings.Contains(body, w) {
					t.Errorf("%s, %s: lacks %q:\n%s", tc.name, locale, w, body)
				}
			}
			for _, w := range tc.wantNone[locale] {
				if strings.Contains(body, w) {
					t.Errorf("%s, %s: says %q:\n%s", tc.name, locale, w, body)
				}
			}
		}
	}
	r.Due.Date = calendar.NewDate(2026, 10, 30)
	if b := ack(r); !strings.Contains(b["en"], `"I no longer use your products or services"`) || !strings.Contains(b["zh-CN"], "我不再使用你们的产品或服务") {
		t.Errorf("the deletion ground is not in words:\n%s\n%s", b["en"], b["zh-CN"])
	}
	r.Subject = Subject{IsMinor: true, Guardian: &Guardian{Email: "wang.fang@example.com"}}
	if b := ack(r); !strings.Contains(b["en"], "the child's request") || !strings.Contains(b["zh-CN"], "该未成年人的申请") {
		t.Errorf("a guardian's mail does not say it concerns the child's request:\n%s\n%s", b["en"], b["zh-CN"])
	}

	rect := Request{Reference: "DSR-2026-000043", Type: TypeRectification, Policy: DefaultPolicy, Outcome: StatusFulfilled,
		Details:            Details{Corrections: []Correction{{Field: "phone", CorrectedValue: "+86 139 0000 0000"}, {Field: "address", CorrectedValue: "1 Road"}}},
		CorrectionOutcomes: []CorrectionOutcome{{Index: 0, Outcome: "applied"}, {Index: 1, Outcome: "refused", Reason: "We hold no address."}}}
	for locale, want := range map[string][]string{
		"en":    {`- phone, to "+86 139 0000 0000": corrected.`, `- address, to "1 Road": not corrected. We hold no address.`},
		"zh-CN": {"- phone（更正为“+86 139 0000 0000”）：已更正。", "- address（更正为“1 Road”）：不予更正。We hold no address."},
	} {
		rect.Locale = locale
		data, err := s.subjectMailData(&rect, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := renderMail(mailReply, locale, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s reply lacks %q:\n%s", locale, w, body)
			}
		}
	}
	if _, err := word("en", "denial", "a_new_reason"); err == nil || slices.Contains(codes(), "a_new_reason") {
		t.Error("a code without words renders")
	}
}

// TestHTMLPartFromTheText: a mail is queued with its text alone, and sent with an HTML part made from that text
// (links made clickable, markup escaped); a mail an earlier version queued with its own HTML keeps that.
func TestHTMLPartFromTheText(t *testing.T) {
	m := &Mail{Text: "Dear <subject>,\n\nSee https://privacy.example.com/privacy/s/abc to follow it."}
	got := m.HTMLPart()
	for _, want := range []string{"Dear &lt;subject&gt;,", `<a href="https://privacy.example.com/privacy/s/abc">`} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML part %q lacks %q", got, want)
		}
	}
	stored := &Mail{Text: "plain", HTML: "<p>as stored</p>"}
	if got := stored.HTMLPart(); got != "<p>as stored</p>" {
		t.Errorf("stored HTML part = %q, want it as stored", got)
	}
}
