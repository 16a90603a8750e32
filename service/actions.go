package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// Actions is what an actor may do to a request in its present state. The work pages offer exactly these; each
// use case refuses the others through the same predicates (assignable, replyable, takesExport...), so that the
// pages and the API cannot disagree.
type Actions struct {
	// Transitions are the statuses Transition moves the request to; the others of the state machine are reached
	// by Reply (fulfilled, denied), Merge (duplicate) or the scheduler (expired).
	Transitions []Status
	Claim       bool // assign it to the actor, an officer of its queue not yet its assignee
	Assign      bool // give it to an officer of its queue, or unassign it
	Reply       bool
	Merge       bool
	Extend      bool
	Export      bool // attach an export file
	Erasure     bool // record the erasure of a deletion
	Move        bool // move it to another queue
	Note        bool
}

// Any reports whether the actor may do anything to the request.
func (x Actions) Any() bool {
	return len(x.Transitions) > 0 || x.Claim || x.Assign || x.Reply || x.Merge || x.Extend || x.Export ||
		x.Erasure || x.Move || x.Note
}

// transitionTargets are the statuses Transition itself moves a request of status from to.
func transitionTargets(from Status) []Status {
	var out []Status
	for _, to := range moves[from] {
		if _, other := moveVia[to]; !other {
			out = append(out, to)
		}
	}
	return out
}

// assignable answers ECONFLICT when r's assignee cannot change.
func assignable(r *Request) error {
	if r.Status.Terminal() {
		return Errorf(ECONFLICT, "%s request cannot be assigned", withArticle(string(r.Status)))
	}
	return nil
}

// movable answers ECONFLICT when r cannot move to another queue.
func movable(r *Request) error {
	if r.Status.Terminal() {
		return Errorf(ECONFLICT, "%s request cannot be moved", withArticle(string(r.Status)))
	}
	return nil
}

// replyable answers ECONFLICT when r cannot be replied to.
func replyable(r *Request) error {
	if !CanMove(r.Status, StatusFulfilled) {
		return Errorf(ECONFLICT, "%s request cannot be replied to; it must be in_progress or on_hold", withArticle(string(r.Status)))
	}
	return nil
}

// mergeable answers ECONFLICT when r cannot be closed as a duplicate.
func mergeable(r *Request) error {
	if !CanMove(r.Status, StatusDuplicate) {
		return Errorf(ECONFLICT, "%s request cannot be merged", withArticle(string(r.Status)))
	}
	return nil
}

// takesExport answers ECONFLICT when r takes no export file.
func takesExport(r *Request) error {
	switch {
	case r.Type != TypeAccess && r.Type != TypePortability:
		return Errorf(ECONFLICT, "exports answer access and portability requests; this is %s request", withArticle(string(r.Type)))
	case r.Status != StatusInProgress && r.Status != StatusOnHold:
		return Errorf(ECONFLICT, "%s request takes no export; it must be in_progress or on_hold", withArticle(string(r.Status)))
	}
	return nil
}

// takesErasure answers ECONFLICT when no erasure can be recorded on r.
func takesErasure(r *Request) error {
	switch {
	case r.Type != TypeDeletion:
		return Errorf(ECONFLICT, "an erasure is recorded on a deletion request; this is %s request", withArticle(string(r.Type)))
	case !oneOf(r.Status, []Status{StatusInProgress, StatusOnHold, StatusFulfilled}):
		return Errorf(ECONFLICT, "%s request records no erasure; start work on it first", withArticle(string(r.Status)))
	}
	return nil
}

// extensionLeft answers how many units of extension p still allows r at now, after those granted; ECONFLICT
// when none.
func extensionLeft(p *Policy, r *Request, granted []*Extension, now time.Time) (int, error) {
	switch {
	case p.Extension.Count == 0:
		return 0, Errorf(ECONFLICT, "policy %s allows no extension", p.Name)
	case r.Status.Terminal():
		return 0, Errorf(ECONFLICT, "%s request cannot be extended", withArticle(string(r.Status)))
	case now.After(r.Due.At):
		return 0, Errorf(ECONFLICT, "the deadline has passed; an extension must be decided before it")
	}
	left := p.Extension.Count
	for _, e := range granted {
		left -= e.Count
	}
	if left <= 0 {
		return 0, Errorf(ECONFLICT, "policy %s allows at most %d %s of extension, all granted", p.Name, p.Extension.Count, p.Extension.Unit)
	}
	return left, nil
}

// allowedActions decides what a may do to r at now under p, given its extensions: the role's grant first, then
// the request's state through the use cases' own predicates. a is assumed to see r (gateRequest decided).
func allowedActions(a Actor, r *Request, p *Policy, granted []*Extension, now time.Time) Actions {
	if authorize(a, permWorkRequests) != nil {
		return Actions{}
	}
	x := Actions{Transitions: transitionTargets(r.Status), Note: true}
	x.Assign = assignable(r) == nil
	x.Claim = x.Assign && a.Role == RoleOfficer && r.AssigneeID != a.UserID
	x.Move = movable(r) == nil
	x.Reply = replyable(r) == nil
	x.Merge = mergeable(r) == nil
	x.Export = takesExport(r) == nil
	x.Erasure = takesErasure(r) == nil
	_, err := extensionLeft(p, r, granted, now)
	x.Extend = err == nil
	return x
}

