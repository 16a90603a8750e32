package service_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestReadingForbiddenRoles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.mustFile(t, intake, deletionCmd())
		for _, a := range []service.Actor{intake, integration} {
			t.Run(string(a.Role), func(t *testing.T) {
				_, err := e.svc.Request(ctx, a, r.ID)
				wantError(t, err, service.EFORBIDDEN)
				_, err = e.svc.ListRequests(ctx, a, service.ListRequestsQuery{})
				wantError(t, err, service.EFORBIDDEN)
				_, err = e.svc.RequestEvents(ctx, a, r.ID)
				wantError(t, err, service.EFORBIDDEN)
			})
		}
		// Refused reads left no trace.
		if got := actions(e.mustEvents(t, admin, r.ID)); !cmp.Equal(got, []string{"request.filed"}) {
			t.Errorf("events = %v, want only request.filed", got)
		}
	})
}

func TestRequestVisibilityAndReadEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		early := e.mustFile(t, admin, deletionCmd()) // filed before any queue exists: routed nowhere
		member := e.mustQueueOfficers(t, "Zhang San")[0]
		r := e.mustFile(t, admin, deletionCmd()) // routed to the default queue

		// An officer sees only the requests of its queues; existence does not leak.
		for _, a := range []service.Actor{officer, member} {
			_, err := e.svc.Request(ctx, a, early.ID)
			wantError(t, err, service.ENOTFOUND)
			_, err = e.svc.RequestEvents(ctx, a, early.ID)
			wantError(t, err, service.ENOTFOUND)
		}
		_, err := e.svc.Request(ctx, officer, r.ID)
		wantError(t, err, service.ENOTFOUND)
		_, err = e.svc.RequestEvents(ctx, officer, r.ID)
		wantError(t, err, service.ENOTFOUND)
		page, err := e.svc.ListRequests(ctx, officer, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 {
			t.Errorf("officer of no queue lists %d requests, want 0", len(page.Items))
		}
		page, err = e.svc.ListRequests(ctx, member, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{r.ID}, ids(page.Items)); diff != "" {
			t.Errorf("queue member lists (-want +got):\n%s", diff)
		}
		_, err = e.svc.Request(ctx, admin, "no-such-request")
		wantError(t, err, service.ENOTFOUND)

		if got := e.mustRead(t, member, r.ID); got.ID != r.ID || got.Subject.Name != "Li Wei" {
			t.Errorf("queue member read %s with subject %q", got.ID, got.Subject.Name)
		}
		e.clock.Set(testNow.Add(time.Minute))
		e.mustRead(t, auditor, r.ID)

		evs := e.mustEvents(t, member, r.ID)
		type ev struct{ Action, Actor string }
		var got []ev
		for _, x := range evs {
			got = append(got, ev{x.Action, x.ActorID})
			if x.RequestID != r.ID {
				t.Errorf("event %d request = %q, want %q", x.Seq, x.RequestID, r.ID)
			}
		}
		want := []ev{{"request.filed", admin.UserID}, {"access.denied", "u-officer"}, {"access.denied", "u-officer"},
			{"request.read", member.UserID}, {"request.read", auditor.UserID}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if at := evs[len(evs)-1].At; !at.Equal(testNow.Add(time.Minute)) {
			t.Errorf("read event at %s, want the clock's %s", at, testNow.Add(time.Minute))
		}
		// Reading the trail is not itself a read of the request.
		if n := len(e.mustEvents(t, admin, r.ID)); n != len(evs) {
			t.Errorf("RequestEvents appended events: %d, then %d", len(evs), n)
		}
	})
}

func TestListRequestsQueryValidation(t *testing.T) {
	bad := service.Status("lost")
	badType := service.RequestType("erasure")
	notDate := "2026-13-01"
	tests := []struct {
		name string
		q    service.ListRequestsQuery
		want []string
	}{
		{"limit 201", service.ListRequestsQuery{Limit: 201}, []string{"limit"}},
		{"limit -1", service.ListRequestsQuery{Limit: -1}, []string{"limit"}},
		{"cursor not base64", service.ListRequestsQuery{Cursor: "!!"}, []string{"cursor"}},
		{"cursor of another shape", service.ListRequestsQuery{Cursor: "e30"}, []string{"cursor"}}, // "{}"
		{"unknown status", service.ListRequestsQuery{Status: &bad}, []string{"status"}},
		{"unknown type", service.ListRequestsQuery{Type: &badType}, []string{"type"}},
		{"due_before not a date", service.ListRequestsQuery{DueBefore: &notDate}, []string{"due_before"}},
		{"all at once", service.ListRequestsQuery{Status: &bad, Limit: 500, Cursor: "!!"},
			[]string{"status", "limit", "cursor"}},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.ListRequests(context.Background(), admin, tt.q)
				wantError(t, err, service.EINVALID, tt.want...)
			})
		}
	})
}

// mustFileMany files n admin requests received seven hours apart from 2026-09-01, so that due dates repeat.
func (e *env) mustFileMany(tb testing.TB, n int) map[string]*service.Request {
	tb.Helper()
	out := map[string]*service.Request{}
	for i := range n {
		r := e.mustFile(tb, admin, receivedAt(time.Date(2026, 9, 1, 0, 0, 0, 0, shanghai).Add(time.Duration(i)*7*time.Hour)))
		out[r.ID] = r
	}
	return out
}

