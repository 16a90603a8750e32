package service_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

const dpoEmail = "dpo@staff.example"

// escalationEnv is a service with a DPO address, one queue with an escalation address and one officer, and a
// deletion received 2026-09-15 10:00 in Shanghai: due 2026-10-12 23:59:59 (after the National Day holiday).
type escalationEnv struct {
	*env
	officer service.Actor
	request *service.Request
}

func mustEscalationEnv(t *testing.T, db storetest.DB) *escalationEnv {
	t.Helper()
	clk := storetest.NewClock(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
	st := storetest.MustOpen(t, db, clk.Now)
	e := &escalationEnv{env: &env{svc: mustEscalationService(t, st, clk), store: st, clock: clk}}
	ctx := context.Background()
	p, err := e.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Olivia", Role: service.RoleOfficer,
		Email: "olivia@staff.example"})
	if err != nil {
		t.Fatal(err)
	}
	e.officer = service.Actor{UserID: p.User.ID, Role: service.RoleOfficer}
	name, addr, def, members := "Deletions", "deletions-team@staff.example", true, []string{p.User.ID}
	if _, err := e.svc.CreateQueue(ctx, admin, service.QueueInput{Name: &name, EscalationEmail: &addr,
		Default: &def, Members: &members}); err != nil {
		t.Fatal(err)
	}
	e.request = e.mustFile(t, admin, deletionCmd())
	if got := e.request.Due.Date.String(); got != "2026-10-12" {
		t.Fatalf("due %s, want 2026-10-12", got)
	}
	return e
}

func mustEscalationService(tb testing.TB, st *store.Store, clk *storetest.Clock) *service.Service {
	tb.Helper()
	svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, DPOEmail: dpoEmail,
		PublicURL: "https://privacy.example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// escalations returns the escalation mails in the outbox, by level.
func (e *escalationEnv) escalations(t *testing.T) map[string][]*service.Mail {
	t.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*service.Mail{}
	for _, m := range mails {
		if level, ok := strings.CutPrefix(m.Kind, "escalation_"); ok {
			out[level] = append(out[level], m)
		}
	}
	return out
}

func (e *escalationEnv) sweep(t *testing.T, at time.Time) service.EscalationResult {
	t.Helper()
	e.clock.Set(at)
	res, err := e.svc.Escalate(context.Background())
	if err != nil {
		t.Fatalf("Escalate at %s: %v", at, err)
	}
	return res
}

func recipients(ms []*service.Mail) string {
	var to []string
	for _, m := range ms {
		to = append(to, m.To)
	}
	sort.Strings(to)
	return strings.Join(to, ",")
}

// TestEscalationLadder walks the ladder on the real 2026 calendar: the reminder comes when 3 working days remain
// (counting the adjusted working Saturday 10 October, skipping the holiday), overdue the morning after the due
// date, and the DPO after 2 working days overdue; each once.
func TestEscalationLadder(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d.Dialect, func(t *testing.T) {
			e := mustEscalationEnv(t, d)
			e.mustAssign(t, e.request.ID, e.officer.UserID)
			steps := []struct {
				at        time.Time
				wantLevel string
				wantTo    map[string]string
			}{
				// Wednesday 7 October is a holiday: 8, 9, 10 and 12 October are 4 working days left.
				{time.Date(2026, 10, 7, 18, 0, 0, 0, shanghai), "", map[string]string{}},
				// Thursday 8 October: 9, 10 (adjusted Saturday) and 12 are 3.
				{time.Date(2026, 10, 8, 9, 0, 0, 0, shanghai), "reminder", map[string]string{"reminder": "olivia@staff.example"}},
				{time.Date(2026, 10, 12, 23, 59, 59, 0, shanghai), "reminder", map[string]string{"reminder": "olivia@staff.example"}},
				{time.Date(2026, 10, 13, 0, 0, 0, 0, shanghai), "overdue", map[string]string{"reminder": "olivia@staff.example",
					"overdue": "deletions-team@staff.example,olivia@staff.example"}},
				// Wednesday 14 October: 13 and 14 are 2 working days overdue.
				{time.Date(2026, 10, 14, 8, 0, 0, 0, shanghai), "dpo", map[string]string{"reminder": "olivia@staff.example",
					"overdue": "deletions-team@staff.example,olivia@staff.example", "dpo": dpoEmail}},
				{time.Date(2026, 10, 20, 8, 0, 0, 0, shanghai), "dpo", map[string]string{"reminder": "olivia@staff.example",
					"overdue": "deletions-team@staff.example,olivia@staff.example", "dpo": dpoEmail}},
			}
			for _, st := range steps {
				e.sweep(t, st.at)
				got := e.escalations(t)
				for level, want := range st.wantTo {
					if r := recipients(got[level]); r != want {
						t.Errorf("at %s: %s to %q, want %q", st.at, level, r, want)
					}
				}
				if len(got) != len(st.wantTo) {
					t.Errorf("at %s: levels sent %d, want %d", st.at, len(got), len(st.wantTo))
				}
				r := e.mustRead(t, admin, e.request.ID)
				if r.EscalationLevel != st.wantLevel {
					t.Errorf("at %s: level %q, want %q", st.at, r.EscalationLevel, st.wantLevel)
				}
			}
			for level, ms := range e.escalations(t) {
				for _, m := range ms {
					for _, pd := range []string{"Li Wei", "li.wei@example.com", "138 0000"} {
						if strings.Contains(m.Subject+m.Text+m.HTMLPart(), pd) {
							t.Errorf("%s mail carries the subject's %q", level, pd)
						}
					}
					for _, want := range []string{e.request.Reference, "12 October 2026", "deletion of personal data",
						"https://privacy.example.com/console/requests/" + e.request.ID} {
						if !strings.Contains(m.Text, want) || !strings.Contains(m.HTMLPart(), want) {
							t.Errorf("%s mail lacks %q:\n%s", level, want, m.Text)
						}
					}
				}
			}
		})
	}
}

