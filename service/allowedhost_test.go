package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// fixedHosts is the operator's part of the allow-list in these tests, as RIGHTSDESK_TRANSMIT_ALLOW_HOSTS would
// give it: untidy, which the service normalises.
var fixedHosts = []string{" HR.Internal ", "0:0:0:0:0:0:0:1", "shared.internal"}

// allowedHostEvents returns the allow-list events of the audit chain, as "action host" by actor.
func allowedHostEvents(tb testing.TB, e *env) []string {
	tb.Helper()
	evs, err := e.store.AuditEventsAfter(context.Background(), 0, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Action, "allowed_host.") {
			out = append(out, ev.Action+" "+ev.Data["host"]+" by "+ev.ActorID)
		}
	}
	return out
}

func TestAllowedHosts(t *testing.T) {
	forEachConfiguredDB(t, service.Config{TransmitAllowHosts: fixedHosts}, func(t *testing.T, e *env, _ storetest.DB) {
		ctx := context.Background()
		added := e.svc.Now()
		h, created, err := e.svc.AddAllowedHost(ctx, admin, service.NewAllowedHost{Host: "10.0.0.7", Note: "the HR system"})
		if err != nil || !created {
			t.Fatalf("AddAllowedHost = %v, %t, %v; want created", h, created, err)
		}
		want := &service.AllowedHost{Host: "10.0.0.7", Source: service.AllowedByAPI, Note: "the HR system",
			CreatedBy: admin.UserID, CreatedAt: added}
		if diff := cmp.Diff(want, h); diff != "" {
			t.Errorf("AddAllowedHost (-want +got):\n%s", diff)
		}

		// Adding it again, with another note, later and by another admin, changes nothing.
		e.clock.Set(testNow.Add(time.Hour))
		other := service.Actor{UserID: "u-admin2", Name: "other admin", Role: service.RoleAdmin}
		again, created, err := e.svc.AddAllowedHost(ctx, other, service.NewAllowedHost{Host: "10.0.0.7", Note: "changed"})
		if err != nil || created {
			t.Fatalf("AddAllowedHost again = %v, %t, %v; want not created", again, created, err)
		}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("AddAllowedHost again (-want +got):\n%s", diff)
		}
		// A host on the operator's list may be added too, and then shows from both sources.
		if _, created, err := e.svc.AddAllowedHost(ctx, admin, service.NewAllowedHost{Host: "shared.internal"}); err != nil || !created {
			t.Fatalf("AddAllowedHost(shared.internal) = %t, %v; want created", created, err)
		}

		wantList := []*service.AllowedHost{
			{Host: "10.0.0.7", Source: service.AllowedByAPI, Note: "the HR system", CreatedBy: admin.UserID, CreatedAt: added},
			{Host: "::1", Source: service.AllowedByEnvironment},
			{Host: "hr.internal", Source: service.AllowedByEnvironment},
			{Host: "shared.internal", Source: service.AllowedByAPI, CreatedBy: admin.UserID, CreatedAt: testNow.Add(time.Hour).UTC()},
			{Host: "shared.internal", Source: service.AllowedByEnvironment},
		}
		for _, a := range []service.Actor{admin, auditor} {
			got, err := e.svc.AllowedHosts(ctx, a)
			if err != nil {
				t.Fatalf("AllowedHosts as %s: %v", a.Role, err)
			}
			if diff := cmp.Diff(wantList, got); diff != "" {
				t.Errorf("AllowedHosts as %s (-want +got):\n%s", a.Role, diff)
			}
		}

		// Removing: an admins' entry goes; an operator's entry cannot; one on both lists stays through the fixed one.
		if err := e.svc.RemoveAllowedHost(ctx, admin, "10.0.0.7"); err != nil {
			t.Fatalf("RemoveAllowedHost(10.0.0.7): %v", err)
		}
		wantError(t, e.svc.RemoveAllowedHost(ctx, admin, "10.0.0.7"), service.ENOTFOUND)
		wantError(t, e.svc.RemoveAllowedHost(ctx, admin, "hr.internal"), service.ECONFLICT)
		wantError(t, e.svc.RemoveAllowedHost(ctx, admin, "::1"), service.ECONFLICT)
		if err := e.svc.RemoveAllowedHost(ctx, admin, "shared.internal"); err != nil {
			t.Fatalf("RemoveAllowedHost(shared.internal): %v", err)
		}
		got, err := e.svc.AllowedHosts(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*service.AllowedHost{wantList[1], wantList[2], wantList[4]}, got); diff != "" {
			t.Errorf("AllowedHosts after removals (-want +got):\n%s", diff)
		}

		wantEvents := []string{
			"allowed_host.added 10.0.0.7 by u-admin",
			"allowed_host.added shared.internal by u-admin",
			"allowed_host.removed 10.0.0.7 by u-admin",
			"allowed_host.removed shared.internal by u-admin",
		}
		if diff := cmp.Diff(wantEvents, allowedHostEvents(t, e)); diff != "" {
			t.Errorf("audit events (-want +got):\n%s", diff)
		}
		if v, err := e.svc.VerifyAudit(ctx, admin); err != nil || !v.OK {
			t.Errorf("VerifyAudit = %+v, %v; want ok", v, err)
		}
	})
}

