package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// requestActions lists the actions of a request's audit trail, read by an admin.
func requestActions(t *testing.T, h *harness, id string) []string {
	t.Helper()
	var out []string
	for _, e := range h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", h.admin, nil).Map(t)["items"].([]any) {
		out = append(out, e.(map[string]any)["action"].(string))
	}
	return out
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// lastEvent is the newest event of a request with the action.
func lastEvent(t *testing.T, h *harness, id, action string) map[string]any {
	t.Helper()
	var out map[string]any
	for _, e := range h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", h.admin, nil).Map(t)["items"].([]any) {
		if m := e.(map[string]any); m["action"] == action {
			out = m
		}
	}
	if out == nil {
		t.Fatalf("request %s has no %s event", id, action)
	}
	return out
}

// A request moves between queues for an officer of both (an assignee outside the new queue is unassigned) and
// for an admin, who also routes a request no queue took; an officer outside either queue gets 404 and the
// refusal is audited, an auditor 403; a closed request stays where it is.
func TestMoveRequestToAnotherQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, oliviaToken := h.officer(t, "olivia") // in both queues
		oscar, oscarToken := h.officer(t, "oscar")    // deletions only
		peter, peterToken := h.officer(t, "peter")    // escalations only
		auditor, _ := h.token(t, service.RoleAuditor, "audrey")
		deletions := h.queue(t, map[string]any{"name": "Deletions", "members": []string{olivia, oscar},
			"routes": map[string]any{"types": []string{"deletion"}}})
		escalations := h.queue(t, map[string]any{"name": "Escalations", "members": []string{olivia, peter}})
		id := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id + "/queue"
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/assignment", h.admin,
			map[string]any{"assignee_id": oscar}); res.Status != http.StatusOK {
			t.Fatalf("assign: %d %s", res.Status, res.Body)
		}

		for _, sc := range []struct {
			name, token string
			want        int
		}{
			{"oscar, not in the new queue", oscarToken, http.StatusNotFound},
			{"peter, not in the request's queue", peterToken, http.StatusNotFound},
		} {
			if res := h.Do(t, http.MethodPost, path, sc.token, map[string]any{"queue_id": escalations}); res.Status != sc.want {
				t.Errorf("%s: %d, want %d: %s", sc.name, res.Status, sc.want, res.Body)
			}
		}
		if got := countOf(requestActions(t, h, id), "access.denied"); got != 2 {
			t.Errorf("%d access.denied events, want 2 (one per refused officer)", got)
		}
		if res := h.Do(t, http.MethodPost, path, auditor, map[string]any{"queue_id": escalations}); res.Status != http.StatusForbidden {
			t.Errorf("auditor: %d, want 403", res.Status)
		}
		res := h.Do(t, http.MethodPost, path, h.admin, map[string]any{"queue_id": "not-a-uuid"})
		if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || len(got) != 1 || got[0] != "queue_id" {
			t.Errorf("bad queue_id: %d %v, want 422 naming queue_id", res.Status, got)
		}
		if res := h.Do(t, http.MethodPost, path, h.admin, map[string]any{"queue_id": "00000000-0000-4000-8000-000000000000"}); res.Status != http.StatusNotFound {
			t.Errorf("no such queue: %d, want 404", res.Status)
		}
		if got := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t); got["queue"] != deletions || got["assignee"] != oscar {
			t.Fatalf("refusals changed the request: queue %v, assignee %v", got["queue"], got["assignee"])
		}

		res = h.Do(t, http.MethodPost, path, oliviaToken, map[string]any{"queue_id": escalations})
		if got := res.Map(t); res.Status != http.StatusOK || got["queue"] != escalations || got["assignee"] != nil {
			t.Fatalf("olivia moves it: %d %s, want 200 in Escalations and unassigned (oscar is not a member)", res.Status, res.Body)
		}
		data := lastEvent(t, h, id, "request.moved")["data"].(map[string]any)
		if data["from"] != deletions || data["to"] != escalations || data["unassigned"] != oscar {
			t.Errorf("request.moved data %v", data)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, oscarToken, nil); res.Status != http.StatusNotFound {
			t.Errorf("oscar reads it after the move: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, peterToken, nil); res.Status != http.StatusOK {
			t.Errorf("peter reads it after the move: %d, want 200", res.Status)
		}
		before := countOf(requestActions(t, h, id), "request.moved")
		if res := h.Do(t, http.MethodPost, path, peterToken, map[string]any{"queue_id": escalations}); res.Status != http.StatusOK {
			t.Errorf("move to the queue it is in: %d, want 200", res.Status)
		}
		if got := countOf(requestActions(t, h, id), "request.moved"); got != before {
			t.Errorf("a move to the same queue was audited (%d request.moved, want %d)", got, before)
		}

		// No queue takes an access request: it is unrouted until an admin routes it.
		unrouted := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, map[string]any{"type": "access",
			"subject": map[string]any{"name": "Zhang Min", "email": "zhang.min@example.com"}, "channel": "email"}).Map(t)
		if unrouted["queue"] != nil {
			t.Fatalf("access request routed to %v, want no queue", unrouted["queue"])
		}
		upath := "/api/v1/requests/" + unrouted["id"].(string) + "/queue"
		if res := h.Do(t, http.MethodPost, upath, oliviaToken, map[string]any{"queue_id": deletions}); res.Status != http.StatusNotFound {
			t.Errorf("an officer routes an unrouted request: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodPost, upath, h.admin, map[string]any{"queue_id": deletions}); res.Status != http.StatusOK || res.Map(t)["queue"] != deletions {
			t.Errorf("admin routes it: %d %s", res.Status, res.Body)
		}

		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "withdrawn"}); res.Status != http.StatusOK {
			t.Fatalf("withdraw: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodPost, path, h.admin, map[string]any{"queue_id": deletions}); res.Status != http.StatusConflict {
			t.Errorf("move a withdrawn request: %d, want 409", res.Status)
		}
	})
}

