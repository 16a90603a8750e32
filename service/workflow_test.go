package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

// everyStatus is every status a request can have, written out here so that a status added to the product
// fails TestStateMachineEveryPair until the table below says where it may go.
var everyStatus = []service.Status{"unverified", "open", "in_progress", "on_hold", "fulfilled", "denied",
	"withdrawn", "expired", "duplicate"}

// allowedMoves is the state machine of the contract, spelt out apart from service's own table:
// unverified -> open -> in_progress <-> on_hold -> fulfilled | denied (a reply from either working status);
// withdrawn by the subject and duplicate (merged) from any status not yet closed; expired only when never
// verified. Every other pair, a status to itself included, is illegal.
var allowedMoves = []string{
	"unverified->open", "unverified->withdrawn", "unverified->expired", "unverified->duplicate",
	"open->in_progress", "open->withdrawn", "open->duplicate",
	"in_progress->on_hold", "in_progress->fulfilled", "in_progress->denied", "in_progress->withdrawn",
	"in_progress->duplicate",
	"on_hold->in_progress", "on_hold->fulfilled", "on_hold->denied", "on_hold->withdrawn", "on_hold->duplicate",
}

// allowed reports whether allowedMoves has from -> to.
func allowed(from, to service.Status) bool {
	return slices.Contains(allowedMoves, string(from)+"->"+string(to))
}

// movedElsewhere are the statuses a request reaches through an operation of its own (the reply, a merge, the
// expiry job), never through Transition, even where the state machine allows the move.
var movedElsewhere = map[service.Status]bool{"fulfilled": true, "denied": true, "duplicate": true, "expired": true}

// TestStateMachineEveryPair asks CanMove about every (from, to) pair of statuses: exactly the pairs of
// allowedMoves are allowed.
func TestStateMachineEveryPair(t *testing.T) {
	if diff := cmp.Diff(everyStatus, service.Statuses); diff != "" {
		t.Fatalf("the product's statuses differ from those this test knows (-test +product):\n%s", diff)
	}
	legal := 0
	for _, from := range everyStatus {
		for _, to := range everyStatus {
			want := allowed(from, to)
			if got := service.CanMove(from, to); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
			if want {
				legal++
			}
		}
	}
	if legal != len(allowedMoves) {
		t.Errorf("allowedMoves names %d pairs, only %d of them pairs of known statuses", len(allowedMoves), legal)
	}
	for _, st := range everyStatus {
		if service.CanMove("lost", st) || service.CanMove(st, "lost") {
			t.Errorf("CanMove allows a move between %s and a status that does not exist", st)
		}
	}
	for _, from := range everyStatus {
		want := from == "fulfilled" || from == "denied" || from == "withdrawn" || from == "expired" || from == "duplicate"
		if from.Terminal() != want {
			t.Errorf("%s.Terminal() = %v", from, from.Terminal())
		}
	}
}

// transitionEnv is an env with, for every status, a way to make a fresh request in it the way the product does.
type transitionEnv struct {
	*env
	expiredPool []*service.Request
}

// mustTransitionEnv files len(everyStatus) requests through a web form and lets them expire unverified, for the
// pairs from expired; the clock then stands 8 days after testNow.
func mustTransitionEnv(t *testing.T, e *env) *transitionEnv {
	t.Helper()
	te := &transitionEnv{env: e}
	for range everyStatus {
		te.expiredPool = append(te.expiredPool, e.mustFile(t, intake, deletionCmd()))
	}
	e.clock.Set(testNow.Add(8 * 24 * time.Hour))
	if n, err := e.svc.ExpireUnverified(context.Background()); err != nil || n != len(te.expiredPool) {
		t.Fatalf("ExpireUnverified = %d, %v; want %d", n, err, len(te.expiredPool))
	}
	return te
}

