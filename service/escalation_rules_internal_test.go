package service

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// The escalation ladder, tested on the in-memory fake: no database. The same ladder runs on SQLite and
// PostgreSQL in escalation_test.go and scheduler/.

// mailTo lists the recipients of the mails of kind.
func mailTo(st *fakeStore, kind string) []string {
	var out []string
	for _, m := range st.mailsOf(kind) {
		out = append(out, m.To)
	}
	slices.Sort(out)
	return out
}

// TestEscalationLadderOnFake walks a request due 2026-10-12 up the ladder: a reminder to its assignee within
// ReminderWorkingDays of the due date, an overdue notice to the assignee and the queue once past it, the DPO
// after DPOWorkingDays late; each step once, however often the sweep runs.
func TestEscalationLadderOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, received)
	officer := w.addUser("o-1", RoleOfficer)
	w.addQueue("q-1", "queue@staff.example", officer.UserID)
	r := w.addRequest(t, "r-1", TypeAccess, StatusInProgress, "q-1", received)
	r.AssigneeID = officer.UserID
	if err := w.st.UpdateRequestParts(ctx, r, PartAssignee); err != nil {
		t.Fatal(err)
	}
	if r.Due.Date.String() != "2026-10-12" {
		t.Fatalf("due %s, want 2026-10-12 (the ladder's dates below count from it)", r.Due.Date)
	}
	for _, step := range []struct {
		at        time.Time
		level     string
		kind      string
		to        []string
		reminders int
		overdue   int
		dpo       int
	}{
		{time.Date(2026, 9, 21, 10, 0, 0, 0, shanghaiZone), "", "", nil, 0, 0, 0},
		{time.Date(2026, 10, 12, 9, 0, 0, 0, shanghaiZone), LevelReminder, "escalation_reminder", []string{"o-1@staff.example"}, 1, 0, 0},
		{time.Date(2026, 10, 13, 10, 0, 0, 0, shanghaiZone), LevelOverdue, "escalation_overdue", []string{"o-1@staff.example", "queue@staff.example"}, 0, 1, 0},
		{time.Date(2026, 10, 15, 10, 0, 0, 0, shanghaiZone), LevelDPO, "escalation_dpo", []string{"dpo@example.com"}, 0, 0, 1},
	} {
		w.now = step.at
		for run := 1; run <= 2; run++ {
			res, err := w.esc.Escalate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := EscalationResult{Reminders: step.reminders, Overdue: step.overdue, DPO: step.dpo}
			if run == 2 {
				want = EscalationResult{} // once per level
			}
			res.Examined = 0
			if res != want {
				t.Errorf("%s run %d: %+v, want %+v", step.at.Format(time.DateOnly), run, res, want)
			}
		}
		if got := w.request(t, "r-1").EscalationLevel; got != step.level {
			t.Errorf("%s: level %q, want %q", step.at.Format(time.DateOnly), got, step.level)
		}
		if step.kind != "" && !slices.Equal(mailTo(w.st, step.kind), step.to) {
			t.Errorf("%s: %s to %v, want %v", step.at.Format(time.DateOnly), step.kind, mailTo(w.st, step.kind), step.to)
		}
	}
	if got := w.st.actions("r-1"); !slices.Equal(got, []string{"request.escalated", "request.escalated", "request.escalated"}) {
		t.Errorf("events %v, want one per level", got)
	}
}

