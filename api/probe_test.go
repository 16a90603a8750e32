package api_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// The attacks of issue 12's outside probe on the HTTP layer: media types, request IDs, caching, HEAD.
// docs/security.md lists each with its defence and the test that proves it.

// TestMediaTypesAreCaseInsensitive (issue 12, item 2): `Application/JSON` is application/json, so a body with
// trailing text, invalid UTF-8 or a lone surrogate is refused under any case of the media type, and nothing is
// filed; a well-formed body under that spelling is filed as usual.
func TestMediaTypesAreCaseInsensitive(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	filing := `{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com"},` +
		`"details":{"ground":"no_longer_using_service"},"channel":"letter"}`
	for _, ct := range []string{"Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/Json"} {
		for _, body := range []string{
			filing + ` trailing`,
			filing + `{}`,
			strings.Replace(filing, "Li Wei", "Li \xff\xfeWei", 1),
			strings.Replace(filing, "Li Wei", `Li \ud800Wei`, 1),
		} {
			res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, body, "Content-Type", ct)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s, %.40q...: %d, want 400: %.200s", ct, body[len(body)-12:], res.Status, res.Body)
			}
		}
	}
	if n := len(h.Do(t, http.MethodGet, "/api/v1/requests", h.admin, nil).Map(t)["items"].([]any)); n != 0 {
		t.Errorf("%d requests filed from malformed bodies, want 0", n)
	}
	if res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, filing, "Content-Type", "Application/JSON"); res.Status != http.StatusCreated {
		t.Errorf("a well-formed body as Application/JSON: %d %.200s, want 201", res.Status, res.Body)
	}
	// The subjects' form posts are read alike whatever the case of their media type.
	form := "token=" + strings.Repeat("x", 43)
	lower := h.Do(t, http.MethodPost, "/verify", "", form, "Content-Type", "application/x-www-form-urlencoded")
	upper := h.Do(t, http.MethodPost, "/verify", "", form, "Content-Type", "Application/X-WWW-Form-Urlencoded")
	if upper.Status != lower.Status || upper.Header.Get("Content-Type") != lower.Header.Get("Content-Type") {
		t.Errorf("form post as Application/X-WWW-Form-Urlencoded: %d %s, as lowercase %d %s", upper.Status,
			upper.Header.Get("Content-Type"), lower.Status, lower.Header.Get("Content-Type"))
	}
}

// TestMultipartWithoutBoundaryIsMalformed (issue 12, item 3): an upload whose Content-Type is
// multipart/form-data without a boundary answered 500; it is a 400 problem that says what is missing.
func TestMultipartWithoutBoundaryIsMalformed(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	id := h.startWork(t, accessBody())
	for _, ct := range []string{"multipart/form-data", "Multipart/Form-Data; charset=utf-8"} {
		res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/exports", h.admin, "--x\r\n\r\nhello\r\n--x--\r\n",
			"Content-Type", ct)
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "boundary") {
			t.Errorf("%q: %d %s, want 400 naming the boundary", ct, res.Status, res.Body)
		}
	}
	if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/exports", h.admin, nil); len(res.Map(t)["items"].([]any)) != 0 {
		t.Errorf("exports after refused uploads: %s", res.Body)
	}
}

// TestClientRequestIDsAreBounded (issue 12, item 6): a client's X-Request-Id is kept only when it is at most
// 64 of [A-Za-z0-9._-]; otherwise the server makes its own, and the client's text is neither echoed nor logged.
func TestClientRequestIDsAreBounded(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	for _, tt := range []struct {
		name, id string
		kept     bool
	}{
		{"short token", "req-2026.12_06", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("b", 65), false},
		{"forged JSON", `x","level":"error","email":"li.wei@example.com`, false},
		{"an e-mail address", "li.wei@example.com", false},
		{"spaces", "a b", false},
		{"non-ASCII", "请求-1", false},
	} {
		res := h.Do(t, http.MethodGet, "/api/v1/me", h.admin, nil, "X-Request-Id", tt.id)
		got := res.Header.Get("X-Request-Id")
		if tt.kept && got != tt.id {
			t.Errorf("%s: X-Request-Id %q, want it kept", tt.name, got)
		}
		if !tt.kept {
			if got == tt.id || got == "" || strings.Contains(got, tt.id) {
				t.Errorf("%s: X-Request-Id %q, want a fresh one", tt.name, got)
			}
			if strings.Contains(h.logs.String(), tt.id) {
				t.Errorf("%s: the client's request ID reached the log", tt.name)
			}
		}
		if !strings.Contains(h.logs.String(), `"request_id":"`+got+`"`) {
			t.Errorf("%s: the log does not carry the request ID %q", tt.name, got)
		}
	}
}

