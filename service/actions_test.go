package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// wantDeletionActions restates, apart from the service, what an admin may do to a deletion request (of the default
// policy, which allows no extension) in each status.
func wantDeletionActions(st service.Status) service.Actions {
	var x service.Actions
	for _, to := range everyStatus {
		if allowed(st, to) && !movedElsewhere[to] {
			x.Transitions = append(x.Transitions, to)
		}
	}
	open := !slices.Contains([]service.Status{"fulfilled", "denied", "withdrawn", "expired", "duplicate"}, st)
	working := st == "in_progress" || st == "on_hold"
	x.Assign, x.Move, x.Merge = open, open, open
	x.Reply = working
	x.Erasure = working || st == "fulfilled"
	x.Note = true
	return x
}

// TestActionsAgreeWithUseCases brings a deletion request to every status and checks that RequestView offers
// exactly the actions of the table above, and that every action it does not offer is refused by its use case.
func TestActionsAgreeWithUseCases(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		te := mustTransitionEnv(t, e)
		sameOrder := cmp.Transformer("sorted", func(in []service.Status) []string {
			out := make([]string, len(in))
			for i, s := range in {
				out[i] = string(s)
			}
			slices.Sort(out)
			return out
		})
		for _, st := range everyStatus {
			t.Run(string(st), func(t *testing.T) {
				r := te.mustRequestIn(t, st)
				v, err := e.svc.RequestView(ctx, admin, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := wantDeletionActions(st)
				if diff := cmp.Diff(want, v.Actions, sameOrder); diff != "" {
					t.Errorf("actions (-want +got):\n%s", diff)
				}
				if v.Request.Subject != (service.Subject{}) || v.Request.Details.Explanation != "" {
					t.Errorf("the view carries the subject's personal data: %+v", v.Request.Subject)
				}
				// Auditors read, and do nothing else.
				av, err := e.svc.RequestView(ctx, auditor, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if av.Actions.Any() {
					t.Errorf("an auditor may %+v", av.Actions)
				}
				// What is not offered, the use cases refuse as a conflict.
				refused := func(name string, offered bool, err error) {
					t.Helper()
					if offered {
						return
					}
					if service.ErrorCode(err) != service.ECONFLICT {
						t.Errorf("%s not offered, but its use case answers %v", name, err)
					}
				}
				_, err = e.svc.Reply(ctx, admin, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "x"})
				refused("reply", v.Actions.Reply, err)
				_, err = e.svc.Assign(ctx, admin, r.ID, service.AssignCommand{})
				refused("assign", v.Actions.Assign, err)
				_, err = e.svc.Extend(ctx, admin, r.ID, service.ExtendCommand{Reason: "more time"})
				refused("extend", v.Actions.Extend, err)
				_, err = e.svc.RecordErasure(ctx, admin, r.ID, service.ErasureCommand{ExecutedAt: e.clock.Now(), Systems: []string{"crm"}})
				refused("erasure", v.Actions.Erasure, err)
				err = e.svc.CheckExportTarget(ctx, admin, r.ID)
				refused("export", v.Actions.Export, err)
				into := te.mustFile(t, admin, deletionCmd())
				_, err = e.svc.Merge(ctx, admin, r.ID, into.ID)
				refused("merge", v.Actions.Merge, err)
			})
		}
	})
}

// TestActionsOfAnOfficer: an officer of the queue may claim what is not hers, and attach exports to an access
// request in progress; once she holds it, claiming is no longer offered.
func TestActionsOfAnOfficer(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zhang := e.mustQueueOfficers(t, "Zhang San")[0]
		cmd := deletionCmd()
		cmd.Type, cmd.Details = service.TypeAccess, service.Details{}
		r := e.mustFile(t, admin, cmd)
		v, err := e.svc.RequestView(ctx, zhang, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Budget != 15 || !v.WorkingDays || v.DaysUsed != 0 || v.Corrections != 0 {
			t.Errorf("clock of a new request under the default policy: %d of %d used (working days %v), %d corrections",
				v.DaysUsed, v.Budget, v.WorkingDays, v.Corrections)
		}
		if !v.Actions.Claim || v.Actions.Export || v.Actions.Erasure {
			t.Errorf("open access request: actions %+v, want claim and no export nor erasure", v.Actions)
		}
		if err := e.svc.CheckExportTarget(ctx, zhang, r.ID); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("export to an open request: %v", err)
		}
		if _, err := e.svc.Assign(ctx, zhang, r.ID, service.AssignCommand{AssigneeID: zhang.UserID}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, zhang, r.ID, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
			t.Fatal(err)
		}
		v, err = e.svc.RequestView(ctx, zhang, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Actions.Claim || !v.Actions.Export || !v.Actions.Reply {
			t.Errorf("her access request in progress: actions %+v, want export and reply, no claim", v.Actions)
		}
		if err := e.svc.CheckExportTarget(ctx, zhang, r.ID); err != nil {
			t.Errorf("export offered, but refused: %v", err)
		}
		// An officer of no queue sees nothing, and the refusal is audited.
		_, err = e.svc.RequestView(ctx, officer, r.ID)
		wantError(t, err, service.ENOTFOUND)
		evs := e.mustEvents(t, admin, r.ID)
		if last := evs[len(evs)-1]; last.Action != "access.denied" || last.ActorID != officer.UserID {
			t.Errorf("last event = %s by %s, want access.denied by the officer", last.Action, last.ActorID)
		}
	})
}

