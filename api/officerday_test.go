package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
)

// wantProblem checks that res is an RFC 9457 problem with status, and answers it.
func wantProblem(t *testing.T, what string, res *apitest.Response, status int) map[string]any {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: %d, want %d: %s", what, res.Status, status, res.Body)
		return nil
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
		return nil
	}
	p := res.Map(t)
	typ, _ := p["type"].(string)
	title, _ := p["title"].(string)
	if p["status"] != float64(status) || !strings.HasPrefix(typ, "urn:rightsdesk:problem:") || title == "" {
		t.Errorf("%s: problem without its status, a type or a title: %s", what, res.Body)
	}
	return p
}

// requestView is what a caller can see of a request: the request itself and its audit trail.
type requestView struct {
	Request map[string]any
	Events  []any
}

// view reads the request, then its trail (which holds that read), as token.
func (h *harness) view(t *testing.T, token, id string) requestView {
	t.Helper()
	r := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, token, nil)
	evs := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", token, nil)
	if r.Status != http.StatusOK || evs.Status != http.StatusOK {
		t.Fatalf("read %s: %d %s; events %d %s", id, r.Status, r.Body, evs.Status, evs.Body)
	}
	return requestView{Request: r.Map(t), Events: evs.Map(t)["items"].([]any)}
}

// wantUnchanged reads the trail, then the request, as token, and fails unless both are as in before: nothing was
// written in between, not even an event.
func (h *harness) wantUnchanged(t *testing.T, what, token, id string, before requestView) {
	t.Helper()
	evs := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", token, nil)
	if diff := cmp.Diff(before.Events, evs.Map(t)["items"].([]any)); diff != "" {
		t.Errorf("%s: the audit trail changed (-before +after):\n%s", what, diff)
	}
	r := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, token, nil)
	if diff := cmp.Diff(before.Request, r.Map(t)); diff != "" {
		t.Errorf("%s: the request changed (-before +after):\n%s", what, diff)
	}
}

// TestIllegalTransitionIsAConflictThatChangesNothing: an officer's illegal moves, from an open request and from
// a closed one, are 409 problems; the request and its audit trail stay exactly as they were, though the clock
// moved on and each move carried a reason that a legal move would keep as a note.
func TestIllegalTransitionIsAConflictThatChangesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, token := h.officer(t, "olivia")
		h.queue(t, map[string]any{"name": "Privacy", "members": []string{olivia}, "default": true})
		id := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id
		tryIllegal := func(from string, tos []string) {
			t.Helper()
			before := h.view(t, token, id)
			if before.Request["status"] != from {
				t.Fatalf("request is %v, want %s", before.Request["status"], from)
			}
			for _, to := range tos {
				h.clock.Set(h.clock.Now().Add(time.Minute))
				reason := "Tried anyway."
				if to == "on_hold" {
					reason = service.PauseAwaitingSubjectInformation
				}
				res := h.Do(t, http.MethodPost, path+"/transitions", token, map[string]any{"to": to, "reason": reason})
				wantProblem(t, from+" -> "+to, res, http.StatusConflict)
			}
			h.wantUnchanged(t, "illegal moves from "+from, token, id, before)
		}

		tryIllegal("open", []string{"unverified", "open", "on_hold", "fulfilled", "denied", "expired", "duplicate"})

		if res := h.Do(t, http.MethodPost, path+"/transitions", token, map[string]any{"to": "in_progress"}); res.Status != 200 {
			t.Fatalf("open -> in_progress: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodPost, path+"/reply", token, map[string]any{"outcome": "denied",
			"denial_reason": "not_covered", "message": "We hold no such data."}); res.Status != 200 {
			t.Fatalf("reply: %d %s", res.Status, res.Body)
		}
		tryIllegal("denied", []string{"unverified", "open", "in_progress", "on_hold", "fulfilled", "denied",
			"withdrawn", "expired", "duplicate"})

		if notes := h.Do(t, http.MethodGet, path+"/notes", token, nil).Map(t)["items"].([]any); len(notes) != 0 {
			t.Errorf("refused moves left notes: %v", notes)
		}
	})
}

// TestVerificationLinkExpires: the link e-mailed to a web form's subject confirms the request until 7 days after
// filing; past that it is a 409 that leaves the request unverified.
func TestVerificationLinkExpires(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		filed := h.clock.Now()
		early := h.Do(t, http.MethodPost, "/api/v1/requests", intake, deletion()).Map(t)["id"].(string)
		late := h.Do(t, http.MethodPost, "/api/v1/requests", intake, deletion(func(b map[string]any) {
			b["subject"].(map[string]any)["email"] = "wang.fang@example.com"
		})).Map(t)["id"].(string)

		h.clock.Set(filed.Add(service.VerificationWindow - time.Second))
		ok := h.Do(t, http.MethodPost, "/api/v1/verifications", "", map[string]any{"token": h.linkTokens(t, early)["verify"]})
		if ok.Status != http.StatusOK || ok.Map(t)["status"] != "open" {
			t.Fatalf("verify a second before the link expires: %d %s", ok.Status, ok.Body)
		}

		h.clock.Set(filed.Add(service.VerificationWindow + time.Second))
		before := h.view(t, h.admin, late)
		res := h.Do(t, http.MethodPost, "/api/v1/verifications", "", map[string]any{"token": h.linkTokens(t, late)["verify"]})
		wantProblem(t, "verify a second after the link expired", res, http.StatusConflict)
		h.wantUnchanged(t, "expired link", h.admin, late, before)
		if before.Request["status"] != "unverified" || before.Request["verified_at"] != nil {
			t.Errorf("after an expired link: %v, verified %v", before.Request["status"], before.Request["verified_at"])
		}
	})
}

