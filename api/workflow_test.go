package api_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestOfficersDay walks a deletion request through an officer's day: routing, claiming, the state machine with
// a clock-stopping hold, notes, and a coded denial sent to the subject.
func TestOfficersDay(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, oliviaToken := h.officer(t, "olivia")
		oscar, oscarToken := h.officer(t, "oscar")
		deletions := h.queue(t, map[string]any{"name": "Deletions", "escalation_email": "dpo-team@staff.example",
			"members": []string{olivia}, "locale": "zh-CN", "routes": map[string]any{"types": []string{"deletion"}}})
		general := h.queue(t, map[string]any{"name": "General", "members": []string{oscar}, "default": true})

		// Friday 2026-11-20: a deletion goes to Deletions, an access request to the default queue.
		del := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)
		acc := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["type"], b["details"] = "access", map[string]any{}
		})).Map(t)
		if del["queue"] != deletions || acc["queue"] != general || del["locale"] != "zh-CN" {
			t.Fatalf("routed to %v and %v (locale %v)", del["queue"], acc["queue"], del["locale"])
		}
		if del["due_date"] != "2026-12-11" {
			t.Fatalf("due %v, want 2026-12-11", del["due_date"])
		}
		id := del["id"].(string)
		path := "/api/v1/requests/" + id

		// Olivia sees her queue, not Oscar's.
		mine := h.listAll(t, oliviaToken, url.Values{"queue": {deletions}})
		if len(mine) != 1 || mine[0]["id"] != id {
			t.Errorf("olivia's queue: %v", mine)
		}
		if all := h.listAll(t, oliviaToken, url.Values{}); len(all) != 1 {
			t.Errorf("olivia lists %d requests, want only her queue's 1", len(all))
		}
		if res := h.Do(t, "GET", "/api/v1/requests/"+acc["id"].(string), oliviaToken, nil); res.Status != 404 {
			t.Errorf("olivia reads another queue's request: %d, want 404", res.Status)
		}
		if res := h.Do(t, "POST", path+"/assignment", oliviaToken, map[string]any{"assignee_id": oscar}); res.Status != 422 {
			t.Errorf("assign to a non-member: %d, want 422", res.Status)
		}
		if res := h.Do(t, "POST", path+"/assignment", oscarToken, map[string]any{"assignee_id": oscar}); res.Status != 404 {
			t.Errorf("oscar claims outside his queue: %d, want 404", res.Status)
		}
		claimed := h.Do(t, "POST", path+"/assignment", oliviaToken, map[string]any{"assignee_id": olivia})
		if claimed.Status != 200 || claimed.Map(t)["assignee"] != olivia {
			t.Fatalf("claim: %d %s", claimed.Status, claimed.Body)
		}
		if got := h.listAll(t, oliviaToken, url.Values{"assignee": {"me"}}); len(got) != 1 {
			t.Errorf("assigned to me: %d", len(got))
		}

		move := func(token, to, reason string) *http.Response {
			t.Helper()
			body := map[string]any{"to": to}
			if reason != "" {
				body["reason"] = reason
			}
			res := h.Do(t, "POST", path+"/transitions", token, body)
			return &http.Response{StatusCode: res.Status}
		}
		if got := move(oliviaToken, "on_hold", "awaiting_subject_information").StatusCode; got != 409 {
			t.Errorf("open -> on_hold: %d, want 409", got)
		}
		if got := move(oliviaToken, "fulfilled", "").StatusCode; got != 409 {
			t.Errorf("open -> fulfilled by transition: %d, want 409", got)
		}
		if got := move(oliviaToken, "in_progress", "").StatusCode; got != 200 {
			t.Fatalf("open -> in_progress: %d", got)
		}
		if got := move(oliviaToken, "on_hold", "").StatusCode; got != 422 {
			t.Errorf("on_hold without reason: %d, want 422", got)
		}

		// Tuesday 24 November: waiting for the subject stops the clock after 2 working days.
		h.clock.Set(time.Date(2026, 11, 24, 15, 0, 0, 0, shanghai))
		if got := move(oliviaToken, "on_hold", "awaiting_subject_information").StatusCode; got != 200 {
			t.Fatalf("in_progress -> on_hold: %d", got)
		}
		h.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
		held := h.Do(t, "GET", path, oliviaToken, nil).Map(t)
		if c := held["clock"].(map[string]any); c["paused"] != true || c["working_days_used"] != 2.0 {
			t.Errorf("held clock %v, want paused with 2 days used", c)
		}
		// Tuesday 1 December: resumed, the 13 days left count after today.
		if got := move(oliviaToken, "in_progress", "").StatusCode; got != 200 {
			t.Fatalf("on_hold -> in_progress: %d", got)
		}
		resumed := h.Do(t, "GET", path, oliviaToken, nil).Map(t)
		if resumed["due_date"] != "2026-12-18" || resumed["clock"].(map[string]any)["paused"] != false {
			t.Errorf("resumed: due %v clock %v, want 2026-12-18 running", resumed["due_date"], resumed["clock"])
		}

		note := h.Do(t, "POST", path+"/notes", oliviaToken, map[string]any{"body": "Subject confirmed by phone."})
		if note.Status != 201 {
			t.Errorf("note: %d %s", note.Status, note.Body)
		}
		notes := h.Do(t, "GET", path+"/notes", oliviaToken, nil).Map(t)["items"].([]any)
		if len(notes) != 1 || notes[0].(map[string]any)["body"] != "Subject confirmed by phone." {
			t.Errorf("notes %v", notes)
		}

		if res := h.Do(t, "POST", path+"/reply", oliviaToken, map[string]any{"outcome": "denied", "message": "No."}); res.Status != 422 {
			t.Errorf("denial without reason: %d, want 422", res.Status)
		}
		h.clock.Set(time.Date(2026, 12, 2, 11, 0, 0, 0, shanghai))
		replied := h.Do(t, "POST", path+"/reply", oliviaToken, map[string]any{"outcome": "denied",
			"denial_reason": "legal_obligation", "message": "Tax law requires us to keep invoices for 10 years."})
		if replied.Status != 200 {
			t.Fatalf("reply: %d %s", replied.Status, replied.Body)
		}
		r := replied.Map(t)
		if r["status"] != "denied" || r["outcome"] != "denied" || r["denial_reason"] != "legal_obligation" ||
			r["replied_at"] != "2026-12-02T11:00:00+08:00" || r["closed_at"] == nil {
			t.Errorf("replied: %v", r)
		}
		if got := move(oliviaToken, "in_progress", "").StatusCode; got != 409 {
			t.Errorf("denied -> in_progress: %d, want 409", got)
		}
		var reply *service.Mail
		for _, m := range h.mails(t) {
			if m.Kind == "reply" && m.RequestID == id {
				reply = m
			}
		}
		if reply == nil || reply.To != "li.wei@example.com" || !strings.Contains(reply.Text, "Tax law requires") ||
			!strings.Contains(reply.Subject, del["reference"].(string)) || !strings.Contains(reply.Subject, "答复") {
			t.Errorf("reply mail %+v", reply)
		}

		var actions []string
		for _, e := range h.Do(t, "GET", path+"/events", h.admin, nil).Map(t)["items"].([]any) {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		for _, want := range []string{"request.filed", "request.assigned", "request.transitioned", "request.note_added",
			"request.notes_read", "request.replied"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Errorf("events %v lack %s", actions, want)
			}
		}
		verify := h.Do(t, "GET", "/api/v1/audit/verify", h.admin, nil).Map(t)
		if verify["ok"] != true || verify["checked"].(float64) < float64(len(actions)) {
			t.Errorf("audit verify %v", verify)
		}
	})
}