// TestAnswersAreNotStoredAndPagesNameTheirCharset (issue 12, item 12): API answers (which carry personal data)
// and the subjects' pages say Cache-Control: no-store; HTML says charset=utf-8.
func TestAnswersAreNotStoredAndPagesNameTheirCharset(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	id := h.startWork(t, accessBody())
	for _, tt := range []struct {
		name, path, token, contentType string
	}{
		{"a request with personal data", "/api/v1/requests/" + id, h.admin, "application/json"},
		{"a problem", "/api/v1/requests", "", "application/problem+json"},
		{"verification page", "/verify?token=" + strings.Repeat("x", 43), "", "text/html; charset=utf-8"},
		{"download page", "/download?token=" + strings.Repeat("x", 43), "", "text/html; charset=utf-8"},
	} {
		res := h.Do(t, http.MethodGet, tt.path, tt.token, nil)
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tt.name, got)
		}
		if got := res.Header.Get("Content-Type"); !strings.EqualFold(got, tt.contentType) {
			t.Errorf("%s: Content-Type %q, want %q", tt.name, got, tt.contentType)
		}
	}
}

// TestHeadAnswersLikeGet (issue 12, item 12): HEAD on a readable path answers as GET does (status and
// headers), without a body, instead of 405; it is authorised like GET.
func TestHeadAnswersLikeGet(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	do := func(method, path, token string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, h.BaseURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}
	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"me", "/api/v1/me", h.admin, 200},
		{"health", "/healthz", "", 200},
		{"a list", "/api/v1/requests", h.admin, 200},
		{"without a token", "/api/v1/requests", "", 401},
		{"verification page", "/verify?token=" + strings.Repeat("x", 43), "", 200},
	} {
		get, _ := do(http.MethodGet, tt.path, tt.token)
		head, body := do(http.MethodHead, tt.path, tt.token)
		if head.StatusCode != tt.status || get.StatusCode != tt.status {
			t.Errorf("%s: HEAD %d, GET %d, want %d", tt.name, head.StatusCode, get.StatusCode, tt.status)
		}
		if len(body) != 0 {
			t.Errorf("%s: HEAD answered a body of %d bytes", tt.name, len(body))
		}
		for _, k := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("%s: HEAD %s %q, GET %q", tt.name, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
	}
	if res, _ := do(http.MethodHead, "/api/v1/queues", ""); res.StatusCode != 401 {
		t.Errorf("HEAD without a token: %d, want 401", res.StatusCode)
	}
}