// TestVerificationIsRateLimited: guessing link tokens from one address is cut off after a burst of 10 with a 429
// and Retry-After; once cut off, even a good token waits, while authenticated calls go on. The limiter keeps
// real time, not the harness clock, so the test waits out Retry-After (a few seconds) to see that it tells the
// truth.
func TestVerificationIsRateLimited(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		id := h.Do(t, http.MethodPost, "/api/v1/requests", intake, deletion()).Map(t)["id"].(string)
		token := h.linkTokens(t, id)["verify"]
		limitedAt, retryAfter := 0, 0
		for i := 1; i <= 20 && limitedAt == 0; i++ {
			res := h.Do(t, http.MethodPost, "/api/v1/verifications", "", map[string]any{"token": fmt.Sprintf("guess-%d", i)})
			switch res.Status {
			case http.StatusNotFound:
			case http.StatusTooManyRequests:
				limitedAt = i
				wantProblem(t, "guess "+strconv.Itoa(i), res, http.StatusTooManyRequests)
				retryAfter, _ = strconv.Atoi(res.Header.Get("Retry-After"))
			default:
				t.Fatalf("guess %d: %d %s", i, res.Status, res.Body)
			}
		}
		if limitedAt <= 10 {
			t.Fatalf("limited at attempt %d, want after a burst of 10", limitedAt)
		}
		if retryAfter <= 0 || retryAfter > 10 {
			t.Fatalf("Retry-After %d, want the few seconds until the next attempt", retryAfter)
		}
		res := h.Do(t, http.MethodPost, "/api/v1/verifications", "", map[string]any{"token": token})
		wantProblem(t, "the good token, once limited", res, http.StatusTooManyRequests)
		if got := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t); got["status"] != "unverified" {
			t.Errorf("a limited verification changed the request to %v", got["status"])
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/me", h.admin, nil); res.Status != http.StatusOK {
			t.Errorf("an authenticated call from the limited address: %d", res.Status)
		}
		time.Sleep(time.Duration(retryAfter) * time.Second)
		if res := h.Do(t, http.MethodPost, "/api/v1/verifications", "", map[string]any{"token": token}); res.Status != http.StatusOK {
			t.Errorf("the good token after Retry-After: %d %s", res.Status, res.Body)
		}
	})
}

// TestListDueWithinWorkingDays: on Tuesday 29 September 2026, just before the National Day holiday (1-7 October,
// with Saturday 10 October worked), due_within counts working days of the cn calendar: 3 reaches Friday
// 9 October, 10 calendar days away, not Friday 2 October. Overdue open requests are included, closed ones not;
// the answer is sorted by due date.
func TestListDueWithinWorkingDays(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.clock.Set(time.Date(2026, 9, 29, 10, 0, 0, 0, shanghai))
		received := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, shanghai) }
		due := map[string]string{} // request ID: due date
		file := func(m time.Month, d int, wantDue string) string {
			t.Helper()
			id := h.fileAt(t, "deletion", received(m, d))
			got := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t)["due_date"].(string)
			if got != wantDue {
				t.Fatalf("received %d-%02d: due %s, want %s", m, d, got, wantDue)
			}
			due[id] = got
			return id
		}
		// Filed out of order, so that the listing's order is its own.
		file(time.September, 15, "2026-10-12")
		file(time.September, 9, "2026-09-30")
		file(time.September, 11, "2026-10-09")
		file(time.September, 7, "2026-09-28")  // overdue since yesterday
		file(time.September, 14, "2026-10-10") // the worked Saturday: the 4th working day
		file(time.September, 10, "2026-10-08")
		file(time.September, 8, "2026-09-29") // due today
		closed := file(time.September, 9, "2026-09-30")
		for _, step := range []struct{ path, body string }{
			{"/transitions", `{"to": "in_progress"}`},
			{"/reply", `{"outcome": "fulfilled", "message": "Deleted."}`},
		} {
			if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+closed+step.path, h.admin, step.body); res.Status != 200 {
				t.Fatalf("close: %s %d %s", step.path, res.Status, res.Body)
			}
		}
		for _, tt := range []struct {
			within string
			want   []string // due dates, in order
		}{
			{"0", []string{"2026-09-28", "2026-09-29"}},
			{"3", []string{"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09"}},
			{"4", []string{"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"}},
		} {
			items := h.listAll(t, h.admin, url.Values{"due_within": {tt.within}, "limit": {"2"}})
			got := []string{}
			for _, it := range items {
				id := it["id"].(string)
				if id == closed {
					t.Errorf("due_within=%s lists the closed request", tt.within)
				}
				if it["due_date"] != due[id] {
					t.Errorf("due_within=%s: %s listed due %v, filed due %s", tt.within, id, it["due_date"], due[id])
				}
				got = append(got, due[id])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("due_within=%s, due dates listed (-want +got):\n%s", tt.within, diff)
			}
		}
	})
}

