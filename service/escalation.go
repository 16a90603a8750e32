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
		if err := s.escalateAll(ctx, due, now, &res); err != nil {
			return res, err
		}
		if len(batch) < escalationPage {
			return res, nil
		}
		last := batch[len(batch)-1]
		after = &RequestCursor{DueAt: last.Due.At, ID: last.ID}
	}
}

// escalationPage is how many candidates the sweep reads at a time; the decisions of a page are handed to the
// store at once, each in its own transaction, which the store commits together (one commit for the lot instead
// of one each).
const escalationPage = 200

// escalateAll decides each of rs and records the decisions, and adds what was sent to res. Each decision, its
// recipients and its e-mails are worked out from the request as read, outside the writer; then every decision
// of the page goes to the store in one batch (WithTxEach), each its own transaction, which raises the level only
// if the request still stands as read (store.RaiseEscalationLevel) and queues the e-mails and events with it: one
// that fails changes nothing of the others. A request that changed in between (closed, paused, reassigned, due
// at another time, escalated by another replica) is read again and decided afresh, at most escalationAttempts
// times; past that the next sweep looks at it. The first error is returned after all have run.
func (s *Escalation) escalateAll(ctx context.Context, rs []*Request, now time.Time, res *EscalationResult) error {
	var firstErr error
	fail := func(r *Request, err error) {
		if firstErr == nil {
			firstErr = fmt.Errorf("escalate %s: %w", r.Reference, err)
		}
	}
	pending := rs
	for attempt := 1; len(pending) > 0; attempt++ {
		var (
			decided []*Request
			plans   []*escalationPlan
		)
		for _, r := range pending {
			plan, err := s.planEscalation(ctx, r, now)
			if err != nil {
				fail(r, err)
			} else if plan != nil {
				decided, plans = append(decided, r), append(plans, plan)
			}
		}
		raised := make([]bool, len(plans))
		fns := make([]func(tx escalationStore) error, len(plans))
		for i := range plans {
			r, plan := decided[i], plans[i]
			fns[i] = func(tx escalationStore) error {
				raised[i] = false // the last attempt's, should the store run fn again
				ok, err := tx.RaiseEscalationLevel(ctx, r, plan.target)
				if err != nil || !ok {
					return err
				}
				for _, m := range plan.mails {
					if _, err := tx.EnqueueMail(ctx, m); err != nil {
						return err
					}
				}
				for _, ev := range plan.events {
					if err := s.appendEvent(ctx, tx, SystemActor, "request.escalated", r.ID, ev); err != nil {
						return err
					}
				}
				raised[i] = true
				return nil
			}
		}
		pending = nil
		for i, err := range s.beginEach(ctx, fns) {
			r := decided[i]
			switch {
			case err != nil:
				fail(r, err)
			case raised[i]:
				res.add(plans[i].res)
			case attempt == escalationAttempts:
			default:
				fresh, err := s.db.FindRequest(ctx, r.ID)
				if ErrorCode(err) == ENOTFOUND {
					continue
				} else if err != nil {
					fail(r, err)
					continue
				}
				pending = append(pending, fresh)
			}
		}
	}
	return firstErr
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

// escalationPlan is what escalating a request to target means: its e-mails, its audit events' data, its counts.
type escalationPlan struct {
	target string
	mails  []*Mail
	events []map[string]string
	res    EscalationResult
}

// planEscalation decides r's escalation at now; nil when none is due.
func (s *Escalation) planEscalation(ctx context.Context, r *Request, now time.Time) (*escalationPlan, error) {
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
	plan := &escalationPlan{target: target}
	for _, level := range send {
		to, err := s.escalationRecipients(ctx, r, level)
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

// escalationRecipients are the staff addresses a level goes to; the DPO stands in when nobody else is known.
func (s *Escalation) escalationRecipients(ctx context.Context, r *Request, level string) ([]string, error) {
	var assignee, queue string
	if r.AssigneeID != "" {
		u, err := s.db.FindUser(ctx, r.AssigneeID)
		if err != nil {
			return nil, err
		}
		assignee = u.Email
	}
	if r.QueueID != "" {
		q, err := s.db.FindQueue(ctx, r.QueueID)
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
		DueAt: longTime(r.Locale, r.Due.At.In(p.Location)), Link: s.publicURL + "/api/v1/requests/" + r.ID}
	data.WorkingDaysLeft, data.WorkingDaysLate = st.DaysLeft, st.DaysLate
	subject, text, err := renderMail("escalation_"+level, r.Locale, data)
	if err != nil {
		return nil, err
	}
	return &Mail{ID: s.newID(), DedupeKey: "escalation:" + level + ":" + r.ID + ":" + to,
		Kind: "escalation_" + level, RequestID: r.ID, To: to, Subject: subject, Text: text, HTML: htmlFromText(text),
		Status: MailPending, NextAttemptAt: now, CreatedAt: now}, nil
}
