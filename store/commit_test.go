package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// holdWriter starts a transaction that takes reference number 1 of 2030 and then waits for release, so that
// the transactions offered meanwhile queue for one group. It returns release and the held transaction's result.
func holdWriter(t *testing.T, st *store.Store) (release func(), result <-chan error) {
	t.Helper()
	ctx := t.Context()
	started, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.WithTx(ctx, func(tx service.Store) error {
			close(started)
			<-gate
			_, err := tx.NextReferenceSeq(ctx, 2030)
			return err
		})
	}()
	<-started
	return func() { close(gate) }, done
}

// waitQueued waits until n transactions wait for the next group.
func waitQueued(t *testing.T, st *store.Store, n int) {
	t.Helper()
	for store.QueuedTx(st) < n {
		if t.Context().Err() != nil {
			t.Fatalf("%d transactions queued, want %d", store.QueuedTx(st), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Transactions that arrive together commit in one database transaction, and each keeps its own outcome: one
// that fails or panics gives back what it did (its reference numbers too), the others commit.
func TestGroupCommitKeepsOutcomesApart(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			release, held := holdWriter(t, st)

			const n = 12
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				got     []int64
				errs    = make([]error, n)
				panics  = make([]any, n)
				outcome = func(i int) string { return [...]string{"commit", "error", "panic"}[i%3] }
			)
			for i := range n {
				wg.Go(func() {
					defer func() { panics[i] = recover() }()
					var seq int64
					errs[i] = st.WithTx(ctx, func(tx service.Store) error {
						var err error
						if seq, err = tx.NextReferenceSeq(ctx, 2030); err != nil {
							return err
						}
						switch outcome(i) {
						case "error":
							return errRollback
						case "panic":
							panic("boom")
						}
						return nil
					})
					if errs[i] == nil {
						mu.Lock()
						got = append(got, seq)
						mu.Unlock()
					}
				})
			}
			waitQueued(t, st, n)
			before := store.CommittedGroups(st)
			release()
			wg.Wait()
			if err := <-held; err != nil {
				t.Fatalf("held transaction: %v", err)
			}
			if got, want := store.CommittedGroups(st)-before, int64(2); got != want {
				t.Errorf("database transactions committed = %d, want %d (the held one, then one group of %d)", got, want, n)
			}
			for i := range n {
				switch outcome(i) {
				case "commit":
					if errs[i] != nil || panics[i] != nil {
						t.Errorf("transaction %d: error %v, panic %v; want it committed", i, errs[i], panics[i])
					}
				case "error":
					if !errors.Is(errs[i], errRollback) || panics[i] != nil {
						t.Errorf("transaction %d: error %v, panic %v; want its own error", i, errs[i], panics[i])
					}
				case "panic":
					if panics[i] != "boom" {
						t.Errorf("transaction %d: panic %v; want its own panic, in its own goroutine", i, panics[i])
					}
				}
			}
			// Numbers taken by the transactions that failed were given back: the committed ones are gapless.
			slices.Sort(got)
			if diff := cmp.Diff([]int64{2, 3, 4, 5}, got); diff != "" {
				t.Errorf("numbers committed by the group (-want +got):\n%s", diff)
			}
			if n, err := nextSeq(ctx, st, 2030); err != nil || n != 6 {
				t.Errorf("next number = %d, %v; want 6", n, err)
			}
		})
	}
}

// A caller that goes away while queued is answered with its context's error and its function never runs; one
// that goes away while its function runs cannot interrupt the group's transaction (on SQLite an interrupted
// write would roll back every transaction of the group).
func TestGroupCommitCancellation(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			release, held := holdWriter(t, st)

			queuedCtx, cancelQueued := context.WithCancel(ctx)
			ran := false
			queued := make(chan error, 1)
			go func() {
				queued <- st.WithTx(queuedCtx, func(tx service.Store) error { ran = true; return nil })
			}()
			waitQueued(t, st, 1)

			leavingCtx, leave := context.WithCancel(ctx)
			leaving := make(chan error, 1)
			go func() {
				leaving <- st.WithTx(leavingCtx, func(tx service.Store) error {
					if _, err := tx.NextReferenceSeq(leavingCtx, 2030); err != nil {
						return err
					}
					leave() // the client hangs up half way
					_, err := tx.NextReferenceSeq(leavingCtx, 2030)
					return err
				})
			}()
			other := make(chan error, 1)
			go func() {
				other <- st.WithTx(ctx, func(tx service.Store) error {
					_, err := tx.NextReferenceSeq(ctx, 2030)
					return err
				})
			}()
			waitQueued(t, st, 3)
			cancelQueued()
			release()
			if err := <-held; err != nil {
				t.Fatalf("held transaction: %v", err)
			}
			if err := <-queued; !errors.Is(err, context.Canceled) || ran {
				t.Errorf("transaction cancelled while queued: %v, ran %v; want context.Canceled and not run", err, ran)
			}
			if err := <-leaving; err != nil {
				t.Errorf("transaction whose caller left half way: %v; want it committed", err)
			}
			if err := <-other; err != nil {
				t.Errorf("other transaction of the group: %v", err)
			}
			if n, err := nextSeq(ctx, st, 2030); err != nil || n != 5 {
				t.Errorf("next number = %d, %v; want 5 (1 held, 2 by the one that left, 1 by the other)", n, err)
			}
		})
	}
}

