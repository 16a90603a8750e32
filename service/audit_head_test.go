package service_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// After a rewind, chaining a new event onto the forged head would give the shortened chain a valid MAC and
// hide the truncation for good: appends refuse, and verification keeps reporting it.
func TestAppendRefusesARewoundHead(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		evs := mustChain(t, e)
		raw := storetest.Raw(t, e.db)
		mustExec(t, raw, "DELETE FROM audit_events WHERE seq > 17")
		mustExec(t, raw, "UPDATE audit_head SET seq = 17, hash = $1", evs[16].Hash)
		if _, err := e.svc.CreatePrincipal(context.Background(), admin,
			service.NewPrincipal{Name: "Li Si", Email: "li.si@staff.example", Role: service.RoleOfficer}); err == nil {
			t.Errorf("an audited change succeeded on a rewound head")
		}
		want := faultAfter(17, 17, service.AuditHeadUnauthenticated)
		want.FirstBad.EventID = evs[16].ID
		if diff := cmp.Diff(want, mustVerify(t, e.svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit (-want +got):\n%s", diff)
		}
	})
}

// The verification names the head it checked, to be recorded outside the database.
func TestVerifyAuditNamesItsHead(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		evs := mustChain(t, e)
		v, err := e.svc.VerifyAudit(context.Background(), auditor)
		if err != nil || !v.OK {
			t.Fatalf("VerifyAudit = %+v, %v", v, err)
		}
		last := evs[len(evs)-1]
		if want := (service.AuditHead{Seq: last.Seq, Hash: last.Hash}); v.Head != want {
			t.Errorf("head = %+v, want %+v", v.Head, want)
		}
	})
}

// A database of an older version has a head without a MAC: the service keys it when it starts and says so;
// `keys rotate` moves the MAC to the new key, and a service with only the new key verifies the chain.
func TestAuditHeadKeyedOnUpgradeAndRotated(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		mustChain(t, e)
		mustExec(t, storetest.Raw(t, e.db), "UPDATE audit_head SET mac = ''") // as migration 00013 leaves it
		old, err := service.NewKeys(bytes.Repeat([]byte{1}, 32))
		if err != nil {
			t.Fatal(err)
		}
		svc := keyedService(t, e, old)
		if head, ok := svc.HeadKeyedAtStart(); !ok || head.Seq != chainLen {
			t.Errorf("HeadKeyedAtStart = %+v, %v; want the head of %d events", head, ok, chainLen)
		}
		if v := mustVerify(t, svc, auditor); !v.OK {
			t.Errorf("VerifyAudit after keying = %+v", v)
		}
		if _, ok := keyedService(t, e, old).HeadKeyedAtStart(); ok {
			t.Errorf("a second start keyed the head again")
		}

		// Rotation: the new key current, the old one previous.
		rotated, err := service.NewKeyring(bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{1}, 32))
		if err != nil {
			t.Fatal(err)
		}
		during := keyedService(t, e, rotated)
		if v := mustVerify(t, during, auditor); !v.OK {
			t.Errorf("VerifyAudit with the old key previous = %+v", v)
		}
		if ok, err := during.RekeyAuditHead(context.Background()); err != nil || !ok {
			t.Fatalf("RekeyAuditHead = %v, %v", ok, err)
		}
		onlyNew, err := service.NewKeyring(bytes.Repeat([]byte{2}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if v := mustVerify(t, keyedService(t, e, onlyNew), auditor); !v.OK {
			t.Errorf("VerifyAudit with the new key alone = %+v", v)
		}
		// Without the key that wrote the head, the head does not verify.
		if v := mustVerify(t, keyedService(t, e, old), auditor); v.OK {
			t.Errorf("VerifyAudit with the old key alone = OK, want the head unauthenticated")
		}
	})
}

func keyedService(tb testing.TB, e *env, k *service.Keys) *service.Service {
	tb.Helper()
	svc, err := service.New(context.Background(), service.Config{Store: e.store, Now: e.clock.Now, Keys: k})
	if err != nil {
		tb.Fatalf("service.New: %v", err)
	}
	return svc
}