// There is one default queue, and someone works it: making a second one the default is 409 naming the first,
// and a default queue without members is 422 naming members.
func TestOneDefaultQueueWithMembers(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, _ := h.officer(t, "olivia")
		general := h.queue(t, map[string]any{"name": "General", "members": []string{olivia}, "default": true})
		other := h.queue(t, map[string]any{"name": "Other", "members": []string{olivia}})

		for _, sc := range []struct {
			name, method, path string
			body               map[string]any
		}{
			{"create", http.MethodPost, "/api/v1/queues", map[string]any{"name": "Second", "members": []string{olivia}, "default": true}},
			{"patch", http.MethodPatch, "/api/v1/queues/" + other, map[string]any{"default": true}},
		} {
			res := h.Do(t, sc.method, sc.path, h.admin, sc.body)
			detail, _ := res.Map(t)["detail"].(string)
			if res.Status != http.StatusConflict || !strings.Contains(detail, "General") || !strings.Contains(detail, general) {
				t.Errorf("%s a second default: %d %q, want 409 naming General and its ID", sc.name, res.Status, detail)
			}
		}
		for _, sc := range []struct {
			name, method, path string
			body               map[string]any
		}{
			{"create without members", http.MethodPost, "/api/v1/queues", map[string]any{"name": "Empty", "default": true}},
			{"empty the default", http.MethodPatch, "/api/v1/queues/" + general, map[string]any{"members": []string{}}},
		} {
			res := h.Do(t, sc.method, sc.path, h.admin, sc.body)
			if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || len(got) != 1 || got[0] != "members" {
				t.Errorf("%s: %d %v, want 422 naming members", sc.name, res.Status, got)
			}
		}
		for _, q := range h.Do(t, http.MethodGet, "/api/v1/queues", h.admin, nil).Map(t)["items"].([]any) {
			m := q.(map[string]any)
			if want := m["id"] == general; m["default"] != want || len(m["members"].([]any)) != 1 {
				t.Errorf("after the refusals, queue %v: default %v, members %v", m["name"], m["default"], m["members"])
			}
		}
		// The documented way over: unset the old default, then set the new one.
		if res := h.Do(t, http.MethodPatch, "/api/v1/queues/"+general, h.admin, map[string]any{"default": false}); res.Status != http.StatusOK {
			t.Fatalf("unset: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodPatch, "/api/v1/queues/"+other, h.admin, map[string]any{"default": true}); res.Status != http.StatusOK || res.Map(t)["default"] != true {
			t.Errorf("set: %d %s", res.Status, res.Body)
		}
	})
}

// A queue is deleted once no open request is in it (closed ones keep its ID); the deletion is audited.
func TestDeleteQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, oliviaToken := h.officer(t, "olivia")
		q := h.queue(t, map[string]any{"name": "Deletions", "members": []string{olivia},
			"routes": map[string]any{"types": []string{"deletion"}}})
		id := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/queues/" + q
		if res := h.Do(t, http.MethodDelete, path, oliviaToken, nil); res.Status != http.StatusForbidden {
			t.Errorf("officer deletes: %d, want 403", res.Status)
		}
		if res := h.Do(t, http.MethodDelete, path, h.admin, nil); res.Status != http.StatusConflict {
			t.Errorf("delete with an open request: %d, want 409", res.Status)
		}
		if res := h.Do(t, http.MethodGet, path, h.admin, nil); res.Status != http.StatusOK {
			t.Fatalf("the refused delete removed the queue: %d", res.Status)
		}
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "withdrawn"}); res.Status != http.StatusOK {
			t.Fatalf("withdraw: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodDelete, path, h.admin, nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s, want 204", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodGet, path, h.admin, nil); res.Status != http.StatusNotFound {
			t.Errorf("deleted queue read: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodDelete, path, h.admin, nil); res.Status != http.StatusNotFound {
			t.Errorf("deleted twice: %d, want 404", res.Status)
		}
		if got := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t)["queue"]; got != q {
			t.Errorf("closed request's queue_id %v, want the deleted queue's %s", got, q)
		}
		found := false
		for _, e := range auditEvents(t, h, h.admin) {
			if e["action"] == "queue.deleted" && e["data"].(map[string]any)["queue_id"] == q {
				found = true
			}
		}
		if !found {
			t.Error("no queue.deleted event")
		}
	})
}
