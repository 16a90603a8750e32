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