// TestDuplicateHintOnlyForThoseWhoMaySeeIt (issue 12, item 1): possible_duplicate_of names another request,
// so it is shown only to callers who may see that request: never to an intake token (a web form's token would
// tell anyone whether an address has an open request), not to an officer outside its queue, whether in the
// filing's answer, a read, a listing or a change; admins and the duplicate's officers see it.
func TestDuplicateHintOnlyForThoseWhoMaySeeIt(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	olga, olgaToken := h.officer(t, "olga")
	oscar, oscarToken := h.officer(t, "oscar")
	h.queue(t, map[string]any{"name": "Letters", "members": []string{olga},
		"routes": map[string]any{"channels": []string{"letter"}}})
	h.queue(t, map[string]any{"name": "Web", "members": []string{oscar}, "default": true})
	intake, _ := h.token(t, "intake", "web-form")
	byLetter := func(b map[string]any) { b["channel"] = "letter" }

	first := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(byLetter)).Map(t)["id"]
	h.clock.Set(h.clock.Now().Add(time.Minute)) // the oldest open request is the duplicate named
	hint := func(what string, res map[string]any, want any) {
		t.Helper()
		if got := res["possible_duplicate_of"]; got != want {
			t.Errorf("%s: possible_duplicate_of %v, want %v", what, got, want)
		}
	}
	fromForm := h.Do(t, http.MethodPost, "/api/v1/requests", intake, deletion())
	if fromForm.Status != http.StatusCreated {
		t.Fatalf("intake filing: %d %s", fromForm.Status, fromForm.Body)
	}
	hint("the intake token's filing", fromForm.Map(t), nil)
	formID := fromForm.Map(t)["id"].(string)

	byOscar := h.Do(t, http.MethodPost, "/api/v1/requests", oscarToken, deletion()).Map(t)
	hint("a filing by an officer outside the duplicate's queue", byOscar, nil)
	hint("his read of a request in his queue", h.Do(t, http.MethodGet, "/api/v1/requests/"+formID, oscarToken, nil).Map(t), nil)
	for _, item := range h.Do(t, http.MethodGet, "/api/v1/requests", oscarToken, nil).Map(t)["items"].([]any) {
		hint("an item of his listing", item.(map[string]any), nil)
	}
	assigned := h.Do(t, http.MethodPost, "/api/v1/requests/"+formID+"/assignment", oscarToken, map[string]any{"assignee_id": oscar})
	if assigned.Status != http.StatusOK {
		t.Fatalf("assign: %d %s", assigned.Status, assigned.Body)
	}
	hint("his assignment's answer", assigned.Map(t), nil)
	events := h.Do(t, http.MethodGet, "/api/v1/requests/"+formID+"/events", oscarToken, nil)
	if events.Status != http.StatusOK || strings.Contains(string(events.Body), first.(string)) {
		t.Errorf("his read of the request's events names the duplicate: %d %s", events.Status, events.Body)
	}
	if events := h.Do(t, http.MethodGet, "/api/v1/requests/"+formID+"/events", h.admin, nil); !strings.Contains(string(events.Body), first.(string)) {
		t.Errorf("the admin's read of the events lacks the duplicate: %s", events.Body)
	}

	hint("a filing by the duplicate's officer", h.Do(t, http.MethodPost, "/api/v1/requests", olgaToken, deletion(byLetter)).Map(t), first)
	hint("the admin's read", h.Do(t, http.MethodGet, "/api/v1/requests/"+formID, h.admin, nil).Map(t), first)
}

// TestOfficersSeeTheirQueuesInPurgesAndReports (issue 12, item 7): the overdue purges and the summary report
// told an officer about other queues' requests (their references, their counts). An officer sees her queues'
// only; admins and auditors see all.
func TestOfficersSeeTheirQueuesInPurgesAndReports(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	olga, olgaToken := h.officer(t, "olga")
	oscar, oscarToken := h.officer(t, "oscar")
	h.queue(t, map[string]any{"name": "Letters", "members": []string{olga},
		"routes": map[string]any{"channels": []string{"letter"}}})
	h.queue(t, map[string]any{"name": "Web", "members": []string{oscar}, "default": true})
	auditor, _ := h.token(t, "auditor", "auditor")
	if res := h.Do(t, http.MethodPost, "/api/v1/backup-systems", h.admin, map[string]any{"name": "tape",
		"owner_email": "ops@staff.example", "refresh_schedule": "0 3 * * 0", "generations": 1}); res.Status != 201 {
		t.Fatalf("backup system: %d %s", res.Status, res.Body)
	}
	refs := map[string]string{}
	for _, tt := range []struct{ name, channel, email string }{
		{"letter", "letter", "a@example.com"}, {"web", "web_form", "b@example.com"},
	} {
		res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["channel"] = tt.channel
			b["subject"].(map[string]any)["email"] = tt.email
		}))
		id, ref := res.Map(t)["id"].(string), res.Map(t)["reference"].(string)
		refs[tt.name] = ref
		h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "in_progress"})
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/erasure", h.admin, map[string]any{
			"executed_at": "2026-11-20T10:00:00+08:00", "systems": []string{"crm"}}); res.Status != 200 {
			t.Fatalf("erasure: %d %s", res.Status, res.Body)
		}
	}
	h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, accessBody(func(b map[string]any) { b["channel"] = "letter" }))
	h.clock.Set(time.Date(2026, 12, 20, 12, 0, 0, 0, shanghai))

	for _, tt := range []struct {
		name, token    string
		purges         []string
		received, open float64
	}{
		{"olga (Letters)", olgaToken, []string{refs["letter"]}, 2, 2},
		{"oscar (Web)", oscarToken, []string{refs["web"]}, 1, 1},
		{"admin", h.admin, []string{refs["letter"], refs["web"]}, 3, 3},
		{"auditor", auditor, []string{refs["letter"], refs["web"]}, 3, 3},
	} {
		var got []string
		for _, item := range h.Do(t, http.MethodGet, "/api/v1/backup-purges/overdue", tt.token, nil).Map(t)["items"].([]any) {
			got = append(got, item.(map[string]any)["reference"].(string))
		}
		slices.Sort(got)
		if strings.Join(got, " ") != strings.Join(tt.purges, " ") {
			t.Errorf("%s: overdue purges of %v, want %v", tt.name, got, tt.purges)
		}
		res := h.Do(t, http.MethodGet, "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", tt.token, nil)
		total, _ := res.Map(t)["total"].(map[string]any)
		if total["received"] != tt.received || total["open_now"] != tt.open {
			t.Errorf("%s: summary received %v, open now %v; want %v, %v", tt.name, total["received"], total["open_now"],
				tt.received, tt.open)
		}
	}
}

