package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// auditEvents reads every event that concerns no request, page by page, with token.
func auditEvents(t *testing.T, h *harness, token string) []map[string]any {
	t.Helper()
	var out []map[string]any
	path := "/api/v1/audit/events?limit=200"
	for i := 0; i < 100; i++ {
		res := h.Do(t, http.MethodGet, path, token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		page := res.Map(t)
		for _, e := range page["items"].([]any) {
			out = append(out, e.(map[string]any))
		}
		next, ok := page["next_after"].(float64)
		if !ok {
			return out
		}
		path = fmt.Sprintf("/api/v1/audit/events?limit=200&after=%d", int64(next))
	}
	t.Fatal("more than 100 pages of audit events")
	return nil
}

// Changes to users, tokens, queues and allowed hosts are readable by auditors and admins, page by page, each
// naming its actor by name and role; events about one request are not among them.
func TestAuditEventsListNonRequestEventsWithTheirActors(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		auditor, _ := h.token(t, "auditor", "audrey")
		olivia, oliviaToken := h.officer(t, "olivia")
		q := h.queue(t, map[string]any{"name": "Deletions", "members": []string{olivia}})
		h.Do(t, http.MethodPatch, "/api/v1/queues/"+q, h.admin, map[string]any{"escalation_email": "dpo@staff.example"})
		h.Do(t, http.MethodPut, "/api/v1/transmissions/allowed-hosts/hr.internal", h.admin, map[string]any{"note": "HR"})
		h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion())
		me := h.Do(t, http.MethodGet, "/api/v1/me", h.admin, nil).Map(t)

		all := auditEvents(t, h, auditor)
		actions := map[string]map[string]any{}
		var last float64
		for _, e := range all {
			if _, ok := e["request_id"]; ok {
				t.Errorf("event %v names a request", e)
			}
			if seq := e["seq"].(float64); seq <= last {
				t.Errorf("seq %v after %v: not in chain order", seq, last)
			} else {
				last = seq
			}
			actions[e["action"].(string)] = e
		}
		for _, want := range []string{"user.created", "token.created", "queue.created", "queue.updated", "allowed_host.added"} {
			e, ok := actions[want]
			if !ok {
				t.Errorf("no %s event among %d", want, len(all))
				continue
			}
			actor := e["actor"].(map[string]any)
			if actor["id"] != me["user_id"] || actor["name"] != me["name"] || actor["role"] != "admin" {
				t.Errorf("%s actor %v, want the admin %v by name and role", want, actor, me["name"])
			}
		}
		if _, ok := actions["request.filed"]; ok {
			t.Error("request.filed listed among the events that concern no request")
		}

		// Pages of two hold the same events, and say where the next starts.
		var paged []map[string]any
		path := "/api/v1/audit/events?limit=2"
		for i := 0; i < 50; i++ {
			page := h.Do(t, http.MethodGet, path, h.admin, nil).Map(t)
			items := page["items"].([]any)
			for _, e := range items {
				paged = append(paged, e.(map[string]any))
			}
			next, ok := page["next_after"].(float64)
			if !ok {
				break
			}
			if len(items) != 2 {
				t.Fatalf("a page of %d before the last", len(items))
			}
			path = fmt.Sprintf("/api/v1/audit/events?limit=2&after=%d", int64(next))
		}
		if len(paged) != len(all) {
			t.Fatalf("paged %d events, whole %d", len(paged), len(all))
		}
		for i := range all {
			if paged[i]["id"] != all[i]["id"] {
				t.Errorf("paged event %d is %v, want %v", i, paged[i]["id"], all[i]["id"])
			}
		}

		if res := h.Do(t, http.MethodGet, "/api/v1/audit/events", oliviaToken, nil); res.Status != http.StatusForbidden {
			t.Errorf("officer: %d, want 403", res.Status)
		}
		for _, sc := range []struct{ query, field string }{{"limit=0", "limit"}, {"limit=201", "limit"}, {"after=-1", "after"}} {
			res := h.Do(t, http.MethodGet, "/api/v1/audit/events?"+sc.query, h.admin, nil)
			if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || len(got) != 1 || got[0] != sc.field {
				t.Errorf("%s: %d %v, want 422 naming %s", sc.query, res.Status, got, sc.field)
			}
		}
	})
}
