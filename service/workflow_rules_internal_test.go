package service

import (
	"slices"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// The workflow's rules, tested on the in-memory fake: no database, no HTTP. The same rules are tested end to
// end on SQLite and PostgreSQL in workflow_test.go and api/.

var shanghaiZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// received is a Tuesday, 15 working days before 2026-10-12 under the State Council's calendar.
var received = time.Date(2026, 9, 15, 10, 0, 0, 0, shanghaiZone)

func fieldNames(err error) []string {
	var out []string
	for _, f := range ErrorFields(err) {
		out = append(out, f.Field)
	}
	return out
}

// TestStateMachineOnFake restates the moves an officer may make with Transition, and checks that a refused move
// changes nothing and records nothing.
func TestStateMachineOnFake(t *testing.T) {
	for _, tc := range []struct {
		from     Status
		to       Status
		reason   string
		wantCode string // "" when the move is made
		wantFrom string // a field named by EINVALID
	}{
		{StatusUnverified, StatusOpen, "identity checked by phone", "", ""},
		{StatusUnverified, StatusOpen, "", EINVALID, "reason"},
		{StatusUnverified, StatusInProgress, "", ECONFLICT, ""},
		{StatusOpen, StatusInProgress, "", "", ""},
		{StatusOpen, StatusOnHold, "legal_review", ECONFLICT, ""},
		{StatusOpen, StatusDuplicate, "", ECONFLICT, ""}, // merging is another operation
		{StatusInProgress, StatusOnHold, "legal_review", "", ""},
		{StatusInProgress, StatusOnHold, "", EINVALID, "reason"},
		{StatusInProgress, StatusOnHold, "because", EINVALID, "reason"},
		{StatusInProgress, StatusFulfilled, "", ECONFLICT, ""}, // replying is another operation
		{StatusInProgress, StatusDenied, "", ECONFLICT, ""},
		{StatusInProgress, StatusWithdrawn, "", "", ""},
		{StatusOnHold, StatusInProgress, "", "", ""},
		{StatusOnHold, StatusWithdrawn, "", "", ""},
		{StatusFulfilled, StatusInProgress, "", ECONFLICT, ""},
		{StatusWithdrawn, StatusOpen, "", ECONFLICT, ""},
		{StatusExpired, StatusOpen, "late", ECONFLICT, ""},
		{StatusDuplicate, StatusInProgress, "", ECONFLICT, ""},
	} {
		t.Run(string(tc.from)+"->"+string(tc.to), func(t *testing.T) {
			w := newFakeWorld(t, received.Add(24*time.Hour))
			officer := w.addUser("o-1", RoleOfficer)
			w.addQueue("q-1", "queue@staff.example", officer.UserID)
			w.addRequest(t, "r-1", TypeAccess, tc.from, "q-1", received)
			_, err := w.wf.Transition(t.Context(), officer, "r-1", TransitionCommand{To: tc.to, Reason: tc.reason})
			got := w.request(t, "r-1")
			moved := slices.Contains(w.st.actions("r-1"), "request.transitioned")
			if tc.wantCode == "" {
				if err != nil || got.Status != tc.to || !moved {
					t.Fatalf("got %v, status %s, audited %v; want the move made and audited", err, got.Status, moved)
				}
				return
			}
			if ErrorCode(err) != tc.wantCode || got.Status != tc.from || moved {
				t.Fatalf("got %v, status %s, audited %v; want %s and nothing changed", err, got.Status, moved, tc.wantCode)
			}
			if tc.wantFrom != "" && !slices.Equal(fieldNames(err), []string{tc.wantFrom}) {
				t.Errorf("fields %v, want %s", fieldNames(err), tc.wantFrom)
			}
		})
	}
}

// TestHoldsStopAndResumeTheClockOnFake: a hold for a reason the policy pauses for stops the count, and resuming
// moves the due date by the working days spent on hold; a hold for another reason leaves the clock running.
func TestHoldsStopAndResumeTheClockOnFake(t *testing.T) {
	ctx := t.Context()
	cal := calendar.NewCN(calendar.ShippedSchedules()...)
	holdAt := time.Date(2026, 9, 16, 10, 0, 0, 0, shanghaiZone)   // Wednesday
	resumeAt := time.Date(2026, 9, 22, 10, 0, 0, 0, shanghaiZone) // Tuesday after
	for _, tc := range []struct {
		reason string
		pauses bool
	}{
		{PauseAwaitingSubjectInformation, true},
		{"legal_review", false},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			w := newFakeWorld(t, holdAt)
			officer := w.addUser("o-1", RoleOfficer)
			w.addQueue("q-1", "", officer.UserID)
			before := *w.addRequest(t, "r-1", TypeAccess, StatusInProgress, "q-1", received)
			held, err := w.wf.Transition(ctx, officer, "r-1", TransitionCommand{To: StatusOnHold, Reason: tc.reason})
			if err != nil {
				t.Fatal(err)
			}
			if got := held.Clock.Paused != nil; got != tc.pauses {
				t.Fatalf("clock paused %v, want %v", got, tc.pauses)
			}
			w.now = resumeAt
			after, err := w.wf.Transition(ctx, officer, "r-1", TransitionCommand{To: StatusInProgress})
			if err != nil {
				t.Fatal(err)
			}
			if after.Clock.Paused != nil {
				t.Error("the clock is still paused after resuming")
			}
			moved, _ := calendar.WorkingDaysBetween(cal, before.Due.Date, after.Due.Date)
			onHold, _ := calendar.WorkingDaysBetween(cal, calendar.DateOf(holdAt), calendar.DateOf(resumeAt))
			if !tc.pauses {
				onHold = 0
			}
			if onHold < 0 || (tc.pauses && onHold == 0) || moved != onHold {
				t.Errorf("due %s -> %s: moved %d working days, want the %d spent on hold", before.Due.Date,
					after.Due.Date, moved, onHold)
			}
		})
	}
}

