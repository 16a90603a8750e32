package service

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// The escalation levels, in order: each is sent once per request.
const (
	LevelReminder = "reminder" // 3 working days or fewer remain: the assignee, or the queue when unassigned
	LevelOverdue  = "overdue"  // the due time has passed: the assignee and the queue
	LevelDPO      = "dpo"      // overdue by 2 working days or more: the data protection officer
)

var levelRank = map[string]int{"": 0, LevelReminder: 1, LevelOverdue: 2, LevelDPO: 3}

// ReminderWorkingDays and DPOWorkingDays place the ladder's first and last steps.
const (
	ReminderWorkingDays = 3
	DPOWorkingDays      = 2
)

// EscalationStore finds the requests the ladder may concern.
type EscalationStore interface {
	// EscalationCandidates returns up to limit open requests whose clock runs, not yet escalated to the DPO,
	// due before dueBefore, after the cursor position, in (due_at, id) order.
	EscalationCandidates(ctx context.Context, dueBefore time.Time, after *RequestCursor, limit int) ([]*Request, error)
}

// EscalationResult counts what a sweep did.
type EscalationResult struct {
	Examined, Reminders, Overdue, DPO int
	Unaddressed                       int // levels reached with nobody to tell (no assignee, queue or DPO address)
}

func (r EscalationResult) String() string {
	return fmt.Sprintf("%d examined; sent %d reminder, %d overdue, %d dpo; %d without a recipient",
		r.Examined, r.Reminders, r.Overdue, r.DPO, r.Unaddressed)
}

// Escalate sends each request the escalations its deadline calls for, each level once per request whatever the
// number of replicas or restarts: the level and its e-mails are decided in one transaction, and the outbox
// refuses a second mail for the same decision. It reads only requests near or past their due date, so its cost
// grows with the number due, not with the number stored.
func (s *Escalation) Escalate(ctx context.Context) (EscalationResult, error) {
	var res EscalationResult
	now := s.now()
	cals := s.cals.Load()
	// The loosest reminder cutoff of all policies bounds the scan; each request is then judged by its own.
	var bound time.Time
	for _, p := range s.policies {
		cut, err := s.reminderCutoff(p, cals, now)
		if err != nil {
			return res, err
		}
		if cut.After(bound) {
			bound = cut
		}
	}
	dir := &staffDirectory{db: s.db, users: map[string]*User{}, queues: map[string]*Queue{}}
	var after *RequestCursor
	for {
		batch, err := s.db.EscalationCandidates(ctx, bound, after, escalationPage)
		if err != nil {
			return res, fmt.Errorf("escalation candidates: %w", err)
		}
		var due []*Request
		for _, r := range batch {
			res.Examined++
			if s.escalationDue(r, now) { // already at its level: no write transaction for the steady state
				due = append(due, r)
			}
		}
		if err := s.escalateAll(ctx, due, now, dir, &res); err != nil {
			return res, err
		}
		if len(batch) < escalationPage {
			return res, nil
		}
		last := batch[len(batch)-1]
		after = &RequestCursor{DueAt: last.Due.At, ID: last.ID}
	}
}

// escalationPage is how many candidates the sweep reads at a time; the decisions of a page are recorded in one
// transaction. Measured on 10,000 due: 200 a page took 40% longer than 500 (twice as many commits), 1,000 saved
// little more and held twice the heap.
const escalationPage = 500

// EscalationRaise is one decision of the sweep: raise Seen, as it was read, to Level.
type EscalationRaise struct {
	Seen  *Request
	Level string
}

// escalateAll decides each of rs and records the decisions, and adds what was sent to res. Each decision, its
// recipients and its e-mails are worked out from the request as read, outside the writer; then the page's
// decisions are recorded in one transaction of a few statements whatever their number: the levels raised only
// where the request still stands as read (RaiseEscalationLevels), the e-mails of those in one insert, their
// events. A request that changed in between (closed, paused, reassigned, due at another time, escalated by
// another replica) is read again and decided afresh, at most escalationAttempts times; past that the next sweep
// looks at it. A request that cannot be decided (its policy or calendar unknown) leaves the others of the page
// be, and the first such error is returned after them; a failed transaction stops the sweep (the next redoes
// the page).
func (s *Escalation) escalateAll(ctx context.Context, rs []*Request, now time.Time, dir *staffDirectory, res *EscalationResult) error {
	var firstErr error
	pending := rs
	for attempt := 1; len(pending) > 0; attempt++ {
		var plans []*escalationPlan
		for _, r := range pending {
			plan, err := s.planEscalation(ctx, r, now, dir)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("escalate %s: %w", r.Reference, err)
			} else if plan != nil {
				plans = append(plans, plan)
			}
		}
		if len(plans) == 0 {
			break
		}
		raised, err := s.recordEscalations(ctx, plans)
		if err != nil {
			return fmt.Errorf("record %d escalations: %w", len(plans), err)
		}
		pending = nil
		for i, plan := range plans {
			switch {
			case raised[i]:
				res.add(plan.res)
			case attempt == escalationAttempts:
			default:
				fresh, err := s.db.FindRequest(ctx, plan.r.ID)
				if ErrorCode(err) == ENOTFOUND {
					continue
				} else if err != nil {
					return fmt.Errorf("escalate %s: %w", plan.r.Reference, err)
				}
				pending = append(pending, fresh)
			}
		}
	}
	return firstErr
}

