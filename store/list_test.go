package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// listingFixture returns 30 requests of mixed status, type, queue, assignee and due time. IDs are a permutation
// of the insertion order, and many share a due time, so that the id tiebreak decides their order.
func listingFixture() []*service.Request {
	queues := []string{"", "q-a", "q-b"}
	assignees := []string{"", "u-alice", "u-bob"}
	var out []*service.Request
	for i := range 30 {
		r := fullRequest(fmt.Sprintf("r-%02d", (i*7)%30), fmt.Sprintf("DSR-2026-%06d", i+1))
		r.Type = service.RequestTypes[i%len(service.RequestTypes)]
		r.QueueID = queues[(i/2)%3]
		r.AssigneeID = assignees[(i/3)%3]
		r.SubjectIndex = fmt.Sprintf("hmac:%d", i%4) // four subjects
		d := date(2026, 4, 1+(i*11)%9)               // nine due dates
		r.Due.Date = d
		r.Due.At = d.EndOfDay(cst)
		switch i % 10 {
		case 3: // fractional seconds sort before the whole second, on SQLite's text too
			r.Due.At = r.Due.At.Add(-500 * time.Millisecond)
		case 7:
			r.Due.At = r.Due.At.Add(-time.Microsecond)
		}
		if i%2 == 0 { // the same instants, given in another zone: the store must compare instants, not text
			r.Due.At = r.Due.At.In(time.UTC)
		}
		// Some are replied to, some closed otherwise (withdrawn, expired, duplicate), the rest open.
		setState(r, service.Statuses[i%len(service.Statuses)], time.Date(2026, 3, 28, 12, 0, 0, 0, cst))
		out = append(out, r)
	}
	return out
}

// summary is what a listing shows of a request: everything but the personal data (the subject, the details,
// the reply's message and the subject's keyed hash).
func summary(r *service.Request) *service.Request {
	s := *r
	s.Subject = service.Subject{}
	s.Details = service.Details{}
	s.ReplyMessage = ""
	s.SubjectIndex = ""
	return &s
}

// mustQueues creates the users and queues of the listings: u-alice works q-a, u-bob works q-a and q-b, u-carol
// works q-c, which holds no request, and nobody works unrouted requests.
func mustQueues(tb testing.TB, st service.Store) {
	tb.Helper()
	ctx := context.Background()
	for _, id := range []string{"u-alice", "u-bob", "u-carol"} {
		if err := st.CreateUser(ctx, &service.User{ID: id, Name: id, Role: service.RoleOfficer,
			CreatedAt: testNow}); err != nil {
			tb.Fatalf("CreateUser(%s): %v", id, err)
		}
	}
	for i, q := range []*service.Queue{
		{ID: "q-a", Name: "A", Members: []string{"u-alice", "u-bob"}},
		{ID: "q-b", Name: "B", Members: []string{"u-bob"}},
		{ID: "q-c", Name: "C", Members: []string{"u-carol"}, Default: true},
	} {
		q.Locale, q.Position, q.CreatedAt, q.UpdatedAt = "en", i, testNow, testNow
		if err := st.CreateQueue(ctx, q); err != nil {
			tb.Fatalf("CreateQueue(%s): %v", q.ID, err)
		}
	}
}