// TestAllowListRefusesAddressesTheDialRefuses (issue 12, item 14): the unspecified, broadcast and multicast
// addresses are refused when an admin adds them (422 naming host), since the transmitter never connects to them;
// nothing is listed.
func TestAllowListRefusesAddressesTheDialRefuses(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	for _, host := range []string{"0.0.0.0", "::", "255.255.255.255", "224.0.0.1", "239.255.255.250", "ff02::1",
		"::ffff:0.0.0.0", "::ffff:224.0.0.251"} {
		res := h.Do(t, http.MethodPut, "/api/v1/transmissions/allowed-hosts/"+url.PathEscape(host), h.admin, map[string]any{})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), `"field":"host"`) {
			t.Errorf("PUT %s: %d %s, want 422 naming host", host, res.Status, res.Body)
		}
	}
	if items := h.Do(t, http.MethodGet, "/api/v1/transmissions/allowed-hosts", h.admin, nil).Map(t)["items"].([]any); len(items) != 0 {
		t.Errorf("allow-list after refused additions: %v", items)
	}
	for _, host := range []string{"10.0.0.1", "::1", "127.0.0.1"} {
		if res := h.Do(t, http.MethodPut, "/api/v1/transmissions/allowed-hosts/"+url.PathEscape(host), h.admin, map[string]any{}); res.Status != 201 {
			t.Errorf("PUT %s: %d %s, want 201", host, res.Status, res.Body)
		}
	}
}

// TestBackupScheduleThatNeverRunsIsRefused (issue 12, item 15): a refresh_schedule with no run in the next 400
// days (30 February, 31 April, 29 February three years off) is refused, naming refresh_schedule: its purges
// could never become overdue. Yearly schedules are accepted.
func TestBackupScheduleThatNeverRunsIsRefused(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t)) // the clock stands at 20 November 2026
	for i, tt := range []struct {
		schedule string
		status   int
	}{
		{"0 0 30 2 *", 422},
		{"0 0 31 4 *", 422},
		{"CRON_TZ=Asia/Shanghai 0 0 30 2 *", 422},
		{"0 0 29 2 *", 422}, // next on 29 February 2028, 466 days off
		{"0 3 * * 0", 201},
		{"0 0 1 1 *", 201},
		{"@monthly", 201},
	} {
		res := h.Do(t, http.MethodPost, "/api/v1/backup-systems", h.admin, map[string]any{"name": "backup-" + string(rune('a'+i)),
			"owner_email": "ops@staff.example", "refresh_schedule": tt.schedule, "generations": 1})
		if res.Status != tt.status {
			t.Errorf("%q: %d %s, want %d", tt.schedule, res.Status, res.Body, tt.status)
		}
		if tt.status == 422 && !strings.Contains(string(res.Body), `"field":"refresh_schedule"`) {
			t.Errorf("%q: %s, want refresh_schedule named", tt.schedule, res.Body)
		}
	}
}