var linkToken = regexp.MustCompile(`/(verify|withdraw)\?token=([A-Za-z0-9_-]+)`)

// linkTokens returns the verify and withdraw tokens of the newest acknowledgement to a request.
func (h *harness) linkTokens(t *testing.T, requestID string) map[string]string {
	t.Helper()
	for _, m := range h.mails(t) {
		if m.Kind == "acknowledgement" && m.RequestID == requestID {
			out := map[string]string{}
			for _, match := range linkToken.FindAllStringSubmatch(m.Text, -1) {
				out[match[1]] = match[2]
			}
			return out
		}
	}
	t.Fatalf("no acknowledgement to %s", requestID)
	return nil
}

func TestSubjectVerifiesAndWithdraws(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		minor := deletion(func(b map[string]any) {
			b["subject"] = map[string]any{"name": "Xiao Ming", "phone": "+86 138 0000 0002", "is_minor": true,
				"guardian": map[string]any{"name": "Wang Fang", "email": "wang.fang@example.com", "relationship": "mother"}}
		})
		filed := h.Do(t, "POST", "/api/v1/requests", intake, minor).Map(t)
		id := filed["id"].(string)
		tokens := h.linkTokens(t, id)
		if tokens["verify"] == "" || tokens["withdraw"] == "" {
			t.Fatalf("acknowledgement links %v", tokens)
		}
		for _, m := range h.mails(t) {
			if m.RequestID == id && m.To != "wang.fang@example.com" {
				t.Errorf("mail about a minor went to %s, not the guardian", m.To)
			}
			if m.RequestID == id && !strings.Contains(m.Text, "This mail concerns the child's request") {
				t.Errorf("the guardian's %s mail does not say it concerns the child's request:\n%s", m.Kind, m.Text)
			}
		}
		page := h.Do(t, "GET", "/verify?token="+tokens["verify"], "", nil)
		if page.Status != 200 || !strings.Contains(string(page.Body), `name="token" value="`+tokens["verify"]+`"`) {
			t.Errorf("verify page: %d %s", page.Status, page.Body)
		}
		if res := h.Do(t, "POST", "/api/v1/verifications", "", map[string]any{"token": "nope"}); res.Status != 404 {
			t.Errorf("unknown token: %d, want 404", res.Status)
		}
		if res := h.Do(t, "POST", "/api/v1/verifications", "", map[string]any{"token": tokens["withdraw"]}); res.Status != 404 {
			t.Errorf("a withdraw token used to verify: %d, want 404", res.Status)
		}
		ok := h.Do(t, "POST", "/api/v1/verifications", "", map[string]any{"token": tokens["verify"]})
		if ok.Status != 200 || ok.Map(t)["status"] != "open" {
			t.Fatalf("verify: %d %s", ok.Status, ok.Body)
		}
		if res := h.Do(t, "POST", "/api/v1/verifications", "", map[string]any{"token": tokens["verify"]}); res.Status != 409 {
			t.Errorf("second use: %d, want 409", res.Status)
		}
		form := h.Do(t, "POST", "/withdraw", "", "token="+tokens["withdraw"], "Content-Type", "application/x-www-form-urlencoded")
		if form.Status != 200 || !strings.Contains(string(form.Body), filed["reference"].(string)) {
			t.Errorf("withdraw form: %d %s", form.Status, form.Body)
		}
		got := h.Do(t, "GET", "/api/v1/requests/"+id, h.admin, nil).Map(t)
		if got["status"] != "withdrawn" || got["verified_at"] == nil || got["closed_at"] == nil {
			t.Errorf("after withdrawal: status %v verified_at %v closed_at %v", got["status"], got["verified_at"], got["closed_at"])
		}
		again := h.Do(t, "POST", "/withdraw", "", "token="+tokens["withdraw"], "Content-Type", "application/x-www-form-urlencoded")
		if again.Status != 409 || !strings.Contains(string(again.Body), "no longer be used") {
			t.Errorf("withdraw twice: %d %s", again.Status, again.Body)
		}
	})
}

