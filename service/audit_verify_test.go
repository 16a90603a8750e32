package service_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// chainLen is how many events mustChain appends.
const chainLen = 20

// mustChain fills e's audit chain with chainLen events of real operations and returns them, in Seq order.
func mustChain(tb testing.TB, e *env) []*service.Event {
	tb.Helper()
	ctx := context.Background()
	tick := func() { e.clock.Set(e.clock.Now().Add(1500 * time.Millisecond)) }
	if _, err := e.svc.EnsureAdmin(ctx, ""); err != nil { // 1
		tb.Fatalf("EnsureAdmin: %v", err)
	}
	for _, np := range []service.NewPrincipal{ // 2, 3
		{Name: "Zhang San", Email: "zhang@staff.example", Role: service.RoleOfficer},
		{Name: "Audit Office", Role: service.RoleAuditor, TokenName: "audit"},
	} {
		tick()
		if _, err := e.svc.CreatePrincipal(ctx, admin, np); err != nil {
			tb.Fatalf("CreatePrincipal: %v", err)
		}
	}
	var ids []string
	for _, typ := range []service.RequestType{service.TypeAccess, service.TypeDeletion, service.TypeAccess,
		service.TypeDeletion, service.TypeAccess} { // 4 to 8
		tick()
		cmd := validFiling(typ)
		if typ == service.TypeDeletion {
			cmd = deletionCmd()
		}
		ids = append(ids, e.mustFile(tb, admin, cmd).ID)
	}
	for i := range 12 { // 9 to 20
		tick()
		reader := auditor
		if i%3 == 0 {
			reader = admin
		}
		e.mustRead(tb, reader, ids[i%len(ids)])
	}
	evs, err := e.store.AuditEventsAfter(ctx, 0, 2*chainLen)
	if err != nil {
		tb.Fatalf("AuditEventsAfter: %v", err)
	}
	if len(evs) != chainLen {
		tb.Fatalf("%d events %v, want %d", len(evs), actions(evs), chainLen)
	}
	return evs
}

// mustVerify verifies the audit chain as a.
func mustVerify(tb testing.TB, svc *service.Service, a service.Actor) service.AuditVerification {
	tb.Helper()
	v, err := svc.VerifyAudit(context.Background(), a)
	if err != nil {
		tb.Fatalf("VerifyAudit: %v", err)
	}
	v.Head = service.AuditHead{} // TestVerifyAuditNamesItsHead checks it
	return v
}

// mustExec runs a statement on raw; placeholders are $1, $2… in order, which both dialects read.
func mustExec(tb testing.TB, raw *sql.DB, query string, args ...any) {
	tb.Helper()
	if _, err := raw.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

func TestVerifyAuditIntact(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		want := service.AuditVerification{OK: true, Checked: 0}
		if diff := cmp.Diff(want, mustVerify(t, e.svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit of an empty chain (-want +got):\n%s", diff)
		}
		mustChain(t, e)
		want = service.AuditVerification{OK: true, Checked: chainLen}
		for _, a := range []service.Actor{auditor, admin} {
			if diff := cmp.Diff(want, mustVerify(t, e.svc, a)); diff != "" {
				t.Errorf("VerifyAudit as %s (-want +got):\n%s", a.Role, diff)
			}
		}
		// Verifying reads: it appends nothing to the chain.
		head, err := e.store.AuditHeadNow(context.Background())
		if err != nil || head.Seq != chainLen {
			t.Errorf("head after verifying = %+v, %v; want seq %d", head, err, chainLen)
		}
	})
}

func TestVerifyAuditForbidden(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	for _, a := range []service.Actor{officer, intake, integration, {UserID: "u-x", Role: "root"}} {
		_, err := e.svc.VerifyAudit(context.Background(), a)
		wantError(t, err, service.EFORBIDDEN)
	}
}