// TestAssignmentOnFake: a request goes only to an officer of its queue; an officer outside the queue cannot
// even see it, and that refusal is audited though the call's own transaction rolled back.
func TestAssignmentOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, received.Add(time.Hour))
	member := w.addUser("o-1", RoleOfficer)
	outsider := w.addUser("o-2", RoleOfficer)
	auditor := w.addUser("a-1", RoleAuditor)
	w.addQueue("q-1", "", member.UserID)
	w.addQueue("q-2", "", outsider.UserID)
	w.addRequest(t, "r-1", TypeAccess, StatusOpen, "q-1", received)
	w.addRequest(t, "r-2", TypeAccess, StatusFulfilled, "q-1", received)
	for _, to := range []string{outsider.UserID, auditor.UserID, "u-nobody"} {
		_, err := w.wf.Assign(ctx, member, "r-1", AssignCommand{AssigneeID: to})
		if ErrorCode(err) != EINVALID || !slices.Equal(fieldNames(err), []string{"assignee_id"}) {
			t.Errorf("assign to %s: %v, want EINVALID naming assignee_id", to, err)
		}
	}
	if got := w.request(t, "r-1").AssigneeID; got != "" {
		t.Fatalf("after refusals the assignee is %q", got)
	}
	if _, err := w.wf.Assign(ctx, outsider, "r-1", AssignCommand{AssigneeID: outsider.UserID}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("an officer outside the queue: %v, want ENOTFOUND", err)
	}
	if got := w.st.actions("r-1"); !slices.Equal(got, []string{"access.denied"}) {
		t.Errorf("events of r-1 %v, want only the audited refusal", got)
	}
	if _, err := w.wf.Assign(ctx, member, "r-2", AssignCommand{AssigneeID: member.UserID}); ErrorCode(err) != ECONFLICT {
		t.Errorf("assign a fulfilled request: %v, want ECONFLICT", err)
	}
	r, err := w.wf.Assign(ctx, member, "r-1", AssignCommand{AssigneeID: member.UserID})
	if err != nil || r.AssigneeID != member.UserID || w.request(t, "r-1").AssigneeID != member.UserID {
		t.Fatalf("assign to a member: %v, %+v", err, r)
	}
	if got := w.st.actions("r-1"); !slices.Equal(got, []string{"access.denied", "request.assigned"}) {
		t.Errorf("events of r-1 %v", got)
	}
}

// TestMergeOnFake: a request merges only into another open request of its type, once; the merged one is closed
// as a duplicate and both carry the event.
func TestMergeOnFake(t *testing.T) {
	ctx := t.Context()
	w := newFakeWorld(t, received.Add(time.Hour))
	officer := w.addUser("o-1", RoleOfficer)
	w.addQueue("q-1", "", officer.UserID)
	w.addRequest(t, "r-1", TypeDeletion, StatusOpen, "q-1", received)
	w.addRequest(t, "r-2", TypeDeletion, StatusInProgress, "q-1", received)
	w.addRequest(t, "r-3", TypeAccess, StatusOpen, "q-1", received)
	w.addRequest(t, "r-4", TypeDeletion, StatusFulfilled, "q-1", received)
	w.addRequest(t, "r-5", TypeDeletion, StatusOpen, "q-other", received)
	for _, tc := range []struct {
		into, code string
	}{
		{"r-1", EINVALID},      // itself
		{"r-3", EINVALID},      // another type
		{"r-4", ECONFLICT},     // closed
		{"r-nobody", EINVALID}, // unknown
		{"r-5", EINVALID},      // one the officer may not see: as unknown
	} {
		if _, err := w.wf.Merge(ctx, officer, "r-1", tc.into); ErrorCode(err) != tc.code {
			t.Errorf("merge into %s: %v, want %s", tc.into, err, tc.code)
		}
	}
	if got := w.request(t, "r-1"); got.Status != StatusOpen || got.DuplicateOf != "" {
		t.Fatalf("after refused merges r-1 is %s, duplicate of %q", got.Status, got.DuplicateOf)
	}
	if _, err := w.wf.Merge(ctx, officer, "r-1", "r-2"); err != nil {
		t.Fatal(err)
	}
	got := w.request(t, "r-1")
	if got.Status != StatusDuplicate || got.DuplicateOf != "r-2" || got.ClosedAt == nil {
		t.Errorf("merged: status %s, duplicate of %q, closed %v", got.Status, got.DuplicateOf, got.ClosedAt)
	}
	if !slices.Contains(w.st.actions("r-1"), "request.merged") || !slices.Contains(w.st.actions("r-2"), "request.merged_from") {
		t.Errorf("events: r-1 %v, r-2 %v", w.st.actions("r-1"), w.st.actions("r-2"))
	}
	if _, err := w.wf.Merge(ctx, officer, "r-1", "r-2"); ErrorCode(err) != ECONFLICT {
		t.Errorf("merge a duplicate again: %v, want ECONFLICT", err)
	}
	if !slices.Equal(w.st.actions("r-5"), []string{"access.denied"}) {
		t.Errorf("events of r-5 %v, want the audited refusal", w.st.actions("r-5"))
	}
}