func TestUnverifiedRequestsExpire(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		id := h.Do(t, "POST", "/api/v1/requests", intake, deletion()).Map(t)["id"].(string)
		ctx := context.Background()
		h.clock.Set(time.Date(2026, 11, 27, 9, 0, 0, 0, shanghai)) // 6 days 23 hours later
		if n, err := h.svc.ExpireUnverified(ctx); err != nil || n != 0 {
			t.Fatalf("expire early: %d %v", n, err)
		}
		h.clock.Set(time.Date(2026, 11, 27, 10, 0, 1, 0, shanghai))
		if n, err := h.svc.ExpireUnverified(ctx); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		got := h.Do(t, "GET", "/api/v1/requests/"+id, h.admin, nil).Map(t)
		if got["status"] != "expired" || got["replied_at"] == nil {
			t.Errorf("after expiry: %v", got["status"])
		}
		found := false
		for _, m := range h.mails(t) {
			found = found || (m.Kind == "expired" && m.RequestID == id)
		}
		if !found {
			t.Error("no expiry notice to the subject")
		}
		tokens := h.linkTokens(t, id)
		if res := h.Do(t, "POST", "/api/v1/verifications", "", map[string]any{"token": tokens["verify"]}); res.Status != 409 {
			t.Errorf("verify after expiry: %d, want 409", res.Status)
		}
	})
}

func TestDuplicatesAndMerge(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		first := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)
		second := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["subject"].(map[string]any)["email"] = "LI.WEI@example.com"
		})).Map(t)
		other := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["type"], b["details"] = "access", map[string]any{}
		})).Map(t)
		if second["possible_duplicate_of"] != first["id"] || other["possible_duplicate_of"] != nil {
			t.Fatalf("flags: second %v, other %v", second["possible_duplicate_of"], other["possible_duplicate_of"])
		}
		if res := h.Do(t, "POST", "/api/v1/requests/"+second["id"].(string)+"/merge", h.admin,
			map[string]any{"into": other["id"]}); res.Status != 422 {
			t.Errorf("merge into another type: %d, want 422", res.Status)
		}
		merged := h.Do(t, "POST", "/api/v1/requests/"+second["id"].(string)+"/merge", h.admin, map[string]any{"into": first["id"]})
		if m := merged.Map(t); merged.Status != 200 || m["status"] != "duplicate" || m["duplicate_of"] != first["id"] {
			t.Errorf("merge: %d %s", merged.Status, merged.Body)
		}
		if res := h.Do(t, "POST", "/api/v1/requests/"+second["id"].(string)+"/merge", h.admin, map[string]any{"into": first["id"]}); res.Status != 409 {
			t.Errorf("merge twice: %d, want 409", res.Status)
		}
	})
}