// weekdaysBetween counts the weekdays d with from < d <= to, as the "weekdays" calendar does.
func weekdaysBetween(from, to calendar.Date) int {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if w := d.Start(time.UTC).Weekday(); w != time.Saturday && w != time.Sunday {
			n++
		}
	}
	return n
}

// TestStanding follows a CCPA request (weekdays, Los Angeles) from receipt past its deadline, and through a hold
// that stops its clock.
func TestStanding(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		la := losAngeles
		cmd := deletionCmd()
		cmd.Policy = "ccpa"
		r := e.mustFile(t, admin, cmd)
		due := r.Due.Date
		standing := func(id string) service.Standing {
			t.Helper()
			v, err := e.svc.RequestView(ctx, admin, id)
			if err != nil {
				t.Fatal(err)
			}
			return v.Standing
		}
		noon := func(d calendar.Date) time.Time { return d.Start(la).Add(12 * time.Hour) }
		received := e.clock.Now().In(la)
		today := calendar.Date{Year: received.Year(), Month: received.Month(), Day: received.Day()}
		want := service.Standing{Today: today, DaysLeft: weekdaysBetween(today, due)}
		if got := standing(r.ID); got != want {
			t.Errorf("on receipt: %+v, want %+v", got, want)
		}
		for _, back := range []int{0, 1, 4} {
			day := due.AddDays(-back)
			e.clock.Set(noon(day))
			left := weekdaysBetween(day, due)
			want := service.Standing{Today: day, DaysLeft: left, DueSoon: left <= service.ReminderWorkingDays}
			if got := standing(r.ID); got != want {
				t.Errorf("%d days before the due date: %+v, want %+v", back, got, want)
			}
		}
		late := due.AddDays(10)
		e.clock.Set(noon(late))
		want = service.Standing{Today: late, Overdue: true, DaysLate: weekdaysBetween(due, late)}
		if got := standing(r.ID); got != want {
			t.Errorf("10 days late: %+v, want %+v", got, want)
		}

		// A hold awaiting the subject stops the clock: the days left are those of the day it stopped.
		e.clock.Set(testNow)
		h := e.mustFile(t, admin, cmd)
		if _, err := e.svc.Transition(ctx, admin, h.ID, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
			t.Fatal(err)
		}
		hold := today.AddDays(3)
		e.clock.Set(noon(hold))
		held, err := e.svc.Transition(ctx, admin, h.ID, service.TransitionCommand{To: service.StatusOnHold,
			Reason: service.PauseAwaitingSubjectInformation})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set(noon(hold.AddDays(20)))
		want = service.Standing{Today: hold.AddDays(20), Paused: true, DaysLeft: weekdaysBetween(hold, held.Due.Date)}
		if got := standing(h.ID); got != want {
			t.Errorf("paused: %+v, want %+v", got, want)
		}
	})
}

// TestListUnassigned lists the requests assigned to no one, and refuses an assignee that is none of the forms.
func TestListUnassigned(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zhang := e.mustQueueOfficers(t, "Zhang San")[0]
		mine := e.mustFile(t, admin, deletionCmd())
		free := e.mustFile(t, admin, deletionCmd())
		e.mustAssign(t, mine.ID, zhang.UserID)
		ids := func(q service.ListRequestsQuery) []string {
			t.Helper()
			p, err := e.svc.ListRequests(ctx, zhang, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range p.Items {
				out = append(out, r.ID)
			}
			return out
		}
		none, me := service.AssigneeNone, "me"
		if got := ids(service.ListRequestsQuery{AssigneeID: &none}); !cmp.Equal(got, []string{free.ID}) {
			t.Errorf("unassigned = %v, want %v", got, []string{free.ID})
		}
		if got := ids(service.ListRequestsQuery{AssigneeID: &me}); !cmp.Equal(got, []string{mine.ID}) {
			t.Errorf("me = %v, want %v", got, []string{mine.ID})
		}
		bad := "nobody"
		_, err := e.svc.ListRequests(ctx, zhang, service.ListRequestsQuery{AssigneeID: &bad})
		wantError(t, err, service.EINVALID, "assignee")
	})
}

// TestColleagues: an officer sees the officers of her own queues, by name; an officer of no queue, none.
func TestColleagues(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		team := e.mustQueueOfficers(t, "Zhang San", "Li Si")
		got, err := e.svc.Colleagues(ctx, team[0])
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if want := []string{"Li Si", "Zhang San"}; !cmp.Equal(names, want) {
			t.Errorf("colleagues = %v, want %v", names, want)
		}
		if got, err := e.svc.Colleagues(ctx, officer); err != nil || len(got) != 0 {
			t.Errorf("an officer of no queue: %v, %v; want none", got, err)
		}
		_, err = e.svc.Colleagues(ctx, intake)
		wantError(t, err, service.EFORBIDDEN)
	})
}