// TestSummaryReportAsCSV: the summary of requests received 1-15 November 2026, asked for as CSV on 25 November,
// is text/csv with a header row, one row per type and the total, with the figures of the requests filed,
// worked and answered through the API. November 2026 has no holiday: working days are weekdays.
func TestSummaryReportAsCSV(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		auditor, _ := h.token(t, service.RoleAuditor, "audrey")
		at := func(m time.Month, d, hour, min, sec int) time.Time {
			return time.Date(2026, m, d, hour, min, sec, 0, shanghai)
		}
		do := func(id, path string, body any) {
			t.Helper()
			if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+path, h.admin, body); res.Status != 200 {
				t.Fatalf("%s %s: %d %s", id, path, res.Status, res.Body)
			}
		}
		h.clock.Set(at(time.November, 4, 10, 30, 0))
		h.fileAt(t, "deletion", at(time.October, 20, 9, 0, 0))       // before the range; due 10 November, open
		a1 := h.fileAt(t, "access", at(time.November, 2, 9, 0, 0))   // due 23 November
		a2 := h.fileAt(t, "access", at(time.November, 2, 10, 0, 0))  // due 23 November
		h.fileAt(t, "access", at(time.November, 3, 9, 0, 0))         // due 24 November, left open
		d1 := h.fileAt(t, "deletion", at(time.November, 4, 9, 0, 0)) // due 25 November
		d2 := h.fileAt(t, "deletion", at(time.November, 4, 10, 0, 0))
		for _, id := range []string{a1, a2, d1} {
			do(id, "/transitions", map[string]any{"to": "in_progress"})
		}
		do(d2, "/transitions", map[string]any{"to": "withdrawn", "reason": "The subject called to withdraw."})

		// Friday 6 November: a1 fulfilled (its copy attached) after 4 working days, d1 denied after 2.
		h.clock.Set(at(time.November, 6, 15, 0, 0))
		copyOf, ct := multipartFile(t, "profile.json", []byte(`{"name":"Li Wei"}`))
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+a1+"/exports", h.admin, copyOf, "Content-Type", ct); res.Status != 201 {
			t.Fatalf("attach the copy: %d %s", res.Status, res.Body)
		}
		do(a1, "/reply", map[string]any{"outcome": "fulfilled", "message": "Your copy is attached."})
		do(d1, "/reply", map[string]any{"outcome": "denied", "denial_reason": "legal_obligation",
			"message": "Tax law requires us to keep invoices for 10 years."})

		// The last second of the range, and the first after it.
		h.clock.Set(at(time.November, 16, 0, 0, 0))
		h.fileAt(t, "access", at(time.November, 15, 23, 59, 59)) // due 4 December
		h.fileAt(t, "portability", at(time.November, 16, 0, 0, 0))

		// Tuesday 24 November: a2 denied after 16 working days, a day late.
		h.clock.Set(at(time.November, 24, 11, 0, 0))
		do(a2, "/reply", map[string]any{"outcome": "denied", "denial_reason": "no_match", "message": "We found no account of yours."})

		h.clock.Set(at(time.November, 25, 10, 0, 0))
		res := h.Do(t, http.MethodGet, "/api/v1/reports/summary?from=2026-11-01&to=2026-11-15&format=csv", auditor, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("summary: %d %s", res.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
		// access: a1-a3 and the one received at 23:59:59 on the 15th; replies after 4 and 16 days, one late; a3
		// (due the 24th) is overdue. deletion: d1 and d2 received; d3, received before, is the open, overdue one.
		// portability: received after the range, open.
		want := []string{
			"type,received,fulfilled,denied,denied_insufficient_verification,denied_no_match,denied_not_covered," +
				"denied_legal_obligation,denied_manifestly_unfounded,denied_other,withdrawn,expired,duplicate,replied," +
				"replied_on_time,on_time_rate,median_working_days_to_reply,p90_working_days_to_reply,open_now,overdue_now",
			"access,4,1,1,0,1,0,0,0,0,0,0,0,2,1,0.5000,4,16,2,1",
			"rectification,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0",
			"deletion,2,0,1,0,0,0,1,0,0,1,0,0,1,1,1.0000,2,2,1,1",
			"consent_withdrawal,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0",
			"account_cancellation,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0",
			"portability,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,1,0",
			"total,6,1,2,0,1,0,1,0,0,1,0,0,3,2,0.6667,4,16,4,2",
		}
		got := strings.Split(strings.TrimRight(strings.ReplaceAll(string(res.Body), "\r\n", "\n"), "\n"), "\n")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("summary CSV (-want +got):\n%s", diff)
		}
	})
}
