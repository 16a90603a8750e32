package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// moves is the request state machine, in one place: the statuses each status may move to.
// unverified -> open -> in_progress <-> on_hold -> fulfilled | denied; withdrawn (by the subject) from any open
// status; expired (never verified) from unverified; duplicate (merged into another request) from any open status.
var moves = map[Status][]Status{
	StatusUnverified: {StatusOpen, StatusWithdrawn, StatusExpired, StatusDuplicate},
	StatusOpen:       {StatusInProgress, StatusWithdrawn, StatusDuplicate},
	StatusInProgress: {StatusOnHold, StatusFulfilled, StatusDenied, StatusWithdrawn, StatusDuplicate},
	StatusOnHold:     {StatusInProgress, StatusFulfilled, StatusDenied, StatusWithdrawn, StatusDuplicate},
}

// CanMove reports whether the state machine allows from -> to.
func CanMove(from, to Status) bool {
	return oneOf(to, moves[from])
}

// moveVia names the operation that makes a move other than through Transition.
var moveVia = map[Status]string{
	StatusFulfilled: "record the reply: POST /api/v1/requests/{id}/reply",
	StatusDenied:    "record the reply: POST /api/v1/requests/{id}/reply",
	StatusDuplicate: "merge it: POST /api/v1/requests/{id}/merge",
	StatusExpired:   "the scheduler expires requests never verified",
}

// TransitionCommand moves a request. Reason is required for on_hold, one of HoldReasons (those of the policy's
// PauseReasons stop the clock), and for verifying a request by hand; free text is kept as an internal note.
type TransitionCommand struct {
	To     Status
	Reason string
	// Message is the officer's question to the subject when the request goes on hold awaiting the subject's
	// information: e-mailed to the subject with the status link, and shown on the status page.
	Message string
}

const maxReasonLen = 1000

// Transition moves a request along the state machine. ECONFLICT for an illegal move, which changes nothing.
func (s *Workflow) Transition(ctx context.Context, a Actor, id string, cmd TransitionCommand) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	var f fieldErrors
	if !oneOf(cmd.To, Statuses) {
		f.add("to", "is not a status")
	}
	text(&f, "reason", cmd.Reason, maxReasonLen, false)
	text(&f, "message", cmd.Message, maxQuestionLen, false)
	if cmd.Message != "" && (cmd.To != StatusOnHold || cmd.Reason != PauseAwaitingSubjectInformation) {
		f.add("message", "is the question to the subject, only with to on_hold and reason %s", PauseAwaitingSubjectInformation)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		from := r.Status
		if via, ok := moveVia[cmd.To]; ok && CanMove(from, cmd.To) {
			return Errorf(ECONFLICT, "a request moves to %s another way: %s", cmd.To, via)
		}
		if !CanMove(from, cmd.To) {
			return Errorf(ECONFLICT, "a request cannot move from %s to %s", from, cmd.To)
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return err
		}
		if cmd.To == StatusOnHold && !oneOf(cmd.Reason, HoldReasons) {
			return Invalid(FieldError{"reason", holdReasonRule(p, cmd.Reason)})
		}
		if from == StatusUnverified && cmd.Reason == "" {
			return Invalid(FieldError{"reason", fmt.Sprintf("is required to move from %s to %s", from, cmd.To)})
		}
		now := s.now()
		data := map[string]string{"from": string(from), "to": string(cmd.To)}
		switch {
		case from == StatusOnHold:
			if err := s.resumeClock(p, r, now); err != nil {
				return err
			}
		case cmd.To == StatusOnHold && p.Pauses(cmd.Reason):
			s.pauseClock(p, r, now)
			data["clock"] = "paused"
		}
		if from == StatusUnverified && cmd.To == StatusOpen {
			r.VerifiedAt = &now
		}
		if oneOf(cmd.Reason, HoldReasons) {
			data["reason"] = cmd.Reason
		} else if cmd.Reason != "" {
			note, err := s.addNote(ctx, tx, a, r.ID, cmd.Reason)
			if err != nil {
				return err
			}
			data["note_id"] = note.ID
		}
		r.setStatus(cmd.To, now)
		if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartClock, PartVerified); err != nil {
			return err
		}
		if cmd.To == StatusWithdrawn {
			if err := s.enqueueSubjectMail(ctx, tx, r, mailWithdrawn, nil); err != nil {
				return err
			}
		}
		if cmd.To == StatusOnHold && cmd.Reason == PauseAwaitingSubjectInformation {
			if err := s.askSubject(ctx, tx, a, r, cmd.Message, now); err != nil {
				return err
			}
		}
		out = r
		return s.appendEvent(ctx, tx, a, "request.transitioned", r.ID, data)
	})
	return s.withDuplicateHint(ctx, a, out, err)
}

