package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestChangeUserRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		root := e.mustPerson(t, "Ada Root", service.RoleAdmin)
		rootActor := service.Actor{UserID: root.ID, Name: root.Name, Role: service.RoleAdmin}
		o := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		e.mustPassword(t, o)
		sess, err := e.svc.StartSession(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}

		for _, a := range []service.Actor{officer, auditor, intake, integration} {
			if _, err := e.svc.ChangeUserRole(ctx, a, o.ID, service.RoleAuditor); service.ErrorCode(err) != service.EFORBIDDEN {
				t.Errorf("%s changes a role: %v, want forbidden", a.Role, err)
			}
		}
		for _, r := range []service.Role{"", "root", service.RoleIntake, service.RoleIntegration} {
			_, err := e.svc.ChangeUserRole(ctx, rootActor, o.ID, r)
			if fe := service.ErrorFields(err); service.ErrorCode(err) != service.EINVALID || len(fe) != 1 || fe[0].Field != "role" {
				t.Errorf("role %q: %v, want invalid naming role", r, err)
			}
		}
		if _, err := e.svc.ChangeUserRole(ctx, rootActor, "00000000-0000-0000-0000-000000000000", service.RoleAuditor); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("unknown user: %v, want not found", err)
		}

		// A member of a queue stays an officer until she is taken out of it.
		ids, name := []string{o.ID}, "privacy"
		q, err := e.svc.CreateQueue(ctx, rootActor, service.QueueInput{Name: &name, Members: &ids})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ChangeUserRole(ctx, rootActor, o.ID, service.RoleAuditor)
		if service.ErrorCode(err) != service.ECONFLICT || !strings.Contains(service.ErrorMessage(err), q.ID) {
			t.Errorf("member of a queue: %v, want a conflict naming the queue", err)
		}
		none := []string{}
		if _, err := e.svc.UpdateQueue(ctx, rootActor, q.ID, service.QueueInput{Members: &none}); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.ChangeUserRole(ctx, rootActor, o.ID, service.RoleAuditor)
		if err != nil || got.Role != service.RoleAuditor {
			t.Fatalf("officer to auditor: %+v %v", got, err)
		}
		if u, err := e.store.FindUser(ctx, o.ID); err != nil || u.Role != service.RoleAuditor {
			t.Errorf("stored role: %+v %v", u, err)
		}
		if _, err := e.svc.LookupSession(ctx, sess.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("her session after the change: %v, want ended", err)
		}
		// The same role again changes nothing and records nothing.
		if _, err := e.svc.ChangeUserRole(ctx, rootActor, o.ID, service.RoleAuditor); err != nil {
			t.Errorf("same role: %v", err)
		}
		page, err := e.svc.AuditEvents(ctx, rootActor, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var changes []map[string]string
		for _, it := range page.Items {
			if it.Event.Action == "user.role_changed" {
				changes = append(changes, it.Event.Data)
			}
		}
		want := map[string]string{"user_id": o.ID, "from": "officer", "to": "auditor"}
		if len(changes) != 1 || len(changes[0]) != len(want) || changes[0]["user_id"] != want["user_id"] ||
			changes[0]["from"] != want["from"] || changes[0]["to"] != want["to"] {
			t.Errorf("audit: %v, want one event %v", changes, want)
		}

		// The last admin who can sign in keeps the role; a deactivated one does not count.
		_, err = e.svc.ChangeUserRole(ctx, rootActor, root.ID, service.RoleAuditor)
		if service.ErrorCode(err) != service.ECONFLICT || !strings.Contains(service.ErrorMessage(err), "last admin") {
			t.Errorf("last admin: %v, want a conflict naming why", err)
		}
		other := e.mustPerson(t, "Bo Second", service.RoleAdmin)
		if _, err := e.svc.DeactivateUser(ctx, rootActor, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ChangeUserRole(ctx, rootActor, root.ID, service.RoleAuditor); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("last active admin: %v, want conflict", err)
		}
		if _, err := e.svc.ReactivateUser(ctx, rootActor, other.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.ChangeUserRole(ctx, rootActor, root.ID, service.RoleOfficer); err != nil || got.Role != service.RoleOfficer {
			t.Errorf("an admin steps down while another remains: %+v %v", got, err)
		}

		// Systems keep their role; an officer needs an address.
		p, err := e.svc.CreatePrincipal(ctx, rootActor, service.NewPrincipal{Name: "web form", Role: service.RoleIntake})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ChangeUserRole(ctx, rootActor, p.User.ID, service.RoleAuditor); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("intake to auditor: %v, want conflict", err)
		}
		noMail, err := e.svc.CreateUser(ctx, rootActor, service.NewUser{Name: "No Mail", Role: service.RoleAuditor})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ChangeUserRole(ctx, rootActor, noMail.ID, service.RoleOfficer); service.ErrorCode(err) != service.EINVALID {
			t.Errorf("officer without an address: %v, want invalid", err)
		}
	})
}
