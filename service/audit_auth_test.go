package service_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// checkChain fails unless evs are consecutive links of the audit chain, the first after prev at seq first.
func checkChain(tb testing.TB, evs []*service.Event, first int64, prev string) {
	tb.Helper()
	for i, e := range evs {
		if want := first + int64(i); e.Seq != want {
			tb.Errorf("event %d (%s): seq %d, want %d", i, e.Action, e.Seq, want)
		}
		if e.PrevHash != prev {
			tb.Errorf("event %d (%s): prev hash %s, want %s", e.Seq, e.Action, e.PrevHash, prev)
		}
		if got := service.EventHash(e); e.Hash != got {
			tb.Errorf("event %d (%s): stored hash %s, recomputed %s", e.Seq, e.Action, e.Hash, got)
		}
		if len(e.Hash) != 64 || e.Hash == prev {
			tb.Errorf("event %d (%s): hash %q is not a new SHA-256", e.Seq, e.Action, e.Hash)
		}
		prev = e.Hash
	}
}

func TestAuditChain(t *testing.T) {
	genesis := strings.Repeat("0", 64)
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.mustFile(t, admin, deletionCmd())
		b := e.mustFile(t, intake, validFiling(service.TypeAccess))
		for i, id := range []string{a.ID, b.ID, a.ID, a.ID} {
			e.clock.Set(testNow.Add(time.Duration(i+1) * time.Second))
			e.mustRead(t, auditor, id)
		}
		// A refused read is itself an event: access.denied.
		if _, err := e.svc.Request(ctx, officer, a.ID); service.ErrorCode(err) != service.ENOTFOUND {
			t.Fatalf("officer read: %v", err)
		}

		evsA, evsB := e.mustEvents(t, admin, a.ID), e.mustEvents(t, admin, b.ID)
		if got, want := len(evsA), 5; got != want {
			t.Fatalf("request A has %d events %v, want %d", got, actions(evsA), want)
		}
		if got, want := len(evsB), 2; got != want {
			t.Fatalf("request B has %d events %v, want %d", got, actions(evsB), want)
		}
		// Every event so far concerns A or B: together they are the whole chain.
		all := append(append([]*service.Event{}, evsA...), evsB...)
		sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
		checkChain(t, all, 1, genesis)
		if got := evsA[0].PrevHash; got != genesis {
			t.Errorf("first event's prev hash = %s, want 64 zeros", got)
		}
		for i := 1; i < len(evsA); i++ {
			if evsA[i].Seq == evsA[i-1].Seq+1 && evsA[i].PrevHash != evsA[i-1].Hash {
				t.Errorf("event %d does not link to event %d", evsA[i].Seq, evsA[i-1].Seq)
			}
		}
		for _, ev := range all {
			if ev.ID == "" || ev.At.IsZero() {
				t.Errorf("event %d lacks an ID or time: %+v", ev.Seq, ev)
			}
		}
	})
}

// In a fresh database one request's events are consecutive, so they chain among themselves.
func TestAuditChainOfOneRequest(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		r := e.mustFile(t, intake, deletionCmd())
		e.mustRead(t, admin, r.ID)
		e.mustRead(t, auditor, r.ID)
		e.mustRead(t, auditor, r.ID)
		evs := e.mustEvents(t, auditor, r.ID)
		if got, want := len(evs), 4; got != want {
			t.Fatalf("%d events %v, want %d", got, actions(evs), want)
		}
		checkChain(t, evs, 1, strings.Repeat("0", 64))
	})
}