// HoldReasons are the reasons a request may be put on_hold for, recorded in the audit trail as such. Which of
// them stop the clock is the policy's choice (Policy.PauseReasons).
var HoldReasons = []string{PauseAwaitingSubjectInformation, "awaiting_identity_verification",
	"awaiting_third_party", "legal_review"}

// holdReasonRule says, for a missing or unknown hold reason, which reasons there are and which of them stop the
// clock under p.
func holdReasonRule(p *Policy, got string) string {
	var stop, run []string
	for _, r := range HoldReasons {
		if p.Pauses(r) {
			stop = append(stop, r)
		} else {
			run = append(run, r)
		}
	}
	head := "is required to put a request on hold"
	if got != "" {
		head = "is not a hold reason"
	}
	clock := fmt.Sprintf("under policy %s the clock stops until work resumes for %s", p.Name, strings.Join(stop, ", "))
	if len(stop) == 0 {
		clock = fmt.Sprintf("under policy %s the clock stops for none", p.Name)
	}
	if len(run) > 0 {
		clock += "; it runs on for " + strings.Join(run, ", ")
	}
	return fmt.Sprintf("%s: one of %s (%s); add other explanations as a note", head, strings.Join(HoldReasons, ", "), clock)
}

// today is the civil date of now in the policy's zone.
func today(p *Policy, now time.Time) calendar.Date {
	return p.ReceiptDate(now)
}

// pauseClock stops the count: the days after the count's start up to and including today are used.
func (s *Workflow) pauseClock(p *Policy, r *Request, now time.Time) {
	day := today(p, now)
	counting, err := p.countingCalendar(s.cals.Load())
	if err == nil && day.After(r.Clock.Start) {
		n, _ := calendar.WorkingDaysBetween(counting, r.Clock.Start, day)
		r.Clock.Used += n
	}
	r.Clock.Start = day
	r.Clock.Paused = &day
}

// resumeClock restarts a paused count after today and moves the due date; a request already overdue when
// paused keeps its due date.
func (s *core) resumeClock(p *Policy, r *Request, now time.Time) error {
	if r.Clock.Paused == nil {
		return nil
	}
	r.Clock.Start = today(p, now)
	r.Clock.Paused = nil
	if r.Clock.Used >= r.Clock.Budget {
		return nil
	}
	due, err := p.due(s.cals.Load(), r.Clock)
	if err != nil {
		return err
	}
	r.Due = due
	return nil
}

// AssignCommand gives a request to an officer of its queue; an empty AssigneeID unassigns it.
type AssignCommand struct {
	AssigneeID string
}