// TestEscalationJumpsOnFake: a request found far past its due date (the scheduler was down) skips the reminder
// but never the overdue notice; with nobody assigned and no queue address, the DPO stands in.
func TestEscalationJumpsOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, time.Date(2026, 10, 20, 10, 0, 0, 0, shanghaiZone))
	w.addQueue("q-1", "")
	w.addRequest(t, "r-1", TypeAccess, StatusOpen, "q-1", received)
	res, err := w.esc.Escalate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (EscalationResult{Examined: 1, Overdue: 1, DPO: 1}); res != want {
		t.Errorf("got %+v, want %+v", res, want)
	}
	if got := w.st.mailsOf("escalation_reminder"); len(got) != 0 {
		t.Errorf("%d reminders sent past the due date", len(got))
	}
	for _, kind := range []string{"escalation_overdue", "escalation_dpo"} {
		if got := mailTo(w.st, kind); !slices.Equal(got, []string{"dpo@example.com"}) {
			t.Errorf("%s to %v, want the DPO standing in", kind, got)
		}
	}
	if got := w.request(t, "r-1").EscalationLevel; got != LevelDPO {
		t.Errorf("level %q, want dpo", got)
	}
}

// TestEscalationLeavesPausedRequestsOnFake: a request whose clock stopped is not escalated, even past its due
// date, until it resumes.
func TestEscalationLeavesPausedRequestsOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, time.Date(2026, 10, 20, 10, 0, 0, 0, shanghaiZone))
	w.addQueue("q-1", "queue@staff.example")
	r := w.addRequest(t, "r-1", TypeAccess, StatusOnHold, "q-1", received)
	paused := r.Clock.Start
	r.Clock.Paused = &paused
	if err := w.st.UpdateRequestParts(ctx, r, PartClock); err != nil {
		t.Fatal(err)
	}
	// The sweep's own check, whatever the candidates: planEscalation refuses a paused request.
	plan, err := w.esc.planEscalation(ctx, r, w.now, &staffDirectory{db: w.st, users: map[string]*User{}, queues: map[string]*Queue{}})
	if err != nil || plan != nil {
		t.Errorf("plan for a paused request: %+v, %v; want none", plan, err)
	}
	if _, err := w.esc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.st.mails) != 0 || w.request(t, "r-1").EscalationLevel != "" {
		t.Errorf("a paused request was escalated: %d mails, level %q", len(w.st.mails), w.request(t, "r-1").EscalationLevel)
	}
}

// TestEscalationRecordsAPageAtOnceOnFake: the sweep records the decisions of a page of candidates in one
// transaction, whatever their number, and reads each assignee and queue once a sweep; each request still gets
// its own mails and event.
func TestEscalationRecordsAPageAtOnceOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, time.Date(2026, 10, 13, 10, 0, 0, 0, shanghaiZone)) // the 12 October due date has passed
	officer := w.addUser("o-1", RoleOfficer)
	w.addQueue("q-1", "queue@staff.example", officer.UserID)
	n := escalationPage*2 + 7
	for i := range n {
		r := w.addRequest(t, fmt.Sprintf("r-%04d", i), TypeAccess, StatusInProgress, "q-1", received)
		r.AssigneeID = officer.UserID
		if err := w.st.UpdateRequestParts(ctx, r, PartAssignee); err != nil {
			t.Fatal(err)
		}
	}
	w.st.txs, w.st.userReads, w.st.queueReads = 0, 0, 0
	res, err := w.esc.Escalate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (EscalationResult{Examined: n, Overdue: n}); res != want {
		t.Errorf("got %+v, want %+v", res, want)
	}
	if w.st.txs != 3 {
		t.Errorf("%d transactions for %d escalations, want 3 (one a page of %d)", w.st.txs, n, escalationPage)
	}
	if w.st.userReads != 1 || w.st.queueReads != 1 {
		t.Errorf("%d user and %d queue reads, want 1 each", w.st.userReads, w.st.queueReads)
	}
	if got := len(w.st.mailsOf("escalation_overdue")); got != 2*n {
		t.Errorf("%d overdue mails, want %d (the assignee and the queue of each)", got, 2*n)
	}
	for _, id := range []string{"r-0000", fmt.Sprintf("r-%04d", n-1)} {
		if got := w.st.actions(id); !slices.Equal(got, []string{"request.escalated"}) {
			t.Errorf("%s: events %v, want one", id, got)
		}
	}
}
