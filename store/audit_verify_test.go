package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

func TestAuditEventsAfter(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, err := st.AuditEventsAfter(ctx, 0, 10); err != nil || len(got) != 0 {
				t.Fatalf("AuditEventsAfter on an empty chain = %v, %v; want none", got, err)
			}
			all := []*service.Event{
				event(1, "r-a", map[string]string{"reference": "DSR-2026-000001"}),
				event(2, "", map[string]string{"token": "t-1"}),
				event(3, "r-b", nil),
				event(4, "r-a", map[string]string{"note": "中文", "quote": `"\n<&>`}),
				event(5, "r-b", map[string]string{}),
				event(6, "r-a", nil),
				event(7, "", nil),
			}
			appendEvents(t, st, all...)

			for _, tc := range []struct {
				name     string
				afterSeq int64
				limit    int
				want     []*service.Event
			}{
				{"first page", 0, 3, all[0:3]},
				{"middle page", 3, 3, all[3:6]},
				{"last, short page", 6, 3, all[6:]},
				{"after the last", 7, 3, []*service.Event{}},
				{"far after the last", 1000, 3, []*service.Event{}},
				{"before the first", -5, 2, all[0:2]},
				{"all at once", 0, 1000, all},
				{"one", 4, 1, all[4:5]},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := st.AuditEventsAfter(ctx, tc.afterSeq, tc.limit)
					if err != nil {
						t.Fatalf("AuditEventsAfter(%d, %d): %v", tc.afterSeq, tc.limit, err)
					}
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("AuditEventsAfter(%d, %d) (-want +got):\n%s", tc.afterSeq, tc.limit, diff)
					}
					for _, e := range got {
						if e.At.Location() != time.UTC {
							t.Errorf("event %d At in %v, want UTC", e.Seq, e.At.Location())
						}
					}
				})
			}

			// Paging by the last Seq read walks the whole chain once, in order.
			var seqs []int64
			for after := int64(0); ; {
				page, err := st.AuditEventsAfter(ctx, after, 2)
				if err != nil {
					t.Fatalf("AuditEventsAfter(%d, 2): %v", after, err)
				}
				for _, e := range page {
					seqs = append(seqs, e.Seq)
				}
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].Seq
			}
			if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 6, 7}, seqs); diff != "" {
				t.Errorf("paged seqs (-want +got):\n%s", diff)
			}

			for _, limit := range []int{0, -1} {
				if got, err := st.AuditEventsAfter(ctx, 0, limit); err == nil {
					t.Errorf("AuditEventsAfter(0, %d) = %v, nil; want an error", limit, got)
				}
			}
		})
	}
}

func TestAuditHeadNow(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			head, err := st.AuditHeadNow(ctx)
			if err != nil {
				t.Fatalf("AuditHeadNow: %v", err)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 0, Hash: ""}, head); diff != "" {
				t.Errorf("head of an empty chain (-want +got):\n%s", diff)
			}
			appendEvents(t, st, event(1, "r-a", nil), event(2, "r-a", nil), event(3, "", nil))
			head, err = st.AuditHeadNow(ctx)
			if err != nil {
				t.Fatalf("AuditHeadNow: %v", err)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 3, Hash: "h3"}, head); diff != "" {
				t.Errorf("head after three events (-want +got):\n%s", diff)
			}
		})
	}
}

// AuditHeadNow takes no lock: it answers the committed head while an append holds the head, without waiting
// for it.
func TestAuditHeadNowDoesNotWaitForAppends(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			appendEvents(t, st, event(1, "r-a", nil))
			err := st.WithTx(ctx, func(tx service.Store) error {
				if _, err := tx.LockAuditHead(ctx); err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, event(2, "r-a", nil), ""); err != nil {
					return err
				}
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				head, err := st.AuditHeadNow(rctx)
				if err != nil {
					return fmt.Errorf("AuditHeadNow while an append holds the head: %w", err)
				}
				if diff := cmp.Diff(service.AuditHead{Seq: 1, Hash: "h1"}, head); diff != "" {
					t.Errorf("head while an append is uncommitted (-want +got):\n%s", diff)
				}
				evs, err := st.AuditEventsAfter(rctx, 0, 10)
				if err != nil {
					return fmt.Errorf("AuditEventsAfter while an append holds the head: %w", err)
				}
				if diff := cmp.Diff([]*service.Event{event(1, "r-a", nil)}, evs); diff != "" {
					t.Errorf("events while an append is uncommitted (-want +got):\n%s", diff)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("WithTx: %v", err)
			}
			head, err := st.AuditHeadNow(ctx)
			if err != nil {
				t.Fatalf("AuditHeadNow: %v", err)
			}
			if diff := cmp.Diff(service.AuditHead{Seq: 2, Hash: "h2"}, head); diff != "" {
				t.Errorf("head after commit (-want +got):\n%s", diff)
			}
		})
	}
}
