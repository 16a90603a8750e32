package store_test

import (
	"context"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// A queue's open requests are counted apart from its closed ones, and deleting it removes it and its members
// (ENOTFOUND the second time) and leaves its requests as they are.
func TestCountOpenQueueRequestsAndDeleteQueue(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.MustOpen(t, db, clock)
			fixture := listingFixture()
			mustCreate(t, st, fixture...)
			mustQueues(t, st)
			open := map[string]int{}
			for _, r := range fixture {
				if r.ClosedAt == nil {
					open[r.QueueID]++
				}
			}
			for _, q := range []string{"q-a", "q-b", "q-c"} {
				got, err := st.CountOpenQueueRequests(ctx, q)
				if err != nil || got != open[q] {
					t.Errorf("CountOpenQueueRequests(%s) = %d, %v; want %d", q, got, err, open[q])
				}
			}
			if open["q-a"] == 0 || open["q-c"] != 0 {
				t.Fatalf("the fixture no longer has open requests in q-a only: %v", open)
			}
			if err := st.DeleteQueue(ctx, "q-b"); err != nil {
				t.Fatalf("DeleteQueue: %v", err)
			}
			if _, err := st.FindQueue(ctx, "q-b"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("FindQueue after delete: %v, want ENOTFOUND", err)
			}
			if ids, err := st.UserQueueIDs(ctx, "u-bob"); err != nil || len(ids) != 1 || ids[0] != "q-a" {
				t.Errorf("u-bob's queues after delete: %v, %v; want [q-a]", ids, err)
			}
			if err := st.DeleteQueue(ctx, "q-b"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("DeleteQueue twice: %v, want ENOTFOUND", err)
			}
			if got, err := st.CountOpenQueueRequests(ctx, "q-b"); err != nil || got != open["q-b"] {
				t.Errorf("the deleted queue's requests: %d, %v; want %d left as they were", got, err, open["q-b"])
			}
		})
	}
}

// OtherEvents pages through the events without a request, in chain order.
func TestOtherEvents(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.MustOpen(t, db, clock)
			r := fullRequest("r-1", "DSR-2026-000001")
			mustCreate(t, st, r)
			var want []int64
			for i := 1; i <= 7; i++ {
				e := &service.Event{ID: "e-" + string(rune('0'+i)), At: testNow, ActorID: "u-1", Action: "queue.created",
					Data: map[string]string{}}
				if i%3 == 0 {
					e.RequestID, e.Action = r.ID, "request.read"
				} else {
					want = append(want, int64(i))
				}
				if err := st.WithTx(ctx, func(tx service.Store) error {
					head, err := tx.LockAuditHead(ctx)
					if err != nil {
						return err
					}
					e.Seq, e.PrevHash, e.Hash = head.Seq+1, head.Hash, "h"+e.ID
					return tx.AppendEvent(ctx, e, "")
				}); err != nil {
					t.Fatal(err)
				}
			}
			var got []int64
			for after := int64(0); ; {
				page, err := st.OtherEvents(ctx, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page {
					if e.RequestID != "" {
						t.Errorf("event %d names request %s", e.Seq, e.RequestID)
					}
					got = append(got, e.Seq)
				}
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].Seq
			}
			if len(got) != len(want) {
				t.Fatalf("seqs %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("seqs %v, want %v", got, want)
				}
			}
		})
	}
}
