package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// fileAt files a request of typ received at t (an admin filing) and returns its ID.
func (h *harness) fileAt(t *testing.T, typ string, received time.Time) string {
	t.Helper()
	body := deletion(func(b map[string]any) {
		b["type"], b["details"] = typ, sixTypes[typ]
		b["received_at"] = received.Format(time.RFC3339)
	})
	res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("file %s: %d %s", typ, res.Status, res.Body)
	}
	return res.Map(t)["id"].(string)
}

// listAll follows next_cursor through every page of a listing.
func (h *harness) listAll(t *testing.T, token string, q url.Values) []map[string]any {
	t.Helper()
	var items []map[string]any
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("listing does not end")
		}
		res := h.Do(t, http.MethodGet, "/api/v1/requests?"+q.Encode(), token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("list %v: %d %s", q, res.Status, res.Body)
		}
		page := res.Map(t)
		for _, it := range page["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		next, ok := page["next_cursor"].(string)
		if !ok {
			return items
		}
		q.Set("cursor", next)
	}
}

func TestListRequests(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		// 13 requests received on successive days of October and November, of rotating types.
		types := []string{"access", "deletion", "portability", "consent_withdrawal"}
		start := time.Date(2026, 10, 8, 9, 0, 0, 0, shanghai)
		for i := range 13 {
			h.fileAt(t, types[i%len(types)], start.AddDate(0, 0, 3*i))
		}
		all := h.listAll(t, h.admin, url.Values{"limit": {"4"}})
		if len(all) != 13 {
			t.Fatalf("listed %d requests, want 13", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i-1]["due_at"].(string) > all[i]["due_at"].(string) {
				t.Errorf("item %d due %v before item %d due %v", i, all[i]["due_at"], i-1, all[i-1]["due_at"])
			}
		}
		for _, it := range all {
			if _, ok := it["subject"]; ok {
				t.Fatalf("a listing shows the subject's personal data: %v", it)
			}
		}
		deletions := h.listAll(t, h.admin, url.Values{"type": {"deletion"}, "limit": {"2"}})
		if len(deletions) != 3 {
			t.Errorf("type=deletion listed %d, want 3", len(deletions))
		}
		// Now is 2026-11-20: the requests due before then are overdue.
		overdue := h.listAll(t, h.admin, url.Values{"overdue": {"true"}})
		// One is due today, 2026-11-20, and is not overdue until the day ends.
		dueBefore := h.listAll(t, h.admin, url.Values{"due_before": {"2026-11-20"}})
		if len(overdue) == 0 || len(overdue) != len(dueBefore) {
			t.Errorf("overdue %d, due before 2026-11-20 %d: want the same, non-zero", len(overdue), len(dueBefore))
		}
		for _, it := range overdue {
			if it["due_date"].(string) >= "2026-11-20" {
				t.Errorf("overdue listing has %v due %v", it["reference"], it["due_date"])
			}
		}
		if got := h.listAll(t, h.admin, url.Values{"status": {"on_hold"}}); len(got) != 0 {
			t.Errorf("status=on_hold listed %d", len(got))
		}
		if got := h.listAll(t, h.admin, url.Values{"assignee": {"me"}}); len(got) != 0 {
			t.Errorf("assignee=me listed %d unassigned requests", len(got))
		}
		// One request assigned: assignee=unassigned lists the 12 others.
		officerID, _ := h.officer(t, "olivia")
		queueID := h.queue(t, map[string]any{"name": "desk", "members": []string{officerID}})
		first := all[0]["id"].(string)
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+first+"/queue", h.admin, map[string]any{"queue_id": queueID}); res.Status != http.StatusOK {
			t.Fatalf("move: %d %s", res.Status, res.Body)
		}
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+first+"/assignment", h.admin, map[string]any{"assignee_id": officerID}); res.Status != http.StatusOK {
			t.Fatalf("assign: %d %s", res.Status, res.Body)
		}
		unassigned := h.listAll(t, h.admin, url.Values{"assignee": {"unassigned"}})
		if len(unassigned) != len(all)-1 {
			t.Errorf("assignee=unassigned listed %d, want %d", len(unassigned), len(all)-1)
		}
		for _, it := range unassigned {
			if it["id"] == first {
				t.Error("assignee=unassigned lists the assigned request")
			}
		}
	})
}

func TestListRequestsRejectsBadParameters(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		for _, sc := range []struct {
			query, token string
			wantStatus   int
			wantField    string
		}{
			{"limit=0", "", 422, "limit"},
			{"limit=201", "", 422, "limit"},
			{"limit=ten", "", 422, "limit"},
			{"status=lost", "", 422, "status"},
			{"due_before=tomorrow", "", 422, "due_before"},
			{"queue=not-a-uuid", "", 422, "queue"},
			{"cursor=not-a-cursor", "", 422, "cursor"},
			{"", intake, 403, ""},
		} {
			token := sc.token
			if token == "" {
				token = h.admin
			}
			res := h.Do(t, http.MethodGet, "/api/v1/requests?"+sc.query, token, nil)
			if res.Status != sc.wantStatus {
				t.Errorf("%q: status %d, want %d: %s", sc.query, res.Status, sc.wantStatus, res.Body)
				continue
			}
			if sc.wantField != "" {
				if got := problemFields(t, res.Map(t)); len(got) != 1 || got[0] != sc.wantField {
					t.Errorf("%q: fields %v, want [%s]", sc.query, got, sc.wantField)
				}
			}
		}
	})
}

func TestReadingARequestIsAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.fileAt(t, "access", time.Date(2026, 11, 19, 9, 0, 0, 0, shanghai))
		auditor, _ := h.token(t, service.RoleAuditor, "audrey")
		officer, _ := h.token(t, service.RoleOfficer, "olivia")
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, auditor, nil); res.Status != http.StatusOK {
			t.Fatalf("auditor read: %d %s", res.Status, res.Body)
		}
		// An officer outside the request's queue learns nothing, not even that it exists.
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, officer, nil); res.Status != http.StatusNotFound {
			t.Errorf("officer read: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", officer, nil); res.Status != http.StatusNotFound {
			t.Errorf("officer events: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/00000000-0000-4000-8000-000000000000", h.admin, nil); res.Status != http.StatusNotFound {
			t.Errorf("unknown request: %d, want 404", res.Status)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests/42", h.admin, nil); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("non-UUID id: %d, want 422", res.Status)
		}
		events := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", auditor, nil).Map(t)["items"].([]any)
		var actions []string
		for _, e := range events {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		// The officer's two refused looks are in the trail too.
		want := []string{"request.filed", "request.read", "access.denied", "access.denied"}
		if strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Errorf("events %v, want %v", actions, want)
		}
		filed := events[0].(map[string]any)
		if data := filed["data"].(map[string]any); data["due_date"] != "2026-12-10" || data["type"] != "access" {
			t.Errorf("request.filed data = %v", data)
		}
	})
}