func TestListRequestsPaging(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		filed := e.mustFileMany(t, 51)

		page, err := e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(page.Items), service.DefaultPageSize; got != want || page.NextCursor == "" {
			t.Errorf("limit 0: %d items, next cursor %q; want %d and a cursor", got, page.NextCursor, want)
		}
		page, err = e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{Limit: service.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 51 || page.NextCursor != "" {
			t.Errorf("limit 200: %d items, next cursor %q; want 51 and none", len(page.Items), page.NextCursor)
		}
		all := page.Items

		for _, limit := range []int{1, 7, 17, 51} {
			var got []*service.Request
			q := service.ListRequestsQuery{Limit: limit}
			for pages := 0; ; pages++ {
				if pages > 60 {
					t.Fatalf("limit %d: paging does not end", limit)
				}
				p, err := e.svc.ListRequests(ctx, admin, q)
				if err != nil {
					t.Fatalf("limit %d, cursor %q: %v", limit, q.Cursor, err)
				}
				if len(p.Items) > limit || (p.NextCursor != "" && len(p.Items) != limit) {
					t.Fatalf("limit %d: a page of %d items, next cursor %q", limit, len(p.Items), p.NextCursor)
				}
				got = append(got, p.Items...)
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			if diff := cmp.Diff(ids(all), ids(got)); diff != "" {
				t.Errorf("limit %d: pages visit (-all +paged):\n%s", limit, diff)
			}
		}

		// Sorted by due time, then ID; every request once; no personal data.
		sorted := sort.SliceIsSorted(all, func(i, j int) bool {
			a, b := all[i], all[j]
			if !a.Due.At.Equal(b.Due.At) {
				return a.Due.At.Before(b.Due.At)
			}
			return a.ID < b.ID
		})
		if !sorted {
			t.Error("listing is not sorted by due time, then ID")
		}
		seen := map[string]bool{}
		for _, r := range all {
			if seen[r.ID] || filed[r.ID] == nil {
				t.Errorf("request %s listed twice or never filed", r.ID)
			}
			seen[r.ID] = true
			if !cmp.Equal(r.Subject, service.Subject{}) || !cmp.Equal(r.Details, service.Details{}) {
				t.Errorf("listing carries personal data of %s: %+v %+v", r.ID, r.Subject, r.Details)
			}
			if !r.Due.At.Equal(filed[r.ID].Due.At) || r.Reference != filed[r.ID].Reference {
				t.Errorf("listed %s differs from the filed request", r.ID)
			}
		}
		if len(seen) != len(filed) {
			t.Errorf("listed %d requests, filed %d", len(seen), len(filed))
		}
	})
}

func TestListRequestsFilters(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		unrouted := e.mustFile(t, admin, receivedAt(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))) // due 2026-10-12
		officers := e.mustQueueOfficers(t, "Zhang San", "Li Si")
		zhang, li := officers[0], officers[1]
		first := e.mustFile(t, admin, receivedAt(time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai))) // due 2026-10-30
		access := validFiling(service.TypeAccess)
		access.ReceivedAt = ptr(time.Date(2026, 12, 20, 10, 0, 0, 0, shanghai)) // due 2027-01-11
		accessReq := e.mustFile(t, zhang, access)
		web := e.mustFile(t, intake, deletionCmd()) // received at the clock's time, unverified, due 2027-03-22
		e.mustAssign(t, first.ID, zhang.UserID)
		e.mustAssign(t, accessReq.ID, li.UserID)

		me, zhangID := "me", zhang.UserID
		unverified, typeAccess := service.StatusUnverified, service.TypeAccess
		before := "2026-10-13"
		everything := []string{unrouted.ID, first.ID, accessReq.ID, web.ID}
		tests := []struct {
			name  string
			actor service.Actor
			q     service.ListRequestsQuery
			want  []string
		}{
			{"admin sees all", admin, service.ListRequestsQuery{}, everything},
			{"auditor sees all", auditor, service.ListRequestsQuery{}, everything},
			{"officer sees its queue's", li, service.ListRequestsQuery{}, []string{first.ID, accessReq.ID, web.ID}},
			{"officer of no queue sees none", officer, service.ListRequestsQuery{}, []string{}},
			{"officer: me", zhang, service.ListRequestsQuery{AssigneeID: &me}, []string{first.ID}},
			{"other officer: me", li, service.ListRequestsQuery{AssigneeID: &me}, []string{accessReq.ID}},
			{"admin: me", admin, service.ListRequestsQuery{AssigneeID: &me}, []string{}},
			{"by assignee ID", auditor, service.ListRequestsQuery{AssigneeID: &zhangID}, []string{first.ID}},
			{"by status", admin, service.ListRequestsQuery{Status: &unverified}, []string{web.ID}},
			{"by type", admin, service.ListRequestsQuery{Type: &typeAccess}, []string{accessReq.ID}},
			{"due before", admin, service.ListRequestsQuery{DueBefore: &before}, []string{unrouted.ID}},
			// The clock is 2027-03-01; the web filing is due later in March.
			{"overdue", admin, service.ListRequestsQuery{Overdue: true}, []string{unrouted.ID, first.ID, accessReq.ID}},
			{"officer, overdue", zhang, service.ListRequestsQuery{Overdue: true}, []string{first.ID, accessReq.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := e.svc.ListRequests(ctx, tt.actor, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, ids(page.Items)); diff != "" {
					t.Errorf("listed (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func ids(rs []*service.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