// TestEscalationSkipsAndFallbacks: an unassigned request's reminder goes to the queue; a request found late goes
// straight to overdue (no reminder); a paused or closed request is left alone.
func TestEscalationSkipsAndFallbacks(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d.Dialect, func(t *testing.T) {
			e := mustEscalationEnv(t, d)
			ctx := context.Background()
			paused := e.mustFile(t, admin, deletionCmd())
			closed := e.mustFile(t, admin, deletionCmd())
			for _, id := range []string{paused.ID, closed.ID} {
				if _, err := e.svc.Transition(ctx, admin, id, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.svc.Transition(ctx, admin, paused.ID, service.TransitionCommand{To: service.StatusOnHold,
				Reason: service.PauseAwaitingSubjectInformation}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Reply(ctx, admin, closed.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Done."}); err != nil {
				t.Fatal(err)
			}
			e.sweep(t, time.Date(2026, 10, 9, 9, 0, 0, 0, shanghai))
			got := e.escalations(t)
			if r := recipients(got["reminder"]); r != "deletions-team@staff.example" {
				t.Errorf("unassigned reminder to %q, want the queue", r)
			}
			for _, m := range got["reminder"] {
				if m.RequestID != e.request.ID {
					t.Errorf("reminder about %s, a paused or closed request", m.RequestID)
				}
			}

			// Filed late in the day it fell due: the first sweep after finds it overdue, with no reminder.
			e.clock.Set(time.Date(2026, 10, 9, 10, 0, 0, 0, shanghai))
			late := e.mustFile(t, admin, receivedAt(time.Date(2026, 9, 16, 10, 0, 0, 0, shanghai)))
			res := e.sweep(t, time.Date(2026, 10, 15, 9, 0, 0, 0, shanghai))
			// Due 13 October, found on the 15th: 2 working days late, so overdue and the DPO at once (as is the
			// first request, due the 12th, which had had its reminder).
			if res.Reminders != 0 || res.Overdue != 2 || res.DPO != 2 {
				t.Errorf("late sweep %+v, want no reminder, 2 overdue, 2 dpo", res)
			}
			if r := e.mustRead(t, admin, late.ID); r.EscalationLevel != service.LevelDPO {
				t.Errorf("late request at level %q, want dpo", r.EscalationLevel)
			}
		})
	}
}

// TestEscalationOnceAcrossReplicas runs the sweep on two services over one database at once, repeatedly: every
// level of every request is sent exactly once.
func TestEscalationOnceAcrossReplicas(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d.Dialect, func(t *testing.T) {
			e := mustEscalationEnv(t, d)
			for range 9 {
				e.mustFile(t, admin, deletionCmd())
			}
			other := storetest.MustOpen(t, d, e.clock.Now)
			replica := mustEscalationService(t, other, e.clock)
			e.clock.Set(time.Date(2026, 10, 14, 9, 0, 0, 0, shanghai))
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				svc := e.svc
				if i%2 == 1 {
					svc = replica
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := svc.Escalate(context.Background()); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("Escalate: %v", err)
			}
			got := e.escalations(t)
			// Ten unassigned requests: overdue to the queue, then the DPO; no reminder (found late).
			if n := len(got["overdue"]); n != 10 {
				t.Errorf("%d overdue mails, want 10", n)
			}
			if n := len(got["dpo"]); n != 10 {
				t.Errorf("%d dpo mails, want 10", n)
			}
			if n := len(got["reminder"]); n != 0 {
				t.Errorf("%d reminders, want 0", n)
			}
		})
	}
}