// Standing is how an open request stands against its deadline today, in working days of its policy's calendar.
type Standing struct {
	Today   calendar.Date // in the policy's time zone
	Overdue bool          // the due time has passed
	// DaysLeft counts the working days after today up to the due date (0 on the due day, and when overdue); while
	// the clock is paused, those that were left on the day it stopped.
	DaysLeft int
	DaysLate int  // working days after the due date up to today; 0 unless overdue
	DueSoon  bool // not overdue, at most ReminderWorkingDays left, and the clock running
	Paused   bool
}

// standing computes r's Standing at now under p: the one computation behind the work list's "N working days
// left" and the escalation ladder.
func (s *core) standing(p *Policy, r *Request, now time.Time) (Standing, error) {
	cal, err := s.cals.Load().lookup(p.Calendar)
	if err != nil {
		return Standing{}, err
	}
	st := Standing{Today: today(p, now), Paused: r.Clock.Paused != nil}
	switch {
	case st.Paused:
		st.DaysLeft, _ = calendar.WorkingDaysBetween(cal, *r.Clock.Paused, r.Due.Date)
	case now.After(r.Due.At):
		st.Overdue = true
		st.DaysLate, _ = calendar.WorkingDaysBetween(cal, r.Due.Date, st.Today)
	default:
		st.DaysLeft, _ = calendar.WorkingDaysBetween(cal, st.Today, r.Due.Date)
		st.DueSoon = st.DaysLeft <= ReminderWorkingDays
	}
	return st, nil
}

// Standing answers how r stands against its deadline now (see Standing); for listings, whose rows carry the
// policy, clock and due date it needs. A closed request stands nowhere: the zero Standing.
func (s *Workflow) Standing(r *Request) (Standing, error) {
	if r.ClosedAt != nil || r.Status.Terminal() {
		return Standing{}, nil
	}
	p, err := s.policy(r.Policy)
	if err != nil {
		return Standing{}, err
	}
	return s.standing(p, r, s.now())
}

// RequestView is a request as the work pages show it before anyone asks for the subject's personal data.
type RequestView struct {
	// Request without Subject, Details, ReplyMessage and CorrectionOutcomes: reading them is the audited Request.
	Request  *Request
	Standing Standing
	Actions  Actions
	Location *time.Location // the policy's time zone, in which its dates are shown
	// DaysUsed of the clock's Budget; WorkingDays tells whether they are working days of the policy's calendar
	// or calendar days.
	DaysUsed, Budget int
	WorkingDays      bool
	// Corrections is how many corrections a rectification asks for: the reply gives each an outcome.
	Corrections int
}

// RequestView reads a request without its subject's personal data, with where it stands and what a may do to
// it. ENOTFOUND also when a may not see it (the refusal audited), as for Request.
func (s *Workflow) RequestView(ctx context.Context, a Actor, id string) (*RequestView, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var v *RequestView
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return err
		}
		granted, err := tx.RequestExtensions(ctx, r.ID)
		if err != nil {
			return err
		}
		now := s.now()
		v = &RequestView{Request: withoutPersonalData(r), Actions: allowedActions(a, r, p, granted, now), Location: p.Location,
			DaysUsed: p.daysUsed(s.cals.Load(), r.Clock, now), Budget: r.Clock.Budget,
			WorkingDays: p.Period.Unit == UnitWorkingDays, Corrections: len(r.Details.Corrections)}
		if r.ClosedAt == nil && !r.Status.Terminal() {
			v.Standing, err = s.standing(p, r, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// withoutPersonalData is a copy of r without the fields that hold the subject's personal data.
func withoutPersonalData(r *Request) *Request {
	c := *r
	c.Subject, c.Details, c.ReplyMessage, c.CorrectionOutcomes = Subject{}, Details{}, "", nil
	return &c
}

// Colleague is an officer a request may be handed to: her ID, name and the queues she works in, nothing more.
type Colleague struct {
	ID       string
	Name     string
	QueueIDs []string
}

// Colleagues lists, by name, the officers of the queues a sees (every queue for admins and auditors): those a
// request may be assigned to, and whose requests a listing may select.
func (s *Workflow) Colleagues(ctx context.Context, a Actor) ([]Colleague, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	queues, err := s.db.ListQueues(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Colleague{}
	var out []*Colleague
	for _, q := range queues {
		if !seesQueue(a, q) {
			continue
		}
		for _, id := range q.Members {
			c := byID[id]
			if c == nil {
				u, err := s.db.FindUser(ctx, id)
				if ErrorCode(err) == ENOTFOUND {
					continue
				} else if err != nil {
					return nil, err
				}
				if u.Role != RoleOfficer {
					continue
				}
				c = &Colleague{ID: u.ID, Name: u.Name}
				byID[id] = c
				out = append(out, c)
			}
			c.QueueIDs = append(c.QueueIDs, q.ID)
		}
	}
	slices.SortFunc(out, func(x, y *Colleague) int { return strings.Compare(x.Name, y.Name) })
	list := make([]Colleague, len(out))
	for i, c := range out {
		list[i] = *c
	}
	return list, nil
}
