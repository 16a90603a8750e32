package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

var errRollback = errors.New("roll back, please")

// nextSeq runs NextReferenceSeq in a transaction of its own.
func nextSeq(ctx context.Context, st service.Store, year int) (int64, error) {
	var n int64
	err := st.WithTx(ctx, func(tx service.Store) error {
		var err error
		n, err = tx.NextReferenceSeq(ctx, year)
		return err
	})
	return n, err
}

func TestNextReferenceSeq(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			var got []int64
			for _, year := range []int{2026, 2026, 2027, 2026, 2027, 2025} {
				n, err := nextSeq(ctx, st, year)
				if err != nil {
					t.Fatalf("NextReferenceSeq(%d): %v", year, err)
				}
				got = append(got, n)
			}
			if diff := cmp.Diff([]int64{1, 2, 1, 3, 2, 1}, got); diff != "" {
				t.Errorf("sequence (-want +got):\n%s", diff)
			}

			// Several numbers in one transaction, and a rolled-back transaction gives its numbers back.
			err := st.WithTx(ctx, func(tx service.Store) error {
				for want := int64(4); want <= 5; want++ {
					n, err := tx.NextReferenceSeq(ctx, 2026)
					if err != nil {
						return err
					}
					if n != want {
						t.Errorf("NextReferenceSeq(2026) in a transaction = %d, want %d", n, want)
					}
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("WithTx = %v, want errRollback", err)
			}
			n, err := nextSeq(ctx, st, 2026)
			if err != nil {
				t.Fatalf("NextReferenceSeq(2026): %v", err)
			}
			if got, want := n, int64(4); got != want {
				t.Errorf("NextReferenceSeq(2026) after a rollback = %d, want %d", got, want)
			}
		})
	}
}

// concurrentSeqs runs n goroutines, each taking one number of 2026 from one of stores in its own transaction.
func concurrentSeqs(tb testing.TB, ctx context.Context, stores []*store.Store, n int) []int64 {
	tb.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seqs []int64
	)
	for i := range n {
		st := stores[i%len(stores)]
		wg.Go(func() {
			v, err := nextSeq(ctx, st, 2026)
			if err != nil {
				if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
					tb.Errorf("goroutine %d: %v (writers must queue, not fail)", i, err)
				} else {
					tb.Errorf("goroutine %d: %v", i, err)
				}
				return
			}
			mu.Lock()
			seqs = append(seqs, v)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(seqs)
	return seqs
}

func oneTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestNextReferenceSeqConcurrent(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			got := concurrentSeqs(t, t.Context(), []*store.Store{st}, 20)
			if diff := cmp.Diff(oneTo(20), got); diff != "" {
				t.Errorf("numbers taken by 20 goroutines (-want +got):\n%s", diff)
			}
		})
	}
}

// Two stores on one database, as two processes on one SQLite file: the busy timeout and IMMEDIATE transactions
// queue their writers too.
func TestNextReferenceSeqConcurrentTwoStores(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			a := storetest.MustOpen(t, db, clock)
			b := storetest.MustOpen(t, db, clock)
			got := concurrentSeqs(t, t.Context(), []*store.Store{a, b}, 20)
			if diff := cmp.Diff(oneTo(20), got); diff != "" {
				t.Errorf("numbers taken by 20 goroutines on two stores (-want +got):\n%s", diff)
			}
		})
	}
}

// Filing as the service does it: number, insert, audit, in one transaction, while others read.
func TestConcurrentFilingsWithReaders(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			const n = 16
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					err := st.WithTx(ctx, func(tx service.Store) error {
						seq, err := tx.NextReferenceSeq(ctx, 2026)
						if err != nil {
							return err
						}
						r := minimalRequest(fmt.Sprintf("r-%02d", i), fmt.Sprintf("DSR-2026-%06d", seq))
						if err := tx.CreateRequest(ctx, r); err != nil {
							return err
						}
						head, err := tx.LockAuditHead(ctx)
						if err != nil {
							return err
						}
						return tx.AppendEvent(ctx, &service.Event{ID: "e-" + r.ID, Seq: head.Seq + 1, At: testNow,
							ActorID: "u-intake", Action: "request.filed", RequestID: r.ID,
							PrevHash: head.Hash, Hash: fmt.Sprintf("h-%d", head.Seq+1)}, "")
					})
					if err != nil {
						t.Errorf("filing %d: %v", i, err)
					}
				})
				wg.Go(func() {
					if _, err := st.ListRequests(ctx, service.RequestFilter{Limit: 50}); err != nil {
						t.Errorf("reader %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			list, err := st.ListRequests(ctx, service.RequestFilter{Limit: 50})
			if err != nil {
				t.Fatalf("ListRequests: %v", err)
			}
			var refs []string
			for _, r := range list {
				refs = append(refs, r.Reference)
			}
			slices.Sort(refs)
			var want []string
			for i := range n {
				want = append(want, fmt.Sprintf("DSR-2026-%06d", i+1))
			}
			if diff := cmp.Diff(want, refs); diff != "" {
				t.Errorf("references filed (-want +got):\n%s", diff)
			}
			head := lockedHead(t, st)
			if got, want := head.Seq, int64(n); got != want {
				t.Errorf("audit head after %d filings = %d, want %d", n, got, want)
			}
		})
	}
}

