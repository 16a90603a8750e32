package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/api"
)

// fieldErrors lists the fields a problem's errors name, and their messages.
func fieldErrors(p map[string]any) (fields, messages []string) {
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		fields = append(fields, m["field"].(string))
		messages = append(messages, m["message"].(string))
	}
	return fields, messages
}

// TestHoldReasonIsCoded: on_hold without a reason, or with one outside the HoldReason enumeration, is a 422
// naming `reason` whose message lists the reasons and says which stops the clock; a coded one holds.
func TestHoldReasonIsCoded(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id + "/transitions"
		if res := h.Do(t, "POST", path, h.admin, map[string]any{"to": "in_progress"}); res.Status != 200 {
			t.Fatalf("in_progress: %d %s", res.Status, res.Body)
		}
		for name, body := range map[string]map[string]any{
			"no reason":      {"to": "on_hold"},
			"unknown reason": {"to": "on_hold", "reason": "Waiting for HR."},
		} {
			p := wantProblem(t, name, h.Do(t, "POST", path, h.admin, body), 422)
			if p == nil {
				continue
			}
			fields, messages := fieldErrors(p)
			if len(fields) != 1 || fields[0] != "reason" {
				t.Fatalf("%s: fields %v, want reason", name, fields)
			}
			for _, want := range []string{"awaiting_subject_information", "awaiting_identity_verification",
				"awaiting_third_party", "legal_review", "the clock stops until work resumes for awaiting_subject_information"} {
				if !strings.Contains(messages[0], want) {
					t.Errorf("%s: message %q lacks %q", name, messages[0], want)
				}
			}
		}
		held := h.Do(t, "POST", path, h.admin, map[string]any{"to": "on_hold", "reason": "legal_review"})
		if m := held.Map(t); held.Status != 200 || m["status"] != "on_hold" {
			t.Errorf("on_hold for legal_review: %d %s", held.Status, held.Body)
		}
	})
}

// TestRectificationReplyNamesMissingOutcome: a fulfilled rectification reply that leaves out a correction is a
// 422 naming corrections[i] for the missing index; with every outcome it closes the request and the reply mail
// lists each correction with its outcome.
func TestRectificationReplyNamesMissingOutcome(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		filed := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["type"], b["details"] = "rectification", map[string]any{"corrections": []map[string]any{
				{"field": "phone", "current_value": "1", "corrected_value": "+86 138 0000 0001"},
				{"field": "name", "corrected_value": "Li Wei"}}}
		}))
		if filed.Status != 201 {
			t.Fatalf("file: %d %s", filed.Status, filed.Body)
		}
		r := "/api/v1/requests/" + filed.Map(t)["id"].(string)
		if res := h.Do(t, "POST", r+"/transitions", h.admin, map[string]any{"to": "in_progress"}); res.Status != 200 {
			t.Fatalf("in_progress: %d", res.Status)
		}
		p := wantProblem(t, "one outcome of two", h.Do(t, "POST", r+"/reply", h.admin, map[string]any{
			"outcome": "fulfilled", "message": "Done.", "corrections": []map[string]any{{"index": 0, "outcome": "applied"}}}), 422)
		if fields, _ := fieldErrors(p); len(fields) != 1 || fields[0] != "corrections[1]" {
			t.Errorf("fields %v, want corrections[1]", fields)
		}
		done := h.Do(t, "POST", r+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Done.",
			"corrections": []map[string]any{{"index": 0, "outcome": "applied"},
				{"index": 1, "outcome": "refused", "reason": "The ID card gives another name."}}})
		if done.Status != 200 || done.Map(t)["status"] != "fulfilled" {
			t.Fatalf("reply with every outcome: %d %s", done.Status, done.Body)
		}
		for _, m := range h.mails(t) {
			if m.Kind == "reply" {
				for _, line := range []string{`- phone, to "+86 138 0000 0001": corrected`,
					`- name, to "Li Wei": not corrected. The ID card gives another name.`} {
					if !strings.Contains(m.Text, line) {
						t.Errorf("reply mail lacks %q:\n%s", line, m.Text)
					}
				}
			}
		}
	})
}

// TestIdempotentReplayIsAudited: a retried filing answered 200 with the subject's data appends a request.read
// event to the request's trail.
func TestIdempotentReplayIsAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		key := []string{"Idempotency-Key", "letter-2026-0915"}
		first := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(), key...)
		again := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(), key...)
		if first.Status != 201 || again.Status != 200 || again.Map(t)["subject"] == nil {
			t.Fatalf("filing %d, replay %d %s", first.Status, again.Status, again.Body)
		}
		id := first.Map(t)["id"].(string)
		var got []string
		for _, ev := range h.Do(t, "GET", "/api/v1/requests/"+id+"/events", h.admin, nil).Map(t)["items"].([]any) {
			e := ev.(map[string]any)
			data, _ := e["data"].(map[string]any)
			got = append(got, e["action"].(string)+" "+func() string { s, _ := data["via"].(string); return s }())
		}
		if want := []string{"request.filed ", "request.read idempotent_replay"}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

// TestExtensionCountUnit: `count` is months under gdpr and calendar days under ccpa, as the spec says; the
// answer is the request with its new due date.
func TestExtensionCountUnit(t *testing.T) {
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	desc := doc.Components.Schemas["ExtensionInput"].Value.Properties["count"].Value.Description
	for _, want := range []string{"months for `gdpr`", "calendar days for `ccpa`", "`due_date`"} {
		if !strings.Contains(desc, want) {
			t.Errorf("the spec's ExtensionInput.count %q does not say %q", desc, want)
		}
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		filed := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["policy"], b["received_at"] = "ccpa", "2026-11-10T09:00:00-08:00"
		})).Map(t)
		before, err := time.Parse(time.DateOnly, filed["due_date"].(string))
		if err != nil {
			t.Fatal(err)
		}
		ext := h.Do(t, "POST", "/api/v1/requests/"+filed["id"].(string)+"/extensions", h.admin,
			map[string]any{"reason": "Data sits in twelve systems.", "count": 10})
		if ext.Status != 200 {
			t.Fatalf("extend: %d %s", ext.Status, ext.Body)
		}
		if got, want := ext.Map(t)["due_date"], before.AddDate(0, 0, 10).Format(time.DateOnly); got != want {
			t.Errorf("ccpa, 10 more: due %v, want %s (10 calendar days after %s)", got, want, before.Format(time.DateOnly))
		}
	})
}

// TestMergeIntoAnotherQueueIsAudited: an officer merging her request into one outside her queues gets a 422
// naming `into`, and that request's trail holds an access.denied by her, as a refused read would.
func TestMergeIntoAnotherQueueIsAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		outside := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string) // in no queue
		olivia, token := h.officer(t, "olivia")
		h.queue(t, map[string]any{"name": "General", "members": []string{olivia}, "default": true})
		mine := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		p := wantProblem(t, "merge into another queue's request", h.Do(t, "POST", "/api/v1/requests/"+mine+"/merge",
			token, map[string]any{"into": outside}), 422)
		if fields, _ := fieldErrors(p); len(fields) != 1 || fields[0] != "into" {
			t.Errorf("fields %v, want into", fields)
		}
		denied := 0
		for _, ev := range h.Do(t, "GET", "/api/v1/requests/"+outside+"/events", h.admin, nil).Map(t)["items"].([]any) {
			if e := ev.(map[string]any); e["action"] == "access.denied" && e["actor"] == olivia {
				denied++
			}
		}
		if denied != 1 {
			t.Errorf("%d access.denied events by olivia on the other request, want 1", denied)
		}
	})
}
