package api_test

import (
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestInvitationByAPI: an admin invites a person; the link goes by e-mail, never in the answer; systems and
// users without an address cannot be invited.
func TestInvitationByAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id, _ := h.officer(t, "olivia")
		res := h.Do(t, "POST", "/api/v1/users/"+id+"/invitations", h.admin, nil)
		if res.Status != 201 || strings.Contains(string(res.Body), "rd_") {
			t.Fatalf("invite: %d %s", res.Status, res.Body)
		}
		if m := res.Map(t); m["user_id"] != id || m["purpose"] != "invitation" {
			t.Errorf("invitation: %v", m)
		}
		mailed := false
		for _, m := range h.mails(t) {
			if m.To == "olivia@staff.example" && m.Kind == "invitation" && strings.Contains(m.Text, "/console/invitations/rd_") {
				mailed = true
			}
		}
		if !mailed {
			t.Error("no invitation mail in the outbox")
		}
		_, intake := h.token(t, service.RoleIntake, "webform")
		if res := h.Do(t, "POST", "/api/v1/users/"+intake+"/invitations", h.admin, nil); res.Status != 409 {
			t.Errorf("invite an intake user: %d, want 409", res.Status)
		}
		if res := h.Do(t, "POST", "/api/v1/users/00000000-0000-4000-8000-000000000000/invitations", h.admin, nil); res.Status != 404 {
			t.Errorf("invite nobody: %d, want 404", res.Status)
		}
	})
}

// TestDeactivationByAPI: a deactivated user's tokens stop working and work again once she is reactivated; an
// admin cannot deactivate herself.
func TestDeactivationByAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id, token := h.officer(t, "olivia")
		res := h.Do(t, "PUT", "/api/v1/users/"+id+"/deactivation", h.admin, nil)
		if res.Status != 200 || res.Map(t)["deactivated_at"] == nil {
			t.Fatalf("deactivate: %d %s", res.Status, res.Body)
		}
		if got := h.Do(t, "GET", "/api/v1/me", token, nil).Status; got != 401 {
			t.Errorf("her token while deactivated: %d, want 401", got)
		}
		res = h.Do(t, "DELETE", "/api/v1/users/"+id+"/deactivation", h.admin, nil)
		if res.Status != 200 || res.Map(t)["deactivated_at"] != nil {
			t.Fatalf("reactivate: %d %s", res.Status, res.Body)
		}
		if got := h.Do(t, "GET", "/api/v1/me", token, nil).Status; got != 200 {
			t.Errorf("her token after reactivation: %d, want 200", got)
		}
		me := h.Do(t, "GET", "/api/v1/me", h.admin, nil).Map(t)
		if got := h.Do(t, "PUT", "/api/v1/users/"+me["user_id"].(string)+"/deactivation", h.admin, nil).Status; got != 409 {
			t.Errorf("an admin deactivates herself: %d, want 409", got)
		}
	})
}

// TestRoleChangeByAPI: an admin makes an officer an auditor, and her token carries the new role at once; a
// queue member, a system user, another role and the last admin who can sign in are refused.
func TestRoleChangeByAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id, token := h.officer(t, "olivia")
		q := h.queue(t, map[string]any{"name": "HR", "members": []string{id}})
		res := h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "auditor"})
		if res.Status != 409 || !strings.Contains(string(res.Body), q) {
			t.Errorf("a queue member: %d %s, want 409 naming the queue", res.Status, res.Body)
		}
		h.Do(t, "PATCH", "/api/v1/queues/"+q, h.admin, map[string]any{"members": []string{}})
		res = h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "auditor"})
		if res.Status != 200 || res.Map(t)["role"] != "auditor" {
			t.Fatalf("officer to auditor: %d %s", res.Status, res.Body)
		}
		if got := h.Do(t, "GET", "/api/v1/me", token, nil).Map(t)["role"]; got != "auditor" {
			t.Errorf("her token's role: %v, want auditor", got)
		}
		if got := h.Do(t, "GET", "/api/v1/requests", token, nil).Status; got != 200 {
			t.Errorf("an auditor lists requests: %d, want 200", got)
		}
		if got := h.Do(t, "POST", "/api/v1/requests", token, deletion()).Status; got != 403 {
			t.Errorf("an auditor files a request: %d, want 403", got)
		}
		if res := h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "intake"}); res.Status != 422 ||
			!strings.Contains(string(res.Body), `"role"`) {
			t.Errorf("to intake: %d %s, want 422 naming role", res.Status, res.Body)
		}
		if got := h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "root"}).Status; got != 400 && got != 422 {
			t.Errorf("to no role: %d, want 400 or 422", got)
		}
		if got := h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "admin", "name": "x"}).Status; got != 400 && got != 422 {
			t.Errorf("another field: %d, want 400 or 422", got)
		}
		_, intake := h.token(t, service.RoleIntake, "webform")
		if got := h.Do(t, "PATCH", "/api/v1/users/"+intake, h.admin, map[string]any{"role": "auditor"}).Status; got != 409 {
			t.Errorf("a system user: %d, want 409", got)
		}
		if got := h.Do(t, "PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000", h.admin, map[string]any{"role": "auditor"}).Status; got != 404 {
			t.Errorf("nobody: %d, want 404", got)
		}
		// The harness's admin has no address to sign in with: the one admin who has is the last.
		boss := h.Do(t, "POST", "/api/v1/users", h.admin, map[string]any{"name": "boss", "email": "boss@staff.example", "role": "admin"}).Map(t)["id"].(string)
		res = h.Do(t, "PATCH", "/api/v1/users/"+boss, h.admin, map[string]any{"role": "auditor"})
		if res.Status != 409 || !strings.Contains(string(res.Body), "last admin") {
			t.Errorf("the last admin who can sign in: %d %s, want 409 saying why", res.Status, res.Body)
		}
		if got := h.Do(t, "PATCH", "/api/v1/users/"+id, h.admin, map[string]any{"role": "admin"}).Status; got != 200 {
			t.Fatalf("auditor to admin: %d", got)
		}
		if got := h.Do(t, "PATCH", "/api/v1/users/"+boss, h.admin, map[string]any{"role": "auditor"}).Status; got != 200 {
			t.Errorf("an admin while another remains: %d, want 200", got)
		}
	})
}
