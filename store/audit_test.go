package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// lockedHead reads the audit head in a transaction of its own.
func lockedHead(tb testing.TB, st service.Store) service.AuditHead {
	tb.Helper()
	var head service.AuditHead
	err := st.WithTx(context.Background(), func(tx service.Store) error {
		var err error
		head, err = tx.LockAuditHead(context.Background())
		return err
	})
	if err != nil {
		tb.Fatalf("LockAuditHead: %v", err)
	}
	return head
}

// event is the seq'th event of a chain whose hashes are "h<seq>".
func event(seq int64, requestID string, data map[string]string) *service.Event {
	return &service.Event{
		ID: fmt.Sprintf("e-%d", seq), Seq: seq,
		At:      time.Date(2026, 3, 2, 10, 0, 0, 0, cst).Add(time.Duration(seq) * 1001 * time.Microsecond),
		ActorID: "u-officer", Action: "request.updated", RequestID: requestID, Data: data,
		PrevHash: fmt.Sprintf("h%d", seq-1), Hash: fmt.Sprintf("h%d", seq),
	}
}

// appendEvents appends events one transaction each, checking each against the head.
func appendEvents(tb testing.TB, st service.Store, events ...*service.Event) {
	tb.Helper()
	ctx := context.Background()
	for _, e := range events {
		err := st.WithTx(ctx, func(tx service.Store) error {
			head, err := tx.LockAuditHead(ctx)
			if err != nil {
				return err
			}
			if head.Seq != e.Seq-1 {
				return fmt.Errorf("head is %d before event %d", head.Seq, e.Seq)
			}
			return tx.AppendEvent(ctx, e, "")
		})
		if err != nil {
			tb.Fatalf("append event %d: %v", e.Seq, err)
		}
	}
}

func TestLockAuditHeadOutsideTx(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			if head, err := st.LockAuditHead(t.Context()); err == nil {
				t.Errorf("LockAuditHead outside WithTx = %+v, nil; want an error", head)
			}
		})
	}
}

func TestAuditHeadAdvances(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if diff := cmp.Diff(service.AuditHead{Seq: 0, Hash: ""}, lockedHead(t, st)); diff != "" {
				t.Errorf("head of an empty chain (-want +got):\n%s", diff)
			}
			err := st.WithTx(ctx, func(tx service.Store) error {
				for seq := int64(1); seq <= 2; seq++ {
					if err := tx.AppendEvent(ctx, event(seq, "", nil), ""); err != nil {
						return err
					}
					head, err := tx.LockAuditHead(ctx)
					if err != nil {
						return err
					}
					if diff := cmp.Diff(service.AuditHead{Seq: seq, Hash: fmt.Sprintf("h%d", seq)}, head); diff != "" {
						t.Errorf("head inside the transaction after event %d (-want +got):\n%s", seq, diff)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("WithTx: %v", err)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 2, Hash: "h2"}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after commit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendEventOutOfSequence(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			appendEvents(t, st, event(1, "r-1", nil), event(2, "r-1", nil))

			for _, tc := range []struct {
				name string
				e    *service.Event
			}{
				{"gap", event(4, "r-1", nil)},
				{"stale", event(2, "r-1", nil)},
				{"behind", event(1, "r-1", nil)},
				{"far behind", event(0, "r-1", nil)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tc.e.ID = "e-" + tc.name // a fresh ID, so only the sequence can be at fault
					err := st.WithTx(ctx, func(tx service.Store) error { return tx.AppendEvent(ctx, tc.e, "") })
					if err == nil {
						t.Fatalf("AppendEvent with seq %d after head 2 succeeded", tc.e.Seq)
					}
				})
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 2, Hash: "h2"}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after rejected appends (-want +got):\n%s", diff)
			}
			got, err := st.RequestEvents(ctx, "r-1")
			if err != nil {
				t.Fatalf("RequestEvents: %v", err)
			}
			if diff := cmp.Diff([]*service.Event{event(1, "r-1", nil), event(2, "r-1", nil)}, got); diff != "" {
				t.Errorf("events after rejected appends (-want +got):\n%s", diff)
			}
		})
	}
}

// AppendEvent is not documented as transaction-only: outside WithTx, a failed append must not leave its event
// behind, or the chain holds an event the head does not cover and a later append of that seq fails for good.
func TestAppendEventOutsideTxFailsWhole(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			appendEvents(t, st, event(1, "r-1", nil))
			if err := st.AppendEvent(ctx, event(3, "r-1", nil), ""); err == nil {
				t.Fatalf("AppendEvent with seq 3 after head 1 succeeded")
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 1, Hash: "h1"}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after a rejected append (-want +got):\n%s", diff)
			}
			got, err := st.RequestEvents(ctx, "r-1")
			if err != nil {
				t.Fatalf("RequestEvents: %v", err)
			}
			if diff := cmp.Diff([]*service.Event{event(1, "r-1", nil)}, got); diff != "" {
				t.Errorf("events after a rejected append outside WithTx (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestEvents(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, err := st.RequestEvents(ctx, "r-a"); err != nil || len(got) != 0 {
				t.Fatalf("RequestEvents before any = %v, %v; want none", got, err)
			}
			all := []*service.Event{
				event(1, "r-a", map[string]string{"reference": "DSR-2026-000001", "status": "open"}),
				event(2, "r-b", map[string]string{"status": "open"}),
				event(3, "", map[string]string{"token": "t-1"}), // about no request
				event(4, "r-a", map[string]string{"from": "open", "to": "in_progress", "quote": `"\n<&>`}),
				event(5, "r-a", nil),
				event(6, "r-b", map[string]string{}),
				event(7, "r-a", map[string]string{"note": "中文"}),
			}
			appendEvents(t, st, all...)

			for _, tc := range []struct {
				requestID string
				want      []*service.Event
			}{
				{"r-a", []*service.Event{all[0], all[3], all[4], all[6]}},
				{"r-b", []*service.Event{all[1], all[5]}},
				{"r-none", []*service.Event{}},
			} {
				got, err := st.RequestEvents(ctx, tc.requestID)
				if err != nil {
					t.Fatalf("RequestEvents(%s): %v", tc.requestID, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("RequestEvents(%s) (-want +got):\n%s", tc.requestID, diff)
				}
				for _, e := range got {
					if e.At.Location() != time.UTC {
						t.Errorf("event %d At in %v, want UTC", e.Seq, e.At.Location())
					}
				}
			}
		})
	}
}

