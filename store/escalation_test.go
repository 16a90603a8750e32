package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// RaiseEscalationLevel changes the level only while the request stands as the escalation was decided on, and
// changes nothing else.
func TestRaiseEscalationLevel(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			r := minimalRequest("r-1", "DSR-2026-000001")
			r.QueueID, r.AssigneeID = "q-1", "u-1"
			unassigned := minimalRequest("r-2", "DSR-2026-000002")
			closed := minimalRequest("r-3", "DSR-2026-000003")
			closed.ClosedAt = ptr(closed.ReceivedAt.Add(time.Hour))
			paused := minimalRequest("r-4", "DSR-2026-000004")
			paused.Clock.Paused = ptr(date(2026, 3, 5))
			mustCreateInTx(t, st, r, unassigned, closed, paused)
			seen := func(base *service.Request, change func(*service.Request)) *service.Request {
				c := *base
				change(&c)
				return &c
			}
			raise := func(seen *service.Request, level string) bool {
				t.Helper()
				var ok bool
				err := st.WithTx(ctx, func(tx service.Store) error {
					var err error
					ok, err = tx.RaiseEscalationLevel(ctx, seen, level)
					return err
				})
				if err != nil {
					t.Fatalf("RaiseEscalationLevel(%s): %v", seen.ID, err)
				}
				return ok
			}
			for name, s := range map[string]*service.Request{
				"another level":    seen(r, func(c *service.Request) { c.EscalationLevel = service.LevelReminder }),
				"another due time": seen(r, func(c *service.Request) { c.Due.At = c.Due.At.Add(24 * time.Hour) }),
				"another queue":    seen(r, func(c *service.Request) { c.QueueID = "q-2" }),
				"another assignee": seen(r, func(c *service.Request) { c.AssigneeID = "u-2" }),
				"unassigned":       seen(r, func(c *service.Request) { c.AssigneeID = "" }),
				"assigned":         seen(unassigned, func(c *service.Request) { c.AssigneeID = "u-1" }),
				"closed":           closed,
				"paused":           paused,
			} {
				if raise(s, service.LevelOverdue) {
					t.Errorf("%s: raised, want refused", name)
				}
			}
			before := mustFind(t, st, r.ID)
			if !raise(r, service.LevelOverdue) || !raise(unassigned, service.LevelReminder) {
				t.Fatal("a request as seen was not raised")
			}
			after := mustFind(t, st, r.ID)
			before.EscalationLevel = service.LevelOverdue
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the request after raising its level (-want +got):\n%s", diff)
			}
			for _, id := range []string{closed.ID, paused.ID} {
				if got := mustFind(t, st, id).EscalationLevel; got != "" {
					t.Errorf("%s at level %q, want none", id, got)
				}
			}
		})
	}
}

func mustFind(tb testing.TB, st service.Store, id string) *service.Request {
	tb.Helper()
	r, err := st.FindRequest(tb.Context(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
