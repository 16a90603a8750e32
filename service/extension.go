package service

import (
	"context"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// Extension is a lengthening of a request's deadline that its policy allows.
type Extension struct {
	ID        string
	RequestID string
	Count     int
	Unit      PeriodUnit
	Reason    string // told to the subject
	ActorID   string
	CreatedAt time.Time
}

// ExtensionStore keeps granted extensions.
type ExtensionStore interface {
	// CreateExtension inserts an extension.
	CreateExtension(ctx context.Context, e *Extension) error
	// RequestExtensions returns a request's extensions, oldest first.
	RequestExtensions(ctx context.Context, requestID string) ([]*Extension, error)
}

// ExtendCommand asks for more time. Count 0 takes all the policy still allows.
type ExtendCommand struct {
	Reason string
	Count  int
}

// Extend lengthens a request's deadline within its policy's limit, before the deadline passes, and tells the
// subject why. ECONFLICT when the policy allows no (more) extension or the deadline has passed.
func (s *Workflow) Extend(ctx context.Context, a Actor, id string, cmd ExtendCommand) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	var f fieldErrors
	text(&f, "reason", cmd.Reason, maxReasonLen, true)
	if cmd.Count < 0 {
		f.add("count", "must not be negative")
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
		p, err := s.policy(r.Policy)
		if err != nil {
			return err
		}
		now := s.now()
		granted, err := tx.RequestExtensions(ctx, r.ID)
		if err != nil {
			return err
		}
		left, err := extensionLeft(p, r, granted, now)
		if err != nil {
			return err
		}
		count := cmd.Count
		if count == 0 {
			count = left
		}
		if count > left {
			return Invalid(FieldError{"count", fmt.Sprintf("at most %d %s remain", left, p.Extension.Unit)})
		}
		r.Clock.Budget += s.extensionDays(p, r.Clock, count)
		if r.Due, err = p.due(s.cals.Load(), r.Clock); err != nil {
			return err
		}
		r.UpdatedAt = now
		if err := tx.UpdateRequestParts(ctx, r, PartClock); err != nil {
			return err
		}
		e := &Extension{ID: s.newID(), RequestID: r.ID, Count: count, Unit: p.Extension.Unit, Reason: cmd.Reason,
			ActorID: a.UserID, CreatedAt: now}
		if err := tx.CreateExtension(ctx, e); err != nil {
			return err
		}
		if err := s.enqueueSubjectMail(ctx, tx, r, mailExtended, map[string]string{"Reason": cmd.Reason}); err != nil {
			return err
		}
		out = r
		return s.appendEvent(ctx, tx, a, "request.extended", r.ID, map[string]string{
			"count": fmt.Sprint(count), "unit": string(e.Unit), "due_date": r.Due.Date.String(), "extension_id": e.ID,
		})
	})
	return s.withDuplicateHint(ctx, a, out, err)
}

// extensionDays converts count units of extension into days of the clock's counting calendar, counted from the
// current (unrolled) end of the period.
func (s *Workflow) extensionDays(p *Policy, c Clock, count int) int {
	if p.Extension.Unit != UnitMonths {
		return count
	}
	remaining := c.Budget - c.Used
	end, _ := calendar.AddWorkingDays(everyDay{}, c.Start, remaining)
	return daysBetween(end, addMonths(end, count))
}