// recordEscalations records plans in one transaction and reports which were raised.
func (s *Escalation) recordEscalations(ctx context.Context, plans []*escalationPlan) ([]bool, error) {
	raises := make([]EscalationRaise, len(plans))
	for i, p := range plans {
		raises[i] = EscalationRaise{Seen: p.r, Level: p.target}
	}
	var raised []bool
	err := s.begin(ctx, func(tx escalationStore) error {
		var err error
		if raised, err = tx.RaiseEscalationLevels(ctx, raises); err != nil {
			return err
		}
		var mails []*Mail // one insert for the page's e-mails and one for its events
		for i, p := range plans {
			if raised[i] {
				mails = append(mails, p.mails...)
			}
		}
		if _, err := tx.EnqueueMails(ctx, mails); err != nil {
			return err
		}
		var events []NewEvent
		for i, p := range plans {
			if !raised[i] {
				continue
			}
			for _, ev := range p.events {
				events = append(events, NewEvent{Actor: SystemActor, Action: "request.escalated", RequestID: p.r.ID, Data: ev})
			}
		}
		return s.appendEvents(ctx, tx, events)
	})
	return raised, err
}

func (r *EscalationResult) add(o EscalationResult) {
	r.Reminders += o.Reminders
	r.Overdue += o.Overdue
	r.DPO += o.DPO
	r.Unaddressed += o.Unaddressed
}

// reminderCutoff is the end of the last day on which a request of p is within ReminderWorkingDays.
func (s *Escalation) reminderCutoff(p *Policy, cals *calendarSet, now time.Time) (time.Time, error) {
	cal, err := cals.lookup(p.Calendar)
	if err != nil {
		return time.Time{}, err
	}
	last, _ := calendar.AddWorkingDays(cal, today(p, now), ReminderWorkingDays)
	return last.EndOfDay(p.Location).Add(time.Second), nil
}

// levelDue is the highest level a request has reached at now.
func (s *Escalation) levelDue(p *Policy, r *Request, now time.Time) (string, error) {
	st, err := s.standing(p, r, now)
	switch {
	case err != nil:
		return "", err
	case st.Overdue && st.DaysLate >= DPOWorkingDays:
		return LevelDPO, nil
	case st.Overdue:
		return LevelOverdue, nil
	case st.DaysLeft <= ReminderWorkingDays:
		return LevelReminder, nil
	}
	return "", nil
}

// escalationDue reports, from a listed request, whether it has reached a level not yet sent; escalate checks
// again inside its transaction.
func (s *Escalation) escalationDue(r *Request, now time.Time) bool {
	p, err := s.policy(r.Policy)
	if err != nil {
		return true // let escalate report it
	}
	target, err := s.levelDue(p, r, now)
	return err != nil || levelRank[target] > levelRank[r.EscalationLevel]
}

// escalationAttempts bounds how often the sweep decides again for a request that changed under it; past that the
// next sweep looks at it afresh.
const escalationAttempts = 3

// escalationPlan is what escalating r to target means: its e-mails, its audit events' data, its counts.
type escalationPlan struct {
	r      *Request
	target string
	mails  []*Mail
	events []map[string]string
	res    EscalationResult
}