// Appends from many goroutines, on two stores of one database (two processes), serialise on the head: none is
// lost, none fails. A transaction that reads the head before writing must hold the lock from its start.
func TestAuditAppendsConcurrent(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			stores := []service.Store{st, storetest.MustOpen(t, db, clock)}
			const n = 20
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					st := stores[i%len(stores)]
					err := st.WithTx(ctx, func(tx service.Store) error {
						head, err := tx.LockAuditHead(ctx)
						if err != nil {
							return err
						}
						e := event(head.Seq+1, "r-1", map[string]string{"writer": fmt.Sprint(i)})
						e.PrevHash = head.Hash
						return tx.AppendEvent(ctx, e, "")
					})
					if err != nil {
						t.Errorf("writer %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			got, err := st.RequestEvents(ctx, "r-1")
			if err != nil {
				t.Fatalf("RequestEvents: %v", err)
			}
			if len(got) != n {
				t.Fatalf("%d events after %d concurrent appends, want %d", len(got), n, n)
			}
			writers := map[string]bool{}
			prev := ""
			for i, e := range got {
				if e.Seq != int64(i+1) {
					t.Errorf("event %d has seq %d, want %d", i, e.Seq, i+1)
				}
				if e.PrevHash != prev {
					t.Errorf("event %d chains to %q, want %q", e.Seq, e.PrevHash, prev)
				}
				prev = e.Hash
				writers[e.Data["writer"]] = true
			}
			if len(writers) != n {
				t.Errorf("events from %d distinct writers, want %d", len(writers), n)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: n, Hash: fmt.Sprintf("h%d", n)}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after concurrent appends (-want +got):\n%s", diff)
			}
		})
	}
}

// AppendEvents writes a run of events in multi-row inserts (more than one, past maxEventsPerInsert) and moves
// the head once; a run that does not follow the head, or whose links break, writes nothing.
func TestAppendEventsInGroups(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			appendEvents(t, st, event(1, "r-1", nil))

			var run []*service.Event
			for seq := int64(2); seq <= 151; seq++ {
				requestID, data := "", map[string]string(nil)
				if seq%3 == 0 {
					requestID, data = "r-2", map[string]string{"reference": fmt.Sprintf("DSR-2026-%06d", seq)}
				}
				run = append(run, event(seq, requestID, data))
			}
			err := st.WithTx(ctx, func(tx service.Store) error {
				if _, err := tx.LockAuditHead(ctx); err != nil {
					return err
				}
				return tx.AppendEvents(ctx, run, "mac-151")
			})
			if err != nil {
				t.Fatalf("AppendEvents of %d: %v", len(run), err)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 151, Hash: "h151", MAC: "mac-151"}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after the run (-want +got):\n%s", diff)
			}
			got, err := st.AuditEventsAfter(ctx, 0, 1000)
			if err != nil {
				t.Fatalf("AuditEventsAfter: %v", err)
			}
			if diff := cmp.Diff(append([]*service.Event{event(1, "r-1", nil)}, run...), got); diff != "" {
				t.Errorf("events after the run (-want +got):\n%s", diff)
			}

			broken := []*service.Event{event(152, "", nil), event(153, "", nil)}
			broken[1].PrevHash = "not-h152"
			for _, tc := range []struct {
				name string
				run  []*service.Event
			}{
				{"stale", []*service.Event{event(151, "", nil), event(152, "", nil)}},
				{"gap", []*service.Event{event(153, "", nil), event(154, "", nil)}},
				{"broken link", broken},
				{"seq skipped inside", []*service.Event{event(152, "", nil), event(154, "", nil)}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, e := range tc.run {
						e.ID = "e-" + tc.name + e.ID // fresh IDs, so only the sequence can be at fault
					}
					err := st.WithTx(ctx, func(tx service.Store) error { return tx.AppendEvents(ctx, tc.run, "") })
					if err == nil {
						t.Fatalf("AppendEvents of %d..%d after head 151 succeeded", tc.run[0].Seq, tc.run[len(tc.run)-1].Seq)
					}
				})
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 151, Hash: "h151", MAC: "mac-151"}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after rejected runs (-want +got):\n%s", diff)
			}
			if got, err := st.AuditEventsAfter(ctx, 151, 10); err != nil || len(got) != 0 {
				t.Errorf("events after rejected runs = %d, %v; want none", len(got), err)
			}
			if err := st.AppendEvents(ctx, []*service.Event{event(152, "", nil)}, ""); err == nil {
				t.Errorf("AppendEvents outside a transaction succeeded")
			}
		})
	}
}