// Each case tampers with a chain of chainLen events directly in the database, bypassing the store, and names
// the fault verification must report first. Rewriting the head to match a truncated chain is detected by the
// head's MAC: only whoever holds the data key can rewrite history undetected.
func TestVerifyAuditDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, raw *sql.DB, evs []*service.Event)
		want   service.AuditVerification
		named  bool // FirstBad.EventID is the event at FirstBad.Seq
	}{
		{
			name: "data edited",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET data = $1 WHERE seq = 7", editedData(t, evs[6]))
			},
			want:  faultAfter(6, 7, service.AuditContentMismatch),
			named: true,
		},
		{
			name: "data edited and its hash recomputed",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				data := editedData(t, evs[6])
				forged := *evs[6]
				forged.Data = nil
				if err := json.Unmarshal([]byte(data), &forged.Data); err != nil {
					t.Fatal(err)
				}
				forged.Hash = service.EventHash(&forged)
				mustExec(t, raw, "UPDATE audit_events SET data = $1, hash = $2 WHERE seq = 7", data, forged.Hash)
			},
			want:  faultAfter(7, 8, service.AuditLinkMismatch),
			named: true,
		},
		{
			name: "data not JSON",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET data = 'not json' WHERE seq = 7")
			},
			want:  faultAfter(6, 7, service.AuditContentMismatch),
			named: true,
		},
		{
			name: "action of the first event",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET action = 'token.revoked' WHERE seq = 1")
			},
			want:  faultAfter(0, 1, service.AuditContentMismatch),
			named: true,
		},
		{
			name: "time of an event",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET at = $1 WHERE seq = 12", evs[11].At.Add(-time.Hour))
			},
			want:  faultAfter(11, 12, service.AuditContentMismatch),
			named: true,
		},
		{
			name: "link edited",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET prev_hash = $1 WHERE seq = 10", evs[7].Hash)
			},
			want:  faultAfter(9, 10, service.AuditContentMismatch), // the hash covers the link too
			named: true,
		},
		{
			name: "event deleted",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events WHERE seq = 5")
			},
			want: faultAfter(4, 5, service.AuditMissingEvent),
		},
		{
			name: "last event renumbered",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_events SET seq = 21 WHERE seq = 20")
			},
			want: faultAfter(19, 20, service.AuditMissingEvent),
		},
		{
			name: "last three events deleted",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events WHERE seq > 17")
			},
			want: faultAfter(17, chainLen, service.AuditHeadMismatch),
		},
		{
			name: "every event deleted",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events")
			},
			want: faultAfter(0, chainLen, service.AuditHeadMismatch),
		},
		{
			name: "head hash edited",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_head SET hash = $1", evs[18].Hash)
			},
			want:  faultAfter(chainLen, chainLen, service.AuditHeadMismatch),
			named: true,
		},
		{
			name: "head set back",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_head SET seq = 17, hash = $1", evs[16].Hash)
			},
			want:  faultAfter(17, 17, service.AuditHeadMismatch),
			named: true,
		},
		{
			name: "newest events deleted and the head rewound to the last one left",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events WHERE seq > 17")
				mustExec(t, raw, "UPDATE audit_head SET seq = 17, hash = $1", evs[16].Hash)
			},
			want:  faultAfter(17, 17, service.AuditHeadUnauthenticated),
			named: true,
		},
		{
			name: "newest events deleted, the head rewound and its MAC removed",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events WHERE seq > 17")
				mustExec(t, raw, "UPDATE audit_head SET seq = 17, hash = $1, mac = ''", evs[16].Hash)
			},
			want:  faultAfter(17, 17, service.AuditHeadUnauthenticated),
			named: true,
		},
		{
			name: "every event deleted and the head reset to empty",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_events")
				mustExec(t, raw, "UPDATE audit_head SET seq = 0, hash = ''")
			},
			want: faultAfter(0, 0, service.AuditHeadUnauthenticated),
		},
		{
			name: "head reset to empty",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "UPDATE audit_head SET seq = 0, hash = ''")
			},
			want: faultAfter(0, 0, service.AuditHeadMismatch),
		},
		{
			name: "head deleted",
			tamper: func(t *testing.T, raw *sql.DB, evs []*service.Event) {
				mustExec(t, raw, "DELETE FROM audit_head")
			},
			want: faultAfter(0, 0, service.AuditHeadMismatch),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, db := range storetest.Dialects(t) {
				t.Run(db.Dialect, func(t *testing.T) {
					e := mustEnv(t, db)
					evs := mustChain(t, e)
					tt.tamper(t, storetest.Raw(t, db), evs)
					want := tt.want
					if tt.named {
						bad := *want.FirstBad
						bad.EventID = evs[bad.Seq-1].ID
						want.FirstBad = &bad
					}
					if diff := cmp.Diff(want, mustVerify(t, e.svc, auditor)); diff != "" {
						t.Errorf("VerifyAudit (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// faultAfter is the verification of a chain found intact for checked events, then faulty at seq.
func faultAfter(checked, seq int64, reason string) service.AuditVerification {
	return service.AuditVerification{Checked: checked, FirstBad: &service.AuditFault{Seq: seq, Reason: reason}}
}

// editedData is ev's data, one value changed, as the store writes it.
func editedData(tb testing.TB, ev *service.Event) string {
	tb.Helper()
	data := map[string]string{"edited": "yes"}
	for k, v := range ev.Data {
		data[k] = v + "-edited"
	}
	b, err := json.Marshal(data)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// wrappedService is a service over st, a store wrapped to watch or steer what the service does.
func wrappedService(tb testing.TB, st service.Store, clk *storetest.Clock, keys *service.Keys) *service.Service {
	tb.Helper()
	svc, err := service.New(context.Background(), service.Config{Store: st, Keys: keys, Now: clk.Now})
	if err != nil {
		tb.Fatalf("service.New: %v", err)
	}
	return svc
}

// headHookStore runs afterHead once, right after the first read of the head.
type headHookStore struct {
	*store.Store
	afterHead func()
}

func (s *headHookStore) AuditHeadNow(ctx context.Context) (service.AuditHead, error) {
	head, err := s.Store.AuditHeadNow(ctx)
	if f := s.afterHead; f != nil {
		s.afterHead = nil
		f()
	}
	return head, err
}

// Events appended after verification read the head are left to the next verification, and are no fault.
func TestVerifyAuditStopsAtHead(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		evs := mustChain(t, e)
		hook := &headHookStore{Store: e.store, afterHead: func() {
			for range 3 {
				e.mustRead(t, auditor, evs[len(evs)-1].RequestID)
			}
		}}
		svc := wrappedService(t, hook, e.clock, storetest.KeysOf(e.store))
		want := service.AuditVerification{OK: true, Checked: chainLen}
		if diff := cmp.Diff(want, mustVerify(t, svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit with appends after reading the head (-want +got):\n%s", diff)
		}
		want = service.AuditVerification{OK: true, Checked: chainLen + 3}
		if diff := cmp.Diff(want, mustVerify(t, svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit after the appends (-want +got):\n%s", diff)
		}
	})
}

// batchCountingStore records the limit of every read of the chain.
type batchCountingStore struct {
	*store.Store
	limits []int
}

func (s *batchCountingStore) AuditEventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*service.Event, error) {
	s.limits = append(s.limits, limit)
	return s.Store.AuditEventsAfter(ctx, afterSeq, limit)
}

// Verification reads the chain in bounded batches, so that its memory does not grow with the chain.
func TestVerifyAuditReadsInBatches(t *testing.T) {
	const n = 2500
	forEachDB(t, func(t *testing.T, e *env) {
		mustAppendChain(t, e.store, n)
		counting := &batchCountingStore{Store: e.store}
		svc := wrappedService(t, counting, e.clock, storetest.KeysOf(e.store))
		want := service.AuditVerification{OK: true, Checked: n}
		if diff := cmp.Diff(want, mustVerify(t, svc, auditor)); diff != "" {
			t.Errorf("VerifyAudit (-want +got):\n%s", diff)
		}
		if len(counting.limits) > n/1000+2 {
			t.Errorf("%d reads of the chain %v, want at most %d", len(counting.limits), counting.limits, n/1000+2)
		}
		for _, limit := range counting.limits {
			if limit > 1000 {
				t.Errorf("a read of %d events (reads %v), want at most 1000", limit, counting.limits)
			}
		}
	})
}

// mustAppendChain appends n chained events in one transaction, quicker than n operations.
func mustAppendChain(tb testing.TB, st *store.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	err := st.WithTx(ctx, func(tx service.Store) error {
		head, err := tx.LockAuditHead(ctx)
		if err != nil {
			return err
		}
		prev := head.Hash
		if head.Seq == 0 {
			prev = fmt.Sprintf("%064d", 0)
		}
		for seq := head.Seq + 1; seq <= head.Seq+int64(n); seq++ {
			e := &service.Event{
				ID: "bulk-" + strconv.FormatInt(seq, 10), Seq: seq, At: testNow.Add(time.Duration(seq) * time.Millisecond),
				ActorID: auditor.UserID, Action: "request.read", RequestID: "r-bulk",
				Data: map[string]string{"n": strconv.FormatInt(seq, 10)}, PrevHash: prev,
			}
			e.Hash = service.EventHash(e)
			if err := tx.AppendEvent(ctx, e, storetest.KeysOf(st).HeadMAC(service.AuditHead{Seq: e.Seq, Hash: e.Hash})); err != nil {
				return err
			}
			prev = e.Hash
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("append %d events: %v", n, err)
	}
}

// BenchmarkVerifyAudit reports what verification allocates per event: the same for a short and a long chain,
// since it holds one batch at a time.
func BenchmarkVerifyAudit(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			e := mustEnv(b, storetest.SQLite(b))
			mustAppendChain(b, e.store, n)
			ctx := context.Background()
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				v, err := e.svc.VerifyAudit(ctx, auditor)
				if err != nil || !v.OK || v.Checked != int64(n) {
					b.Fatalf("VerifyAudit = %+v, %v; want OK with %d checked", v, err, n)
				}
			}
			runtime.ReadMemStats(&after)
			perEvent := float64(b.N) * float64(n)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/perEvent, "B/event")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/perEvent, "allocs/event")
		})
	}
}