// Assign sets a request's assignee: an officer who belongs to the request's queue.
func (s *Workflow) Assign(ctx context.Context, a Actor, id string, cmd AssignCommand) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	var out *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := assignable(r); err != nil {
			return err
		}
		if cmd.AssigneeID != "" {
			u, err := tx.FindUser(ctx, cmd.AssigneeID)
			if ErrorCode(err) == ENOTFOUND || (err == nil && u.Role != RoleOfficer) {
				return Invalid(FieldError{"assignee_id", "must be an officer"})
			} else if err != nil {
				return err
			}
			queues, err := tx.UserQueueIDs(ctx, u.ID)
			if err != nil {
				return err
			}
			if r.QueueID == "" || !oneOf(r.QueueID, queues) {
				return Invalid(FieldError{"assignee_id", "must belong to the request's queue"})
			}
		}
		data := map[string]string{"from": r.AssigneeID, "to": cmd.AssigneeID}
		r.AssigneeID, r.UpdatedAt = cmd.AssigneeID, s.now()
		if err := tx.UpdateRequestParts(ctx, r, PartAssignee); err != nil {
			return err
		}
		out = r
		return s.appendEvent(ctx, tx, a, "request.assigned", r.ID, data)
	})
	return s.withDuplicateHint(ctx, a, out, err)
}

// ReplyCommand is the answer to the subject.
type ReplyCommand struct {
	Outcome      Status // StatusFulfilled or StatusDenied
	Message      string
	DenialReason DenialReason
	// FollowUpDeletion, on fulfilling an account cancellation, opens a linked deletion request.
	FollowUpDeletion bool
	// Corrections records, for a rectification, what became of each correction asked for.
	Corrections []CorrectionOutcome
}

// CorrectionOutcome is what became of one correction of a rectification request.
type CorrectionOutcome struct {
	Index   int    `json:"index"`   // into Details.Corrections
	Outcome string `json:"outcome"` // applied or refused
	Reason  string `json:"reason,omitempty"`
}

const maxMessageLen = 10000

// Reply records the reply to the subject, closes the request and e-mails the reply to the subject (or guardian).
func (s *Workflow) Reply(ctx context.Context, a Actor, id string, cmd ReplyCommand) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	var f fieldErrors
	switch cmd.Outcome {
	case StatusFulfilled:
		if cmd.DenialReason != "" {
			f.add("denial_reason", "is only for a denial")
		}
	case StatusDenied:
		if !oneOf(cmd.DenialReason, DenialReasons) {
			f.add("denial_reason", "a denial needs one of insufficient_verification, no_match, not_covered, legal_obligation, manifestly_unfounded, other")
		}
	default:
		f.add("outcome", "must be fulfilled or denied")
	}
	text(&f, "message", cmd.Message, maxMessageLen, cmd.Outcome == StatusDenied)
	for i, c := range cmd.Corrections {
		p := fmt.Sprintf("corrections[%d]", i)
		switch {
		case c.Outcome != "applied" && c.Outcome != "refused":
			f.add(p+".outcome", "must be applied or refused")
		case c.Outcome == "refused" && c.Reason == "":
			f.add(p+".reason", "a refused correction needs a reason")
		}
		text(&f, p+".reason", c.Reason, maxReasonLen, false)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := replyable(r); err != nil {
			return err
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.checkReplyFits(r, cmd); err != nil {
			return err
		}
		if err := s.resumeClock(p, r, now); err != nil {
			return err
		}
		r.Outcome, r.DenialReason, r.ReplyMessage, r.RepliedAt = cmd.Outcome, cmd.DenialReason, cmd.Message, &now
		r.CorrectionOutcomes = cmd.Corrections
		r.setStatus(cmd.Outcome, now)
		extra, err := s.fulfil(ctx, tx, a, r, cmd, now)
		if err != nil {
			return err
		}
		if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartClock, PartReply, PartLink); err != nil {
			return err
		}
		if err := s.enqueueSubjectMail(ctx, tx, r, mailReply, extra); err != nil {
			return err
		}
		out = r
		return s.appendEvent(ctx, tx, a, "request.replied", r.ID, map[string]string{
			"outcome": string(cmd.Outcome), "denial_reason": string(cmd.DenialReason),
			"on_time": fmt.Sprint(!now.After(r.Due.At)),
		})
	})
	return s.withDuplicateHint(ctx, a, out, err)
}