// mustRequestIn returns a new request in status st.
func (te *transitionEnv) mustRequestIn(t *testing.T, st service.Status) *service.Request {
	t.Helper()
	ctx := context.Background()
	must := func(_ *service.Request, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("bring a request to %s: %v (fields %v)", st, err, service.ErrorFields(err))
		}
	}
	var id string
	switch st {
	case service.StatusUnverified:
		id = te.mustFile(t, intake, deletionCmd()).ID
	case service.StatusExpired:
		id, te.expiredPool = te.expiredPool[0].ID, te.expiredPool[1:]
	default:
		id = te.mustFile(t, admin, deletionCmd()).ID
	}
	switch st {
	case service.StatusWithdrawn:
		must(te.svc.Transition(ctx, admin, id, service.TransitionCommand{To: service.StatusWithdrawn}))
	case service.StatusDuplicate:
		into := te.mustFile(t, admin, deletionCmd())
		must(te.svc.Merge(ctx, admin, id, into.ID))
	case service.StatusInProgress, service.StatusOnHold, service.StatusFulfilled, service.StatusDenied:
		must(te.svc.Transition(ctx, admin, id, service.TransitionCommand{To: service.StatusInProgress}))
	}
	switch st {
	case service.StatusOnHold:
		must(te.svc.Transition(ctx, admin, id, service.TransitionCommand{To: service.StatusOnHold, Reason: "legal_review"}))
	case service.StatusFulfilled:
		must(te.svc.Reply(ctx, admin, id, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Done."}))
	case service.StatusDenied:
		must(te.svc.Reply(ctx, admin, id, service.ReplyCommand{Outcome: service.StatusDenied,
			DenialReason: service.DenialNotCovered, Message: "We hold no such data."}))
	}
	r := te.mustStored(t, id)
	if r.Status != st {
		t.Fatalf("brought a request to %s, it is %s", st, r.Status)
	}
	return r
}

// mustStored reads a request from the store, bypassing the service (no audited read).
func (e *env) mustStored(tb testing.TB, id string) *service.Request {
	tb.Helper()
	r, err := e.store.FindRequest(context.Background(), id)
	if err != nil {
		tb.Fatalf("FindRequest(%s): %v", id, err)
	}
	return r
}

// workflowState is everything a transition could change: the request, its trail and notes, the head of the whole
// audit chain, and the outbox.
type workflowState struct {
	Request *service.Request
	Events  []*service.Event
	Notes   []*service.Note
	Head    service.AuditHead
	Mails   int
}

func (e *env) mustState(tb testing.TB, id string) workflowState {
	tb.Helper()
	ctx := context.Background()
	evs, err := e.store.RequestEvents(ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	notes, err := e.store.RequestNotes(ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	head, err := e.store.AuditHeadNow(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	mails, err := e.store.ListMail(ctx, "", 100000)
	if err != nil {
		tb.Fatal(err)
	}
	return workflowState{Request: e.mustStored(tb, id), Events: evs, Notes: notes, Head: head, Mails: len(mails)}
}

// reasonFor is a reason that satisfies a legal move from -> to: a coded hold reason for on_hold, a note when
// verifying by hand, else a free-text reason that would be kept as a note.
func reasonFor(from, to service.Status) string {
	switch {
	case to == service.StatusOnHold:
		return "legal_review"
	case from == service.StatusUnverified:
		return "Identity checked against the HR record."
	default:
		return "Moved on the officer's judgement."
	}
}

// TestTransitionEveryPair moves a fresh request along every (from, to) pair through Transition on a real store:
// a legal move (not made by another operation) changes the status and appends its event; every other answers
// ECONFLICT and changes nothing at all, though the clock moved on.
func TestTransitionEveryPair(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		te := mustTransitionEnv(t, e)
		ctx := context.Background()
		for _, from := range everyStatus {
			for _, to := range everyStatus {
				name := fmt.Sprintf("%s->%s", from, to)
				r := te.mustRequestIn(t, from)
				before := e.mustState(t, r.ID)
				now := e.clock.Now().Add(time.Minute)
				e.clock.Set(now)
				got, err := e.svc.Transition(ctx, admin, r.ID, service.TransitionCommand{To: to, Reason: reasonFor(from, to)})
				after := e.mustState(t, r.ID)
				if allowed(from, to) && !movedElsewhere[to] {
					if err != nil {
						t.Errorf("%s: %v (fields %v), want the move", name, err, service.ErrorFields(err))
						continue
					}
					if got.Status != to || after.Request.Status != to || !after.Request.UpdatedAt.Equal(now) {
						t.Errorf("%s: answered %s, stored %s updated %s; want %s updated %s", name, got.Status,
							after.Request.Status, after.Request.UpdatedAt, to, now)
					}
					last := after.Events[len(after.Events)-1]
					if last.Action != "request.transitioned" || last.Data["from"] != string(from) || last.Data["to"] != string(to) {
						t.Errorf("%s: last event %s %v", name, last.Action, last.Data)
					}
					continue
				}
				if code := service.ErrorCode(err); code != service.ECONFLICT {
					t.Errorf("%s: error %q (%v), want %s", name, code, err, service.ECONFLICT)
				}
				if got != nil {
					t.Errorf("%s: refused, yet answered a request", name)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("%s: a refused move changed something (-before +after):\n%s", name, diff)
				}
			}
		}
	})
}

// TestOfficerVerifiesByHand: an officer of the request's queue confirms a web-form request that the subject never
// confirmed; the reason is kept as an internal note and the move is in the audit trail, both by the officer.
func TestOfficerVerifiesByHand(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		olivia := e.mustQueueOfficers(t, "olivia")[0]
		r := e.mustFile(t, intake, deletionCmd())
		if r.Status != service.StatusUnverified || r.VerifiedAt != nil {
			t.Fatalf("filed through a web form: %s, verified %v", r.Status, r.VerifiedAt)
		}
		before := e.mustState(t, r.ID)

		// Without a reason: refused, naming the reason, and nothing changes.
		_, err := e.svc.Transition(ctx, olivia, r.ID, service.TransitionCommand{To: service.StatusOpen})
		wantError(t, err, service.EINVALID, "reason")
		if diff := cmp.Diff(before, e.mustState(t, r.ID)); diff != "" {
			t.Errorf("refused verification changed something (-before +after):\n%s", diff)
		}

		now := testNow.Add(2 * time.Hour)
		e.clock.Set(now)
		const reason = "Called the subject back on the number in the HR record; identity confirmed."
		got, err := e.svc.Transition(ctx, olivia, r.ID, service.TransitionCommand{To: service.StatusOpen, Reason: reason})
		if err != nil {
			t.Fatalf("verify by hand: %v (fields %v)", err, service.ErrorFields(err))
		}
		after := e.mustState(t, r.ID)
		for _, rr := range []*service.Request{got, after.Request} {
			if rr.Status != service.StatusOpen || rr.VerifiedAt == nil || !rr.VerifiedAt.Equal(now) || !rr.UpdatedAt.Equal(now) {
				t.Errorf("verified: status %s, verified at %v, updated %s; want open at %s", rr.Status, rr.VerifiedAt,
					rr.UpdatedAt, now)
			}
		}
		if len(after.Notes) != 1 || after.Notes[0].Body != reason || after.Notes[0].AuthorID != olivia.UserID ||
			!after.Notes[0].CreatedAt.Equal(now) {
			t.Fatalf("notes %+v, want the reason by olivia", after.Notes)
		}
		added := after.Events[len(before.Events):]
		if diff := cmp.Diff([]string{"request.note_added", "request.transitioned"}, actions(added)); diff != "" {
			t.Fatalf("events appended (-want +got):\n%s", diff)
		}
		wantData := []map[string]string{
			{"note_id": after.Notes[0].ID},
			{"from": "unverified", "to": "open", "note_id": after.Notes[0].ID},
		}
		for i, ev := range added {
			if ev.ActorID != olivia.UserID || !ev.At.Equal(now) {
				t.Errorf("%s by %s at %s, want olivia at %s", ev.Action, ev.ActorID, ev.At, now)
			}
			if diff := cmp.Diff(wantData[i], ev.Data); diff != "" {
				t.Errorf("%s data (-want +got):\n%s", ev.Action, diff)
			}
		}
		// Through the service, the officer reads the note back (an audited read).
		notes, err := e.svc.Notes(ctx, olivia, r.ID)
		if err != nil || len(notes) != 1 || notes[0].Body != reason {
			t.Errorf("Notes = %+v, %v", notes, err)
		}
	})
}

