package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, err := e.svc.CreateUser(ctx, admin, service.NewUser{Name: "crm sync", Role: service.RoleIntegration})
		if err != nil {
			t.Fatal(err)
		}
		first, err := e.svc.IssueToken(ctx, admin, u.ID, "first")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set(e.clock.Now().Add(time.Minute))
		second, err := e.svc.IssueToken(ctx, admin, u.ID, "second")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set(e.clock.Now().Add(time.Minute))
		third, err := e.svc.IssueToken(ctx, admin, u.ID, "third")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeToken(ctx, admin, third.Token.ID); err != nil {
			t.Fatal(err)
		}
		for _, a := range []service.Actor{admin, auditor} {
			got, err := e.svc.Tokens(ctx, a)
			if err != nil {
				t.Fatalf("Tokens as %s: %v", a.Role, err)
			}
			var names []string
			for _, tk := range got {
				names = append(names, tk.Name)
				if tk.SecretHash != "" {
					t.Errorf("token %s comes with its secret's hash", tk.Name)
				}
			}
			// Unrevoked first, newest first; the revoked last, with its time.
			if want := []string{"second", "first", "third"}; len(names) != 3 || names[0] != want[0] ||
				names[1] != want[1] || names[2] != want[2] {
				t.Errorf("Tokens = %v, want %v", names, want)
			}
			if got[2].RevokedAt == nil || got[0].RevokedAt != nil || got[0].UserID != u.ID || got[1].ID != first.Token.ID ||
				got[0].ID != second.Token.ID {
				t.Errorf("Tokens = %+v %+v %+v", got[0], got[1], got[2])
			}
		}
		for _, a := range []service.Actor{officer, intake, integration} {
			_, err := e.svc.Tokens(ctx, a)
			wantError(t, err, service.EFORBIDDEN)
		}
	})
}

// TestAuthenticateRemembersATokenForASecond: a token revoked, its user deactivated or given another role through
// this service is refused (or seen in its new role) at once; one revoked behind its back, as another replica
// would, is honoured for at most a second, by the service's clock.
func TestAuthenticateRemembersATokenForASecond(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mint := func(name string, role service.Role) *service.IssuedToken {
			t.Helper()
			u, err := e.svc.CreateUser(ctx, admin, service.NewUser{Name: name, Email: name + "@example.com", Role: role})
			if err != nil {
				t.Fatal(err)
			}
			tk, err := e.svc.IssueToken(ctx, admin, u.ID, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Authenticate(ctx, tk.Secret); err != nil { // remembered from here on
				t.Fatal(err)
			}
			return tk
		}

		revoked := mint("revoked", service.RoleIntegration)
		if err := e.svc.RevokeToken(ctx, admin, revoked.Token.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Authenticate(ctx, revoked.Secret)
		wantError(t, err, service.EUNAUTHORIZED)

		deactivated := mint("deactivated", service.RoleAuditor)
		if _, err := e.svc.DeactivateUser(ctx, admin, deactivated.Token.UserID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, deactivated.Secret)
		wantError(t, err, service.EUNAUTHORIZED)

		promoted := mint("promoted", service.RoleAuditor)
		if _, err := e.svc.ChangeUserRole(ctx, admin, promoted.Token.UserID, service.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if a, err := e.svc.Authenticate(ctx, promoted.Secret); err != nil || a.Role != service.RoleAdmin {
			t.Fatalf("after the role change: %+v, %v; want an admin", a, err)
		}

		elsewhere := mint("elsewhere", service.RoleIntegration)
		if err := e.store.WithTx(ctx, func(tx service.Store) error {
			return tx.RevokeToken(ctx, elsewhere.Token.ID, e.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, elsewhere.Secret); err != nil {
			t.Errorf("within the second: %v, want the remembered token", err)
		}
		e.clock.Set(e.clock.Now().Add(time.Second))
		_, err = e.svc.Authenticate(ctx, elsewhere.Secret)
		wantError(t, err, service.EUNAUTHORIZED)
	})
}
