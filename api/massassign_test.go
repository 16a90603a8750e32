package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
)

// serverFields of a request are the server's to set: a caller who sends one is refused, whatever its role.
var serverFields = map[string]any{
	"status":           "fulfilled",
	"reference":        "DSR-2026-999999",
	"due_at":           "2099-12-31T23:59:59+08:00",
	"due_date":         "2099-12-31",
	"id":               "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b",
	"queue":            "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5c",
	"assignee":         "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5d",
	"escalation_level": "dpo",
	"replied_at":       "2026-11-20T09:00:00+08:00",
	"outcome":          "fulfilled",
	"created_at":       "2020-01-01T00:00:00Z",
}

// wantRefused fails the test unless res is a 422 problem naming exactly field.
func wantRefused(t *testing.T, what string, res *apitest.Response, field string) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); res.Status != http.StatusUnprocessableEntity || ct != "application/problem+json" {
		t.Errorf("%s: %d %q, want a 422 problem: %s", what, res.Status, ct, res.Body)
		return
	}
	if diff := cmp.Diff([]string{field}, problemFields(t, res.Map(t))); diff != "" {
		t.Errorf("%s: fields (-want +got):\n%s", what, diff)
	}
}

// TestFilingRefusesServerFields: a filing that sets a field the server owns is refused with 422 naming it, for
// an intake token and for an admin, and files nothing.
func TestFilingRefusesServerFields(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		callers := []struct{ name, token string }{{"intake", intake}, {"admin", h.admin}}
		for _, c := range callers {
			for field, value := range serverFields {
				for _, v := range []any{value, nil} {
					body := deletion(func(b map[string]any) { b[field] = v })
					res := h.Do(t, http.MethodPost, "/api/v1/requests", c.token, body)
					wantRefused(t, c.name+" sets "+field+"="+stringOf(v), res, field)
				}
			}
			// Go's encoding/json matches keys case-insensitively; the contract does not.
			for _, field := range []string{"Status", "STATUS", "Due_Date"} {
				res := h.Do(t, http.MethodPost, "/api/v1/requests", c.token, deletion(func(b map[string]any) { b[field] = "fulfilled" }))
				wantRefused(t, c.name+" sets "+field, res, field)
			}
			res := h.Do(t, http.MethodPost, "/api/v1/requests", c.token,
				deletion(func(b map[string]any) { b["details"].(map[string]any)["status"] = "fulfilled" }))
			wantRefused(t, c.name+" sets details.status", res, "details.status")
		}
		list := h.Do(t, http.MethodGet, "/api/v1/requests", h.admin, nil).Map(t)
		if n := len(list["items"].([]any)); n != 0 {
			t.Errorf("%d requests exist after refused filings", n)
		}
	})
}

// TestFilingStatusIsTheServers: a valid filing starts unverified from an intake token and open from an admin,
// with an ID and reference of the server's making.
func TestFilingStatusIsTheServers(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		for _, c := range []struct{ name, token, want string }{{"intake", intake, "unverified"}, {"admin", h.admin, "open"}} {
			res := h.Do(t, http.MethodPost, "/api/v1/requests", c.token, deletion(func(b map[string]any) {
				b["policy"], b["locale"], b["external_id"] = "gdpr", "zh-CN", "form-"+c.name
			}))
			if res.Status != http.StatusCreated {
				t.Fatalf("%s: %d %s", c.name, res.Status, res.Body)
			}
			got := res.Map(t)
			if got["status"] != c.want || got["id"] == serverFields["id"] || got["reference"] == serverFields["reference"] ||
				got["assignee"] != nil || got["outcome"] != nil || got["replied_at"] != nil || got["escalation_level"] != nil {
				t.Errorf("%s filed %s", c.name, res.Body)
			}
			read := h.Do(t, http.MethodGet, "/api/v1/requests/"+got["id"].(string), h.admin, nil).Map(t)
			if read["status"] != c.want {
				t.Errorf("%s: read back status %v, want %s", c.name, read["status"], c.want)
			}
		}
	})
}

// TestQueueAndUserRefuseServerFields: PATCH /api/v1/queues/{id} refuses id and created_at, POST /api/v1/users
// refuses id and token, each with 422 naming the field, changing and creating nothing.
func TestQueueAndUserRefuseServerFields(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		q := h.queue(t, map[string]any{"name": "Deletions"})
		before := h.Do(t, http.MethodGet, "/api/v1/queues/"+q, h.admin, nil).Map(t)
		for field, value := range map[string]any{"id": "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b", "created_at": "2020-01-01T00:00:00Z"} {
			res := h.Do(t, http.MethodPatch, "/api/v1/queues/"+q, h.admin, map[string]any{"name": "Renamed", field: value})
			wantRefused(t, "PATCH queue with "+field, res, field)
		}
		after := h.Do(t, http.MethodGet, "/api/v1/queues/"+q, h.admin, nil).Map(t)
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("queue changed by refused patches (-before +after):\n%s", diff)
		}

		users := func() int { return len(h.Do(t, http.MethodGet, "/api/v1/users", h.admin, nil).Map(t)["items"].([]any)) }
		n := users()
		chosen := "rd_chosen-by-the-caller-0123456789abcdef"
		for field, value := range map[string]any{"id": "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b", "token": chosen} {
			res := h.Do(t, http.MethodPost, "/api/v1/users", h.admin,
				map[string]any{"name": "Mallory", "email": "mallory@staff.example", "role": "admin", field: value})
			wantRefused(t, "POST user with "+field, res, field)
		}
		if got := users(); got != n {
			t.Errorf("%d users after refused creations, want %d", got, n)
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/me", chosen, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("the token a caller chose authenticates: %d %s", res.Status, res.Body)
		}
	})
}

func stringOf(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "?"
}