// interleavingStore runs change once, at the first transaction after change is set: set once the service is
// built, that is the one recording the sweep's decisions, after the sweep has decided on a request; the moment
// another replica or an officer may change the request.
type interleavingStore struct {
	service.Store
	once   sync.Once
	change func()
}

func (s *interleavingStore) WithTx(ctx context.Context, fn func(tx service.Store) error) error {
	if s.change != nil {
		s.once.Do(s.change)
	}
	return s.Store.WithTx(ctx, fn)
}

// TestEscalationDecidesAgainWhenTheRequestChanged: the sweep works out an escalation from the request as it read
// it; if the request changed before the decision is recorded, the decision is taken again from the request as it
// now stands, never from the stale one.
func TestEscalationDecidesAgainWhenTheRequestChanged(t *testing.T) {
	overdue := time.Date(2026, 10, 13, 9, 0, 0, 0, shanghai) // 12 October has passed: overdue, not yet the DPO
	tests := []struct {
		name      string
		change    func(t *testing.T, e *escalationEnv)
		wantLevel string
		wantTo    map[string]string // level: recipients
	}{
		{"assigned meanwhile: the assignee is told too", func(t *testing.T, e *escalationEnv) {
			e.mustAssign(t, e.request.ID, e.officer.UserID)
		}, service.LevelOverdue, map[string]string{"overdue": "deletions-team@staff.example,olivia@staff.example"}},
		{"paused meanwhile: nothing is sent", func(t *testing.T, e *escalationEnv) {
			ctx := context.Background()
			if _, err := e.svc.Transition(ctx, admin, e.request.ID, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Transition(ctx, admin, e.request.ID, service.TransitionCommand{To: service.StatusOnHold,
				Reason: service.PauseAwaitingSubjectInformation}); err != nil {
				t.Fatal(err)
			}
		}, "", map[string]string{}},
		{"escalated meanwhile by another replica: sent once", func(t *testing.T, e *escalationEnv) {
			if _, err := e.svc.Escalate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, service.LevelOverdue, map[string]string{"overdue": "deletions-team@staff.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, d := range storetest.Dialects(t) {
				t.Run(d.Dialect, func(t *testing.T) {
					e := mustEscalationEnv(t, d)
					e.clock.Set(overdue)
					st := &interleavingStore{Store: e.store}
					sweeper, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(e.store), Now: e.clock.Now,
						DPOEmail: dpoEmail, PublicURL: "https://privacy.example.com"})
					if err != nil {
						t.Fatal(err)
					}
					st.change = func() { tt.change(t, e) } // New's own transaction has run
					res, err := sweeper.Escalate(context.Background())
					if err != nil {
						t.Fatalf("Escalate: %v", err)
					}
					got := e.escalations(t)
					for level, want := range tt.wantTo {
						if r := recipients(got[level]); r != want {
							t.Errorf("%s to %q, want %q", level, r, want)
						}
					}
					if len(got) != len(tt.wantTo) {
						t.Errorf("levels sent %d, want %d", len(got), len(tt.wantTo))
					}
					if r := e.mustRead(t, admin, e.request.ID); r.EscalationLevel != tt.wantLevel {
						t.Errorf("level %q, want %q", r.EscalationLevel, tt.wantLevel)
					}
					if tt.wantLevel == "" && res.Overdue != 0 {
						t.Errorf("the sweep counted %+v for a request it left alone", res)
					}
				})
			}
		})
	}
}