func TestWithTxRollback(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			err := st.WithTx(ctx, func(tx service.Store) error {
				if err := tx.CreateRequest(ctx, fullRequest("r-1", "DSR-2026-000001")); err != nil {
					return err
				}
				if err := tx.CreateUser(ctx, &service.User{ID: "u-1", Name: "Ann", Role: service.RoleAdmin,
					CreatedAt: testNow}); err != nil {
					return err
				}
				// The transaction sees its own writes.
				if _, err := tx.FindRequest(ctx, "r-1"); err != nil {
					t.Errorf("FindRequest inside the transaction: %v", err)
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Errorf("WithTx = %v, want an error wrapping errRollback", err)
			}
			_, err = st.FindRequest(ctx, "r-1")
			wantCode(t, "FindRequest after rollback", err, service.ENOTFOUND)
			_, err = st.FindUser(ctx, "u-1")
			wantCode(t, "FindUser after rollback", err, service.ENOTFOUND)

			// A service error from fn keeps its code.
			err = st.WithTx(ctx, func(tx service.Store) error {
				mustCreate(t, tx, minimalRequest("r-2", "DSR-2026-000002"))
				return service.Errorf(service.EINVALID, "no")
			})
			wantCode(t, "WithTx returning EINVALID", err, service.EINVALID)
			_, err = st.FindRequest(ctx, "r-2")
			wantCode(t, "FindRequest after rollback", err, service.ENOTFOUND)

			// The writer is usable afterwards, and a nil fn result commits.
			if err := st.WithTx(ctx, func(tx service.Store) error {
				return tx.CreateRequest(ctx, minimalRequest("r-3", "DSR-2026-000003"))
			}); err != nil {
				t.Fatalf("WithTx: %v", err)
			}
			if _, err := st.FindRequest(ctx, "r-3"); err != nil {
				t.Errorf("FindRequest after commit: %v", err)
			}
		})
	}
}

func TestWithTxRollsBackOnPanic(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			func() {
				defer func() {
					if v := recover(); v != "boom" {
						t.Errorf("recovered %v, want the panic of fn", v)
					}
				}()
				_ = st.WithTx(ctx, func(tx service.Store) error {
					mustCreate(t, tx, minimalRequest("r-1", "DSR-2026-000001"))
					panic("boom")
				})
			}()
			_, err := st.FindRequest(ctx, "r-1")
			wantCode(t, "FindRequest after a panic", err, service.ENOTFOUND)
			// The writer is not left inside the dead transaction.
			if n, err := nextSeq(ctx, st, 2026); err != nil || n != 1 {
				t.Errorf("NextReferenceSeq after a panic = %d, %v; want 1, nil", n, err)
			}
		})
	}
}

func TestWithTxNested(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)

			// Inner and outer are one transaction: the inner sees the outer's writes, the outer sees the inner's,
			// outsiders see neither, and the outer's error rolls back both.
			err := st.WithTx(ctx, func(outer service.Store) error {
				mustCreate(t, outer, minimalRequest("r-outer", "DSR-2026-000001"))
				err := outer.WithTx(ctx, func(inner service.Store) error {
					if _, err := inner.FindRequest(ctx, "r-outer"); err != nil {
						t.Errorf("inner FindRequest(r-outer): %v", err)
					}
					if _, err := inner.LockAuditHead(ctx); err != nil {
						t.Errorf("LockAuditHead in a nested WithTx: %v", err)
					}
					return inner.CreateRequest(ctx, minimalRequest("r-inner", "DSR-2026-000002"))
				})
				if err != nil {
					return err
				}
				if _, err := outer.FindRequest(ctx, "r-inner"); err != nil {
					t.Errorf("outer FindRequest(r-inner): %v", err)
				}
				if _, err := st.FindRequest(ctx, "r-outer"); service.ErrorCode(err) != service.ENOTFOUND {
					t.Errorf("outside the transaction, FindRequest(r-outer) = %v, want ENOTFOUND", err)
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("WithTx = %v, want errRollback", err)
			}
			for _, id := range []string{"r-outer", "r-inner"} {
				_, err := st.FindRequest(ctx, id)
				wantCode(t, "FindRequest("+id+") after the outer rollback", err, service.ENOTFOUND)
			}

			// An inner error returned by the outer rolls back the outer's writes too.
			err = st.WithTx(ctx, func(outer service.Store) error {
				mustCreate(t, outer, minimalRequest("r-outer", "DSR-2026-000001"))
				return outer.WithTx(ctx, func(inner service.Store) error {
					mustCreate(t, inner, minimalRequest("r-inner", "DSR-2026-000002"))
					return errRollback
				})
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("WithTx = %v, want errRollback", err)
			}
			for _, id := range []string{"r-outer", "r-inner"} {
				_, err := st.FindRequest(ctx, id)
				wantCode(t, "FindRequest("+id+") after the inner error", err, service.ENOTFOUND)
			}

			// And both commit together.
			err = st.WithTx(ctx, func(outer service.Store) error {
				mustCreate(t, outer, minimalRequest("r-outer", "DSR-2026-000001"))
				return outer.WithTx(ctx, func(inner service.Store) error {
					return inner.CreateRequest(ctx, minimalRequest("r-inner", "DSR-2026-000002"))
				})
			})
			if err != nil {
				t.Fatalf("WithTx: %v", err)
			}
			for _, id := range []string{"r-outer", "r-inner"} {
				if _, err := st.FindRequest(ctx, id); err != nil {
					t.Errorf("FindRequest(%s) after commit: %v", id, err)
				}
			}
		})
	}
}