func TestAuthenticate(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, err := e.svc.CreatePrincipal(ctx, service.SystemActor,
			service.NewPrincipal{Name: "Zhang San", Email: "zhang@staff.example", Role: service.RoleOfficer})
		if err != nil {
			t.Fatalf("CreatePrincipal: %v", err)
		}
		if !strings.HasPrefix(p.Secret, "rd_") || p.Token.SecretHash != service.HashTokenSecret(p.Secret) {
			t.Errorf("secret %q, hash %q: want an rd_ secret and its SHA-256 stored", p.Secret, p.Token.SecretHash)
		}
		got, err := e.svc.Authenticate(ctx, p.Secret)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		want := service.Actor{UserID: p.User.ID, Name: "Zhang San", Role: service.RoleOfficer, TokenID: p.Token.ID}
		if got != want {
			t.Errorf("Authenticate = %+v, want %+v", got, want)
		}
		for _, secret := range []string{"", "wrong", p.Secret + "x", strings.ToUpper(p.Secret), p.Token.SecretHash,
			strings.Repeat("a", 513)} {
			_, err := e.svc.Authenticate(ctx, secret)
			wantError(t, err, service.EUNAUTHORIZED)
		}
	})
}

func TestCreatePrincipalRules(t *testing.T) {
	tests := []struct {
		name  string
		actor service.Actor
		np    service.NewPrincipal
		code  string
		want  []string
	}{
		{"officer may not", officer, service.NewPrincipal{Name: "x", Role: service.RoleAuditor}, service.EFORBIDDEN, nil},
		{"unknown role", admin, service.NewPrincipal{Name: "x", Role: "root"}, service.EINVALID, []string{"role"}},
		{"no name", admin, service.NewPrincipal{Role: service.RoleIntake, TokenName: "form"}, service.EINVALID, []string{"name"}},
		{"bad email", admin, service.NewPrincipal{Name: "x", Email: "x", Role: service.RoleIntake}, service.EINVALID, []string{"email"}},
		{"short secret", admin, service.NewPrincipal{Name: "x", Role: service.RoleIntake, Secret: "short"},
			service.EINVALID, []string{"secret"}},
	}
	e := mustEnv(t, storetest.SQLite(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreatePrincipal(context.Background(), tt.actor, tt.np)
			wantError(t, err, tt.code, tt.want...)
		})
	}
}

func TestEnsureAdmin(t *testing.T) {
	const chosen = "bootstrap-secret-0123456789-abcdef"
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		// A short chosen secret is refused, and nothing is created.
		_, err := e.svc.EnsureAdmin(ctx, "too-short-secret")
		wantError(t, err, service.EINVALID, "secret")
		_, err = e.svc.Authenticate(ctx, "too-short-secret")
		wantError(t, err, service.EUNAUTHORIZED)

		got, err := e.svc.EnsureAdmin(ctx, chosen)
		if err != nil {
			t.Fatalf("EnsureAdmin: %v", err)
		}
		if got != chosen {
			t.Errorf("EnsureAdmin = %q, want the chosen secret", got)
		}
		a, err := e.svc.Authenticate(ctx, chosen)
		if err != nil {
			t.Fatalf("Authenticate with the bootstrap secret: %v", err)
		}
		if a.Role != service.RoleAdmin || a.Name != "admin" {
			t.Errorf("bootstrap actor = %+v, want role admin named admin", a)
		}

		// An admin token exists: nothing more is created, whatever the secret.
		for _, secret := range []string{chosen, "another-bootstrap-secret-0123456789", ""} {
			got, err := e.svc.EnsureAdmin(ctx, secret)
			if err != nil || got != "" {
				t.Errorf("EnsureAdmin(%q) again = %q, %v; want \"\", nil", secret, got, err)
			}
		}
		_, err = e.svc.Authenticate(ctx, "another-bootstrap-secret-0123456789")
		wantError(t, err, service.EUNAUTHORIZED)
	})
}

func TestEnsureAdminGeneratesSecret(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	secret, err := e.svc.EnsureAdmin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "rd_") || len(secret) < 24 {
		t.Errorf("generated secret %q: want an rd_ secret of at least 24 characters", secret)
	}
	a, err := e.svc.Authenticate(ctx, secret)
	if err != nil || a.Role != service.RoleAdmin {
		t.Errorf("Authenticate(generated) = %+v, %v; want an admin", a, err)
	}
}