// TestVerifyByHandRefused: roles that may not work requests, and an officer of another queue, cannot verify a
// request by hand; nothing changes, and the other queue's officer's attempt is audited as a denied access.
func TestVerifyByHandRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustQueueOfficers(t, "olivia")
		r := e.mustFile(t, intake, deletionCmd())
		p, err := e.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "oscar", Role: service.RoleOfficer})
		if err != nil {
			t.Fatal(err)
		}
		outsider := service.Actor{UserID: p.User.ID, Name: "oscar", Role: service.RoleOfficer, TokenID: p.Token.ID}
		cmd := service.TransitionCommand{To: service.StatusOpen, Reason: "Looks genuine to me."}
		for _, sc := range []struct {
			name     string
			actor    service.Actor
			wantCode string
		}{
			{"auditor", auditor, service.EFORBIDDEN},
			{"intake", intake, service.EFORBIDDEN},
			{"integration", integration, service.EFORBIDDEN},
			{"subject", service.SubjectActor, service.EFORBIDDEN},
			{"officer of another queue", outsider, service.ENOTFOUND},
		} {
			before := e.mustState(t, r.ID)
			e.clock.Set(e.clock.Now().Add(time.Minute))
			got, err := e.svc.Transition(ctx, sc.actor, r.ID, cmd)
			if code := service.ErrorCode(err); code != sc.wantCode || got != nil {
				t.Errorf("%s: error %q (%v), answered a request: %v; want %s", sc.name, code, err, got != nil, sc.wantCode)
			}
			after := e.mustState(t, r.ID)
			if diff := cmp.Diff(before.Request, after.Request); diff != "" {
				t.Errorf("%s: the request changed (-before +after):\n%s", sc.name, diff)
			}
			if len(after.Notes) != 0 || after.Mails != before.Mails {
				t.Errorf("%s: %d notes, mails %d -> %d", sc.name, len(after.Notes), before.Mails, after.Mails)
			}
			added := after.Events[len(before.Events):]
			switch {
			case sc.wantCode == service.ENOTFOUND:
				if len(added) != 1 || added[0].Action != "access.denied" || added[0].ActorID != outsider.UserID {
					t.Errorf("%s: events appended %v, want one access.denied by the officer", sc.name, actions(added))
				}
			case len(added) != 0 || after.Head != before.Head:
				t.Errorf("%s: events appended %v", sc.name, actions(added))
			}
		}
		if final := e.mustStored(t, r.ID); final.Status != service.StatusUnverified || final.VerifiedAt != nil {
			t.Errorf("after every refusal: %s, verified %v", final.Status, final.VerifiedAt)
		}
	})
}
