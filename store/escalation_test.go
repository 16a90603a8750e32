package store_test

import (
	"fmt"
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
			raise := func(raises ...service.EscalationRaise) []bool {
				t.Helper()
				var ok []bool
				err := st.WithTx(ctx, func(tx service.Store) error {
					var err error
					ok, err = tx.RaiseEscalationLevels(ctx, raises)
					return err
				})
				if err != nil {
					t.Fatalf("RaiseEscalationLevels: %v", err)
				}
				if len(ok) != len(raises) {
					t.Fatalf("RaiseEscalationLevels answered %d, want %d", len(ok), len(raises))
				}
				return ok
			}
			stale := map[string]*service.Request{
				"another level":    seen(r, func(c *service.Request) { c.EscalationLevel = service.LevelReminder }),
				"another due time": seen(r, func(c *service.Request) { c.Due.At = c.Due.At.Add(24 * time.Hour) }),
				"another queue":    seen(r, func(c *service.Request) { c.QueueID = "q-2" }),
				"another assignee": seen(r, func(c *service.Request) { c.AssigneeID = "u-2" }),
				"unassigned":       seen(r, func(c *service.Request) { c.AssigneeID = "" }),
				"assigned":         seen(unassigned, func(c *service.Request) { c.AssigneeID = "u-1" }),
				"closed":           closed,
				"paused":           paused,
				"not stored":       minimalRequest("r-9", "DSR-2026-000009"),
			}
			var names []string
			var raises []service.EscalationRaise
			for name, s := range stale {
				names = append(names, name)
				raises = append(raises, service.EscalationRaise{Seen: s, Level: service.LevelOverdue})
			}
			for i, ok := range raise(raises...) {
				if ok {
					t.Errorf("%s: raised, want refused", names[i])
				}
			}
			before := mustFind(t, st, r.ID)
			got := raise(service.EscalationRaise{Seen: r, Level: service.LevelOverdue},
				service.EscalationRaise{Seen: unassigned, Level: service.LevelReminder},
				service.EscalationRaise{Seen: r, Level: service.LevelDPO}) // named twice: the first decision stands
			if want := []bool{true, true, false}; !cmp.Equal(got, want) {
				t.Fatalf("raised %v, want %v", got, want)
			}
			after := mustFind(t, st, r.ID)
			before.EscalationLevel = service.LevelOverdue
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the request after raising its level (-want +got):\n%s", diff)
			}
			if got := mustFind(t, st, unassigned.ID).EscalationLevel; got != service.LevelReminder {
				t.Errorf("%s at level %q, want reminder", unassigned.ID, got)
			}
			for _, id := range []string{closed.ID, paused.ID} {
				if got := mustFind(t, st, id).EscalationLevel; got != "" {
					t.Errorf("%s at level %q, want none", id, got)
				}
			}
		})
	}
}

// EnqueueMails inserts many mails in one go, each readable as enqueued, and skips every one whose dedupe key is
// taken, by an earlier mail or by another of the same batch.
func TestEnqueueMailsSkipsTakenDedupeKeys(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			at := clock().UTC().Truncate(time.Second)
			mail := func(id, key string) *service.Mail {
				return &service.Mail{ID: id, DedupeKey: key, Kind: "escalation_overdue", To: id + "@staff.example",
					Subject: "Overdue " + id, Text: "text " + id, HTML: "<p>" + id + "</p>", Status: service.MailPending,
					NextAttemptAt: at, CreatedAt: at}
			}
			if ok, err := st.EnqueueMail(ctx, mail("m-0", "k-0")); err != nil || !ok {
				t.Fatalf("EnqueueMail: %v, %v", ok, err)
			}
			var batch []*service.Mail
			for i := 1; i <= 1200; i++ { // past one statement's worth
				batch = append(batch, mail(fmt.Sprintf("m-%d", i), fmt.Sprintf("k-%d", i)))
			}
			batch = append(batch, mail("m-dup-old", "k-0"), mail("m-dup-new", "k-7"))
			n, err := st.EnqueueMails(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1200 {
				t.Errorf("inserted %d, want 1200", n)
			}
			for _, want := range []*service.Mail{batch[0], batch[1199]} {
				got, err := st.FindMail(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mail %s (-want +got):\n%s", want.ID, diff)
				}
			}
			for _, id := range []string{"m-dup-old", "m-dup-new"} {
				if _, err := st.FindMail(ctx, id); service.ErrorCode(err) != service.ENOTFOUND {
					t.Errorf("FindMail(%s): %v, want not found (its dedupe key was taken)", id, err)
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