func TestExtensions(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		cn := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)
		if res := h.Do(t, "POST", "/api/v1/requests/"+cn["id"].(string)+"/extensions", h.admin,
			map[string]any{"reason": "complex"}); res.Status != 409 {
			t.Errorf("cn-pipl-15wd extension: %d, want 409", res.Status)
		}
		gdpr := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["policy"], b["received_at"] = "gdpr", "2026-11-10T09:00:00+01:00"
		})).Map(t)
		if gdpr["due_date"] != "2026-12-10" {
			t.Fatalf("gdpr due %v", gdpr["due_date"])
		}
		path := "/api/v1/requests/" + gdpr["id"].(string) + "/extensions"
		if res := h.Do(t, "POST", path, h.admin, map[string]any{"reason": "many systems", "count": 3}); res.Status != 422 {
			t.Errorf("three months: %d, want 422", res.Status)
		}
		ext := h.Do(t, "POST", path, h.admin, map[string]any{"reason": "Data sits in twelve systems.", "count": 1})
		if ext.Status != 200 || ext.Map(t)["due_date"] != "2027-01-11" {
			t.Errorf("one month: %d %s", ext.Status, ext.Body) // 10 January 2027 is a Sunday
		}
		ext = h.Do(t, "POST", path, h.admin, map[string]any{"reason": "Still more."})
		if ext.Status != 200 || ext.Map(t)["due_date"] != "2027-02-10" {
			t.Errorf("the rest: %d %s", ext.Status, ext.Body)
		}
		if res := h.Do(t, "POST", path, h.admin, map[string]any{"reason": "again"}); res.Status != 409 {
			t.Errorf("beyond the limit: %d, want 409", res.Status)
		}
		told := 0
		for _, m := range h.mails(t) {
			if m.Kind == "extended" && strings.Contains(m.Text, "twelve systems") {
				told++
			}
		}
		if told != 1 {
			t.Errorf("%d extension mails give the first reason, want 1", told)
		}
	})
}

func TestUsersTokensAndQueues(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		if res := h.Do(t, "POST", "/api/v1/users", h.admin, map[string]any{"name": "Olga", "role": "officer"}); res.Status != 422 {
			t.Errorf("officer without e-mail: %d, want 422", res.Status)
		}
		id, token := h.officer(t, "olivia")
		if me := h.Do(t, "GET", "/api/v1/me", token, nil).Map(t); me["user_id"] != id || me["role"] != "officer" {
			t.Errorf("me %v", me)
		}
		tokens := h.Do(t, "POST", "/api/v1/users/"+id+"/tokens", h.admin, map[string]any{"name": "second"}).Map(t)
		if res := h.Do(t, "DELETE", "/api/v1/tokens/"+tokens["id"].(string), h.admin, nil); res.Status != 204 {
			t.Errorf("revoke: %d", res.Status)
		}
		if res := h.Do(t, "GET", "/api/v1/me", tokens["token"].(string), nil); res.Status != 401 {
			t.Errorf("revoked token: %d, want 401", res.Status)
		}
		adminTokenID := ""
		for _, u := range h.Do(t, "GET", "/api/v1/users", h.admin, nil).Map(t)["items"].([]any) {
			_ = u
		}
		_ = adminTokenID
		auditor, _ := h.token(t, service.RoleAuditor, "audrey")
		q := h.queue(t, map[string]any{"name": "Q", "members": []string{id}})
		if res := h.Do(t, "POST", "/api/v1/queues", h.admin, map[string]any{"name": "Q"}); res.Status != 409 {
			t.Errorf("duplicate queue name: %d, want 409", res.Status)
		}
		if res := h.Do(t, "POST", "/api/v1/queues", h.admin, map[string]any{"name": "R", "members": []string{adminID(t, h)}}); res.Status != 422 {
			t.Errorf("an admin as member: %d, want 422", res.Status)
		}
		patched := h.Do(t, "PATCH", "/api/v1/queues/"+q, h.admin, map[string]any{"members": []string{}})
		if p := patched.Map(t); patched.Status != 200 || p["default"] != false || len(p["members"].([]any)) != 0 || p["name"] != "Q" {
			t.Errorf("patch: %d %s", patched.Status, patched.Body)
		}
		if got := h.Do(t, "GET", "/api/v1/queues", auditor, nil).Map(t)["items"].([]any); len(got) != 1 {
			t.Errorf("auditor lists %d queues", len(got))
		}
		if got := h.Do(t, "GET", "/api/v1/queues", token, nil).Map(t)["items"].([]any); len(got) != 0 {
			t.Errorf("olivia, no longer a member, lists %d queues", len(got))
		}
	})
}