// After Close, a transaction is refused rather than left waiting.
func TestWithTxAfterClose(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			err := st.WithTx(t.Context(), func(tx service.Store) error { return nil })
			if err == nil {
				t.Errorf("WithTx after Close = nil, want an error")
			}
		})
	}
}

// A transaction of a group that fails is answered only after the group's COMMIT, like the others: a filing
// retried twice at once loses the race on the idempotency key to one of its own group, and reads the winner's
// record next, which must be committed by then.
func TestGroupCommitAnswersFailuresAfterCommit(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			mustCreateInTx(t, st, fullRequest("r-1", "DSR-2026-000001"))
			release, held := holdWriter(t, st)

			rec := &service.IdempotencyRecord{Scope: "u-intake", Key: "retry-1", Fingerprint: "f", RequestID: "r-1",
				CreatedAt: testNow}
			winner := make(chan error, 1)
			go func() {
				winner <- st.WithTx(ctx, func(tx service.Store) error { return tx.CreateIdempotencyKey(ctx, rec) })
			}()
			waitQueued(t, st, 1)
			type seen struct {
				err   error
				found *service.IdempotencyRecord
			}
			loser := make(chan seen, 1)
			go func() {
				err := st.WithTx(ctx, func(tx service.Store) error { return tx.CreateIdempotencyKey(ctx, rec) })
				found, _ := st.FindIdempotencyKey(ctx, rec.Scope, rec.Key) // on the read pool, at once
				loser <- seen{err, found}
			}()
			waitQueued(t, st, 2)
			release()
			if err := <-held; err != nil {
				t.Fatalf("held transaction: %v", err)
			}
			if err := <-winner; err != nil {
				t.Fatalf("first insert: %v", err)
			}
			got := <-loser
			if service.ErrorCode(got.err) != service.ECONFLICT {
				t.Errorf("second insert: %v, want a conflict", got.err)
			}
			if got.found == nil || got.found.RequestID != rec.RequestID {
				t.Errorf("the loser read %+v when answered, want the winner's committed record", got.found)
			}
		})
	}
}

// The transactions of one group append to the audit chain as if one after the other: each finds the head its
// predecessors left and the events they appended to its request, one that rolls back takes its events and head
// with it, and the group writes the events of those that commit in order, the head once, at its end.
func TestGroupAppendsAuditEventsTogether(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			appendEvents(t, st, event(1, "r-1", nil))
			release, held := holdWriter(t, st)

			const n = 9
			seen := make([]int, n) // events of r-1 each transaction found
			fns := make([]func(service.Store) error, n)
			for i := range n {
				fns[i] = func(tx service.Store) error {
					head, err := tx.LockAuditHead(ctx)
					if err != nil {
						return err
					}
					e := event(head.Seq+1, "r-1", map[string]string{"tx": string(rune('a' + i))})
					e.ID = "e-tx-" + string(rune('a'+i))
					e.PrevHash = head.Hash
					if err := tx.AppendEvents(ctx, []*service.Event{e}, "mac-"+e.Hash); err != nil {
						return err
					}
					evs, err := tx.RequestEvents(ctx, "r-1")
					if err != nil {
						return err
					}
					seen[i] = len(evs)
					if i%3 == 1 {
						return errRollback
					}
					return nil
				}
			}
			// Offered one after the other, so that the group runs them in this order.
			answered := make([]chan error, n)
			for i, fn := range fns {
				answered[i] = make(chan error, 1)
				go func() { answered[i] <- st.WithTx(ctx, fn) }()
				waitQueued(t, st, i+1)
			}
			release()
			errs := make([]error, n)
			for i := range answered {
				errs[i] = <-answered[i]
			}
			if err := <-held; err != nil {
				t.Fatalf("held transaction: %v", err)
			}
			var wantSeen []int
			committed := 0
			for i, err := range errs {
				wantSeen = append(wantSeen, 1+committed+1)
				if i%3 == 1 {
					if !errors.Is(err, errRollback) {
						t.Errorf("transaction %d: %v, want its own error", i, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("transaction %d: %v, want it committed", i, err)
				}
				committed++
			}
			if diff := cmp.Diff(wantSeen, seen); diff != "" {
				t.Errorf("events of r-1 each transaction saw (-want +got):\n%s", diff)
			}
			got, err := st.AuditEventsAfter(ctx, 0, 100)
			if err != nil {
				t.Fatalf("AuditEventsAfter: %v", err)
			}
			var txs []string
			for i, e := range got {
				if e.Seq != int64(i+1) || (i > 0 && e.PrevHash != got[i-1].Hash) {
					t.Errorf("event %d: seq %d after %q, want seq %d after the previous hash", i, e.Seq, e.PrevHash, i+1)
				}
				txs = append(txs, e.Data["tx"])
			}
			if diff := cmp.Diff([]string{"", "a", "c", "d", "f", "g", "i"}, txs); diff != "" {
				t.Errorf("events stored, by transaction (-want +got):\n%s", diff)
			}
			last := got[len(got)-1]
			if diff := cmp.Diff(service.AuditHead{Seq: last.Seq, Hash: last.Hash, MAC: "mac-" + last.Hash}, lockedHead(t, st)); diff != "" {
				t.Errorf("head after the group (-want +got):\n%s", diff)
			}
		})
	}
}