func TestAllowedHostsAuthorisation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, a := range []service.Actor{officer, auditor, intake, integration} {
			_, _, err := e.svc.AddAllowedHost(ctx, a, service.NewAllowedHost{Host: "hooks.internal"})
			wantError(t, err, service.EFORBIDDEN)
			wantError(t, e.svc.RemoveAllowedHost(ctx, a, "hooks.internal"), service.EFORBIDDEN)
		}
		for _, a := range []service.Actor{officer, intake, integration} {
			_, err := e.svc.AllowedHosts(ctx, a)
			wantError(t, err, service.EFORBIDDEN)
		}
		if got := allowedHostEvents(t, e); len(got) != 0 {
			t.Errorf("refused changes were audited as %v", got)
		}
		if got, err := e.svc.AllowedHosts(ctx, admin); err != nil || len(got) != 0 {
			t.Errorf("AllowedHosts after refused changes = %v, %v; want none", got, err)
		}
	})
}

func TestAllowedHostValidation(t *testing.T) {
	tests := []struct {
		name, host, note string
		wantField        string // "" valid
	}{
		{"name", "hooks.internal", "", ""},
		{"single label", "localhost", "", ""},
		{"digits and hyphens", "hr-2.corp-1.example", "", ""},
		{"IDN in xn-- form", "xn--bcher-kva.example", "", ""},
		{"IPv4", "10.0.0.7", "", ""},
		{"IPv6", "fd00::7", "", ""},
		{"note", "hooks.internal", "the HR system's import endpoint", ""},
		{"empty", "", "", "host"},
		{"uppercase", "Hooks.Internal", "", "host"},
		{"scheme", "https://hooks.internal", "", "host"},
		{"port", "hooks.internal:8443", "", "host"},
		{"path", "hooks.internal/import", "", "host"},
		{"user info", "admin@hooks.internal", "", "host"},
		{"bracketed IPv6", "[::1]", "", "host"},
		{"IPv6 not canonical", "0:0:0:0:0:0:0:1", "", "host"},
		{"IPv6 with zone", "fe80::1%eth0", "", "host"},
		{"space", "hooks internal", "", "host"},
		{"underscore", "hooks_internal", "", "host"},
		{"final dot", "hooks.internal.", "", "host"},
		{"empty label", "hooks..internal", "", "host"},
		{"leading hyphen", "-hooks.internal", "", "host"},
		{"unicode", "bücher.example", "", "host"},
		{"label too long", strings.Repeat("a", 64) + ".example", "", "host"},
		{"too long", strings.Repeat("abcdefgh.", 28) + "example", "", "host"},
		{"note too long", "hooks.internal", strings.Repeat("x", 501), "note"},
		{"note with a control character", "hooks.internal", "line\nbreak", "note"},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tt := range tests {
			_, _, err := e.svc.AddAllowedHost(ctx, admin, service.NewAllowedHost{Host: tt.host, Note: tt.note})
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("%s: AddAllowedHost(%q) = %v, want it added", tt.name, tt.host, err)
				}
				continue
			}
			t.Run(tt.name, func(t *testing.T) { wantError(t, err, service.EINVALID, tt.wantField) })
			if tt.wantField == "host" {
				t.Run(tt.name+", removing", func(t *testing.T) {
					wantError(t, e.svc.RemoveAllowedHost(ctx, admin, tt.host), service.EINVALID, "host")
				})
			}
		}
	})
}

