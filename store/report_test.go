package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// reportFixture returns n full requests received over a few hours of 1 April 2026 (CST), seven to a receipt
// time, some with fractional seconds, with IDs that do not follow the receipt order.
func reportFixture(n int) []*service.Request {
	var out []*service.Request
	for i := range n {
		r := fullRequest(fmt.Sprintf("r-%05d", (i*7919)%n), fmt.Sprintf("DSR-2026-%06d", i+1))
		r.ReceivedAt = time.Date(2026, 4, 1, 8, 0, 0, 0, cst).Add(time.Duration(i/7) * time.Second)
		if i%5 == 0 {
			r.ReceivedAt = r.ReceivedAt.Add(250 * time.Millisecond)
		}
		out = append(out, r)
	}
	return out
}

// mustCreateInTx inserts requests in one transaction, for fixtures too large to insert one commit at a time.
func mustCreateInTx(tb testing.TB, st service.Store, rs ...*service.Request) {
	tb.Helper()
	err := st.WithTx(context.Background(), func(tx service.Store) error {
		for _, r := range rs {
			if err := tx.CreateRequest(context.Background(), r); err != nil {
				return fmt.Errorf("CreateRequest(%s): %w", r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// reportAll collects what ReportRequests yields.
func reportAll(tb testing.TB, st service.Store, from, to time.Time) []*service.Request {
	tb.Helper()
	var got []*service.Request
	err := st.ReportRequests(context.Background(), from, to, nil, func(r *service.Request) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		tb.Fatalf("ReportRequests: %v", err)
	}
	return got
}

func TestReportRequests(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			// More than two batches of 1000, so that the keyset crosses batches inside runs of equal times.
			fixture := reportFixture(2345)
			mustCreateInTx(t, st, fixture...)

			// The order is receipt time, then ID; neither subject nor details are read.
			sorted := append([]*service.Request(nil), fixture...)
			sortByReceipt(sorted)
			var want []*service.Request
			for _, r := range sorted {
				want = append(want, summary(r))
			}
			from, to := time.Date(2026, 4, 1, 0, 0, 0, 0, cst), time.Date(2026, 4, 2, 0, 0, 0, 0, cst)
			if diff := cmp.Diff(want, reportAll(t, st, from, to)); diff != "" {
				t.Errorf("ReportRequests (-want +got):\n%s", diff)
			}

			// [from, to): a request received at from is in, one received at to is out, in any time zone.
			from, to = sorted[700].ReceivedAt.UTC(), sorted[1407].ReceivedAt.In(time.FixedZone("X", -5*3600))
			var inRange []*service.Request
			for _, r := range sorted {
				if !r.ReceivedAt.Before(from) && r.ReceivedAt.Before(to) {
					inRange = append(inRange, summary(r))
				}
			}
			got := reportAll(t, st, from, to)
			if diff := cmp.Diff(inRange, got); diff != "" {
				t.Errorf("ReportRequests(%s, %s) (-want +got):\n%s", from, to, diff)
			}
			if len(got) < 700 || !got[0].ReceivedAt.Equal(from) {
				t.Errorf("ReportRequests(%s, %s): %d requests, the first received %s", from, to, len(got),
					got[0].ReceivedAt)
			}

			if got := reportAll(t, st, to, to); len(got) != 0 {
				t.Errorf("empty range: %d requests", len(got))
			}
		})
	}
}

func TestReportRequestsStopsAtError(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			mustCreateInTx(t, st, reportFixture(20)...)
			stop := errors.New("stop")
			calls := 0
			err := st.ReportRequests(t.Context(), time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), nil,
				func(*service.Request) error {
					calls++
					if calls == 3 {
						return stop
					}
					return nil
				})
			if !errors.Is(err, stop) || calls != 3 {
				t.Errorf("ReportRequests: error %v after %d calls, want %v after 3", err, calls, stop)
			}
		})
	}
}

func TestOpenRequestCounts(t *testing.T) {
	now := time.Date(2026, 4, 10, 12, 0, 0, 500000000, cst)
	replied := time.Date(2026, 4, 1, 9, 0, 0, 0, cst)
	var (
		rs  []*service.Request
		seq int
	)
	add := func(typ service.RequestType, status service.Status, dueAt time.Time, isReplied bool) {
		seq++
		r := minimalRequest(fmt.Sprintf("r-%02d", seq), fmt.Sprintf("DSR-2026-%06d", seq))
		r.Type, r.Status, r.Due.At = typ, status, dueAt
		if isReplied {
			r.RepliedAt, r.Outcome = &replied, service.StatusFulfilled
		}
		rs = append(rs, r)
	}
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	// Access: every open status, overdue and not; due exactly now is not overdue yet, a microsecond before is.
	for _, s := range []service.Status{service.StatusUnverified, service.StatusOpen, service.StatusInProgress,
		service.StatusOnHold} {
		add(service.TypeAccess, s, past, false)
		add(service.TypeAccess, s, future, false)
	}
	add(service.TypeAccess, service.StatusOpen, now, false)
	add(service.TypeAccess, service.StatusOpen, now.Add(-time.Microsecond), false)
	// Closed statuses, and open statuses already replied to, are not open, however late.
	for _, s := range service.Statuses {
		if s.Terminal() {
			add(service.TypeAccess, s, past, false)
			add(service.TypeDeletion, s, past, true)
		}
	}
	add(service.TypeAccess, service.StatusInProgress, past, true)
	// Portability: open, none overdue. Deletion: nothing open. Other types: nothing at all.
	add(service.TypePortability, service.StatusOnHold, future, false)
	add(service.TypePortability, service.StatusOpen, future, false)

	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			mustCreateInTx(t, st, rs...)
			got, err := st.OpenRequestCounts(t.Context(), now, nil)
			if err != nil {
				t.Fatalf("OpenRequestCounts: %v", err)
			}
			want := []service.OpenCount{
				{Type: service.TypeAccess, Open: 10, Overdue: 5},
				{Type: service.TypePortability, Open: 2, Overdue: 0},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OpenRequestCounts (-want +got):\n%s", diff)
			}

			got, err = st.OpenRequestCounts(t.Context(), future.Add(time.Second), nil)
			if err != nil {
				t.Fatalf("OpenRequestCounts: %v", err)
			}
			want = []service.OpenCount{
				{Type: service.TypeAccess, Open: 10, Overdue: 10},
				{Type: service.TypePortability, Open: 2, Overdue: 2},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OpenRequestCounts an hour later (-want +got):\n%s", diff)
			}
		})
	}
}

// sortByReceipt sorts requests as reports read them: by receipt time, then ID.
func sortByReceipt(rs []*service.Request) {
	slices.SortFunc(rs, func(a, b *service.Request) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