// planEscalation decides r's escalation at now; nil when none is due.
func (s *Escalation) planEscalation(ctx context.Context, r *Request, now time.Time, dir *staffDirectory) (*escalationPlan, error) {
	if r.ClosedAt != nil || r.Clock.Paused != nil {
		return nil, nil
	}
	p, err := s.policy(r.Policy)
	if err != nil {
		return nil, err
	}
	target, err := s.levelDue(p, r, now)
	if err != nil || levelRank[target] <= levelRank[r.EscalationLevel] {
		return nil, err
	}
	// A request that jumped past a step (the scheduler was down) skips the reminder but never the people who
	// must hear that it is overdue.
	var send []string
	if target == LevelReminder {
		send = []string{LevelReminder}
	}
	if levelRank[target] >= levelRank[LevelOverdue] && levelRank[r.EscalationLevel] < levelRank[LevelOverdue] {
		send = append(send, LevelOverdue)
	}
	if target == LevelDPO {
		send = append(send, LevelDPO)
	}
	plan := &escalationPlan{r: r, target: target}
	for _, level := range send {
		to, err := s.escalationRecipients(ctx, r, level, dir)
		if err != nil {
			return nil, err
		}
		if len(to) == 0 {
			plan.res.Unaddressed++
		}
		for _, addr := range to {
			m, err := s.renderEscalation(r, p, level, addr, now)
			if err != nil {
				return nil, err
			}
			plan.mails = append(plan.mails, m)
		}
		switch level {
		case LevelReminder:
			plan.res.Reminders++
		case LevelOverdue:
			plan.res.Overdue++
		case LevelDPO:
			plan.res.DPO++
		}
		plan.events = append(plan.events, map[string]string{"level": level, "recipients": fmt.Sprint(len(to))})
	}
	return plan, nil
}

// staffDirectory remembers, for one sweep, the users and queues it has read: a sweep's thousands of requests
// share a few dozen of each, and each would otherwise cost a read.
type staffDirectory struct {
	db interface {
		FindUser(ctx context.Context, id string) (*User, error)
		FindQueue(ctx context.Context, id string) (*Queue, error)
	}
	users  map[string]*User
	queues map[string]*Queue
}

func (d *staffDirectory) user(ctx context.Context, id string) (*User, error) {
	if u, ok := d.users[id]; ok {
		return u, nil
	}
	u, err := d.db.FindUser(ctx, id)
	if err != nil {
		return nil, err
	}
	d.users[id] = u
	return u, nil
}

func (d *staffDirectory) queue(ctx context.Context, id string) (*Queue, error) {
	if q, ok := d.queues[id]; ok {
		return q, nil
	}
	q, err := d.db.FindQueue(ctx, id)
	if err != nil {
		return nil, err
	}
	d.queues[id] = q
	return q, nil
}

// escalationRecipients are the staff addresses a level goes to; the DPO stands in when nobody else is known.
func (s *Escalation) escalationRecipients(ctx context.Context, r *Request, level string, dir *staffDirectory) ([]string, error) {
	var assignee, queue string
	if r.AssigneeID != "" {
		u, err := dir.user(ctx, r.AssigneeID)
		if err != nil {
			return nil, err
		}
		assignee = u.Email
	}
	if r.QueueID != "" {
		q, err := dir.queue(ctx, r.QueueID)
		if err != nil {
			return nil, err
		}
		queue = q.EscalationEmail
	}
	var to []string
	switch level {
	case LevelReminder:
		to = []string{assignee}
		if assignee == "" {
			to = []string{queue}
		}
	case LevelOverdue:
		to = []string{assignee, queue}
	}
	to = nonEmptyUnique(to)
	if level == LevelDPO || len(to) == 0 {
		to = nonEmptyUnique([]string{s.dpoEmail})
	}
	return to, nil
}

func nonEmptyUnique(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" && !oneOf(v, out) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// escalationMail is the data of escalation templates: references only, never the subject's personal data. Type
// is in words ("deletion of personal data"), dates as people read them in the mail's language.
type escalationMail struct {
	Org, Reference, Type, DueDate, DueAt, Link string
	WorkingDaysLeft, WorkingDaysLate           int
}

// renderEscalation renders one escalation e-mail to one recipient.
func (s *Escalation) renderEscalation(r *Request, p *Policy, level, to string, now time.Time) (*Mail, error) {
	st, err := s.standing(p, r, now)
	if err != nil {
		return nil, err
	}
	kind, err := word(r.Locale, "kind", string(r.Type))
	if err != nil {
		return nil, err
	}
	data := escalationMail{Org: s.orgName, Reference: r.Reference, Type: kind, DueDate: longDate(r.Locale, r.Due.Date),
		DueAt: longTime(r.Locale, r.Due.At.In(p.Location)), Link: s.consoleLink(r)}
	data.WorkingDaysLeft, data.WorkingDaysLate = st.DaysLeft, st.DaysLate
	subject, text, err := renderMail("escalation_"+level, r.Locale, data)
	if err != nil {
		return nil, err
	}
	return &Mail{ID: s.newID(), DedupeKey: "escalation:" + level + ":" + r.ID + ":" + to,
		Kind: "escalation_" + level, RequestID: r.ID, To: to, Subject: subject, Text: text,
		Status: MailPending, NextAttemptAt: now, CreatedAt: now}, nil
}