// TestFixedAllowHostsAreChecked: the service refuses to start on an operator's entry that could never match a
// recipient's host, and names the variable.
func TestFixedAllowHostsAreChecked(t *testing.T) {
	st := storetest.MustOpen(t, storetest.SQLite(t), storetest.NewClock(testNow).Now)
	for _, entry := range []string{"https://hooks.internal", "hooks.internal:8443", "hooks.internal/x", "[::1]"} {
		_, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: time.Now,
			TransmitAllowHosts: []string{"fine.internal", entry}})
		if err == nil || !strings.Contains(err.Error(), "RIGHTSDESK_TRANSMIT_ALLOW_HOSTS") || !strings.Contains(err.Error(), entry) {
			t.Errorf("service.New with allow-list entry %q: %v, want an error naming the variable and the entry", entry, err)
		}
	}
}

// TestTransmissionCarriesTheCurrentAllowList: every delivery carries the allow-list as it stands at that attempt,
// the operator's entries and the admins', so that a change applies to the next attempt without a restart.
func TestTransmissionCarriesTheCurrentAllowList(t *testing.T) {
	rec := &recordingTransmitter{}
	forEachConfiguredDB(t, service.Config{Transmitter: rec, TransmitAllowHosts: []string{"HR.internal"}},
		func(t *testing.T, e *env, _ storetest.DB) {
			ctx := context.Background()
			rec.got = nil
			transmitOne := func() service.Delivery {
				t.Helper()
				r := e.mustFileInProgress(t, validFiling(service.TypePortability))
				e.mustAttach(t, r.ID, exportFiles)
				e.mustReply(t, r.ID, fulfilReply)
				before := len(rec.got)
				if res, err := e.svc.Transmit(ctx); err != nil || res.Delivered != 1 {
					t.Fatalf("Transmit = %+v, %v; want one delivered", res, err)
				}
				if len(rec.got) != before+1 {
					t.Fatalf("%d deliveries, want %d", len(rec.got), before+1)
				}
				return rec.got[len(rec.got)-1]
			}
			if got, want := transmitOne().AllowedHosts, []string{"hr.internal"}; !cmp.Equal(got, want) {
				t.Errorf("first delivery's allow-list %v, want %v", got, want)
			}
			if _, _, err := e.svc.AddAllowedHost(ctx, admin, service.NewAllowedHost{Host: "10.0.0.7"}); err != nil {
				t.Fatal(err)
			}
			if got, want := transmitOne().AllowedHosts, []string{"10.0.0.7", "hr.internal"}; !cmp.Equal(got, want) {
				t.Errorf("after adding: delivery's allow-list %v, want %v", got, want)
			}
			if err := e.svc.RemoveAllowedHost(ctx, admin, "10.0.0.7"); err != nil {
				t.Fatal(err)
			}
			if got, want := transmitOne().AllowedHosts, []string{"hr.internal"}; !cmp.Equal(got, want) {
				t.Errorf("after removing: delivery's allow-list %v, want %v", got, want)
			}
		})
}