// listAll pages through a listing limit items at a time, each page after the last item of the previous one.
func listAll(tb testing.TB, st service.Store, f service.RequestFilter, limit int) []*service.Request {
	tb.Helper()
	var all []*service.Request
	f.Limit = limit
	f.After = nil
	for pages := 0; ; pages++ {
		if pages > 100 {
			tb.Fatalf("more than 100 pages of %d: the cursor does not advance", limit)
		}
		page, err := st.ListRequests(context.Background(), f)
		if err != nil {
			tb.Fatalf("ListRequests page %d: %v", pages, err)
		}
		if len(page) > limit {
			tb.Fatalf("page %d has %d items, limit %d", pages, len(page), limit)
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		last := page[len(page)-1]
		f.After = &service.RequestCursor{DueAt: last.Due.At, ID: last.ID}
	}
}

func TestListRequestsPaging(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			fixture := listingFixture()
			mustCreate(t, st, fixture...)
			mustQueues(t, st)

			overdueAt := time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC)
			for _, tc := range []struct {
				name  string
				f     service.RequestFilter
				match func(*service.Request) bool
			}{
				{"no filter", service.RequestFilter{},
					func(*service.Request) bool { return true }},
				{"status open", service.RequestFilter{Status: ptr(service.StatusOpen)},
					func(r *service.Request) bool { return r.Status == service.StatusOpen }},
				{"type access", service.RequestFilter{Type: ptr(service.TypeAccess)},
					func(r *service.Request) bool { return r.Type == service.TypeAccess }},
				{"queue q-a", service.RequestFilter{QueueID: ptr("q-a")},
					func(r *service.Request) bool { return r.QueueID == "q-a" }},
				{"assignee u-alice", service.RequestFilter{AssigneeID: ptr("u-alice")},
					func(r *service.Request) bool { return r.AssigneeID == "u-alice" }},
				{"overdue", service.RequestFilter{OverdueAt: &overdueAt},
					func(r *service.Request) bool { return r.ClosedAt == nil && r.Due.At.Before(overdueAt) }},
				{"overdue in another zone", service.RequestFilter{OverdueAt: ptr(overdueAt.In(cst))},
					func(r *service.Request) bool { return r.ClosedAt == nil && r.Due.At.Before(overdueAt) }},
				{"due before", service.RequestFilter{DueBefore: dateP(2026, 4, 6)},
					func(r *service.Request) bool { return r.Due.Date.Before(date(2026, 4, 6)) }},
				{"visible to u-alice", service.RequestFilter{VisibleTo: ptr("u-alice")},
					func(r *service.Request) bool { return r.QueueID == "q-a" }},
				{"visible to u-bob", service.RequestFilter{VisibleTo: ptr("u-bob")},
					func(r *service.Request) bool { return r.QueueID == "q-a" || r.QueueID == "q-b" }},
				{"visible to u-carol", service.RequestFilter{VisibleTo: ptr("u-carol")},
					func(*service.Request) bool { return false }},
				{"visible to u-bob, assigned to u-alice",
					service.RequestFilter{VisibleTo: ptr("u-bob"), AssigneeID: ptr("u-alice")},
					func(r *service.Request) bool {
						return (r.QueueID == "q-a" || r.QueueID == "q-b") && r.AssigneeID == "u-alice"
					}},
				{"queue q-b, status in progress",
					service.RequestFilter{QueueID: ptr("q-b"), Status: ptr(service.StatusInProgress)},
					func(r *service.Request) bool { return r.QueueID == "q-b" && r.Status == service.StatusInProgress }},
				{"not closed", service.RequestFilter{NotClosed: true},
					func(r *service.Request) bool { return r.ClosedAt == nil }},
				{"not closed, assigned to u-bob", service.RequestFilter{NotClosed: true, AssigneeID: ptr("u-bob")},
					func(r *service.Request) bool { return r.ClosedAt == nil && r.AssigneeID == "u-bob" }},
				{"reference", service.RequestFilter{Reference: ptr("DSR-2026-000005")},
					func(r *service.Request) bool { return r.Reference == "DSR-2026-000005" }},
				{"subject index", service.RequestFilter{SubjectIndex: "hmac:2"},
					func(r *service.Request) bool { return r.SubjectIndex == "hmac:2" }},
				{"subject index, visible to u-alice", service.RequestFilter{SubjectIndex: "hmac:1", VisibleTo: ptr("u-alice")},
					func(r *service.Request) bool { return r.SubjectIndex == "hmac:1" && r.QueueID == "q-a" }},
				{"overdue in queue q-a",
					service.RequestFilter{OverdueAt: &overdueAt, QueueID: ptr("q-a")},
					func(r *service.Request) bool {
						return r.ClosedAt == nil && r.Due.At.Before(overdueAt) && r.QueueID == "q-a"
					}},
			} {
				var want []*service.Request
				for _, r := range fixture {
					if tc.match(r) {
						want = append(want, summary(r))
					}
				}
				slices.SortFunc(want, func(a, b *service.Request) int {
					if c := a.Due.At.Compare(b.Due.At); c != 0 {
						return c
					}
					return cmpString(a.ID, b.ID)
				})
				for _, limit := range []int{7, 1, 50} {
					t.Run(fmt.Sprintf("%s/limit %d", tc.name, limit), func(t *testing.T) {
						got := listAll(t, st, tc.f, limit)
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("listing (-want +got):\n%s", diff)
						}
					})
				}
			}
		})
	}
}

// The fixture must exercise what it claims to.
func TestListingFixture(t *testing.T) {
	fixture := listingFixture()
	dueAts := map[time.Time]int{}
	ids := map[string]bool{}
	replied, closed := 0, 0
	for _, r := range fixture {
		dueAts[r.Due.At.UTC()]++
		ids[r.ID] = true
		if r.RepliedAt != nil {
			replied++
		}
		if r.ClosedAt != nil {
			closed++
		}
	}
	if len(ids) != len(fixture) {
		t.Errorf("%d distinct IDs in %d requests", len(ids), len(fixture))
	}
	ties := 0
	for _, n := range dueAts {
		if n > 1 {
			ties++
		}
	}
	if ties < 5 {
		t.Errorf("%d due times are shared, want at least 5", ties)
	}
	if replied == 0 || closed == replied || closed == len(fixture) {
		t.Errorf("%d of %d requests replied to and %d closed, want some of each, and some open",
			replied, len(fixture), closed)
	}
}

func TestListRequestsCursorInAnotherZone(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			fixture := listingFixture()
			mustCreate(t, st, fixture...)
			all := listAll(t, st, service.RequestFilter{}, 50)
			if len(all) != len(fixture) {
				t.Fatalf("listed %d requests, want %d", len(all), len(fixture))
			}
			for i := range all[:len(all)-1] {
				// A cursor made by a caller in CST names the same position as one in UTC.
				after := &service.RequestCursor{DueAt: all[i].Due.At.In(cst), ID: all[i].ID}
				page, err := st.ListRequests(t.Context(), service.RequestFilter{Limit: 3, After: after})
				if err != nil {
					t.Fatalf("ListRequests: %v", err)
				}
				want := all[i+1 : min(i+4, len(all))]
				if diff := cmp.Diff(want, page); diff != "" {
					t.Errorf("page after item %d (%s) (-want +got):\n%s", i, all[i].ID, diff)
				}
			}
		})
	}
}
