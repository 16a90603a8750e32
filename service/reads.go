package service

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// Request reads one request with the subject's personal data; the read is an audit event.
// ENOTFOUND also when the caller may not see it, so that existence does not leak.
func (s *Workflow) Request(ctx context.Context, a Actor, id string) (*Request, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var r *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		var err error
		if r, err = s.workable(ctx, tx, id); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.read", r.ID, nil)
	})
	return s.withDuplicateHint(ctx, a, r, err)
}

// ListRequests lists requests by due time, soonest first, without their subjects' personal data.
func (s *Workflow) ListRequests(ctx context.Context, a Actor, q ListRequestsQuery) (RequestPage, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return RequestPage{}, err
	}
	f, err := s.requestFilter(a, q)
	if err != nil {
		return RequestPage{}, err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	var items []*Request
	if by := subjectSearch(q); by != "" {
		// Who looked for whose requests is recorded (by which parameter, never the value), as a read is.
		err = s.begin(ctx, func(tx workflowStore) error {
			var err error
			if items, err = tx.ListRequests(ctx, f); err != nil {
				return err
			}
			return s.appendEvent(ctx, tx, a, "request.searched", "", map[string]string{"by": by,
				"found": strconv.Itoa(min(len(items), limit))})
		})
	} else {
		items, err = s.db.ListRequests(ctx, f)
	}
	if err != nil {
		return RequestPage{}, fmt.Errorf("list requests: %w", err)
	}
	if err := s.withDuplicateHints(ctx, a, items); err != nil {
		return RequestPage{}, err
	}
	page := RequestPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(RequestCursor{DueAt: last.Due.At, ID: last.ID})
	}
	return page, nil
}

func (s *Workflow) requestFilter(a Actor, q ListRequestsQuery) (RequestFilter, error) {
	var fe fieldErrors
	f := RequestFilter{Status: q.Status, Type: q.Type, QueueID: q.QueueID, AssigneeID: q.AssigneeID, Limit: q.Limit,
		Reference: q.Reference}
	switch {
	case q.Status == nil:
	case *q.Status == StatusActive:
		f.Status, f.NotClosed = nil, true
	case !oneOf(*q.Status, Statuses):
		fe.add("status", "is not a status, nor active")
	}
	if q.Reference != nil && (*q.Reference == "" || len(*q.Reference) > 40) {
		fe.add("reference", "must be a reference such as DSR-2026-000042")
	}
	switch {
	case q.SubjectEmail != nil && q.SubjectPhone != nil:
		fe.add("subject_phone", "search by subject_email or by subject_phone, not both")
	case q.SubjectEmail != nil:
		email(&fe, "subject_email", *q.SubjectEmail)
		if *q.SubjectEmail == "" {
			fe.add("subject_email", "must be an e-mail address such as name@example.com")
		}
		f.SubjectIndex = s.keys.SubjectIndex(Subject{Email: *q.SubjectEmail})
	case q.SubjectPhone != nil:
		phone(&fe, "subject_phone", *q.SubjectPhone)
		if *q.SubjectPhone == "" {
			fe.add("subject_phone", "must be a phone number with at least 5 digits")
		}
		f.PhoneIndex = s.keys.PhoneIndex(*q.SubjectPhone)
	}
	if q.Type != nil && !oneOf(*q.Type, RequestTypes) {
		fe.add("type", "is not a request type")
	}
	if q.AssigneeID != nil {
		switch {
		case *q.AssigneeID == "me":
			f.AssigneeID = &a.UserID
		case *q.AssigneeID == AssigneeNone:
			f.AssigneeID, f.Unassigned = nil, true
		case !isUUID(*q.AssigneeID):
			fe.add("assignee", "must be a user ID, me or unassigned")
		}
	}
	if q.Overdue {
		now := s.now()
		f.OverdueAt = &now
	}
	if q.DueWithin != nil {
		if *q.DueWithin < 0 || *q.DueWithin > 60 {
			fe.add("due_within", "must be between 0 and 60 working days")
		}
		p, _ := s.policy(DefaultPolicy)
		cutoff, _ := calendar.AddWorkingDays(s.cals.Load().cn, today(p, s.now()), *q.DueWithin)
		end := cutoff.AddDays(1).Start(p.Location)
		if f.OverdueAt == nil || end.Before(*f.OverdueAt) {
			f.OverdueAt = &end // open and due before the end of the cutoff day
		}
	}
	if q.DueBefore != nil {
		d, err := calendar.ParseDate(*q.DueBefore)
		if err != nil {
			fe.add("due_before", "must be a date, YYYY-MM-DD")
		}
		f.DueBefore = &d
	}
	switch {
	case q.Limit == 0:
		f.Limit = DefaultPageSize
	case q.Limit < 1 || q.Limit > MaxPageSize:
		fe.add("limit", "must be between 1 and %d", MaxPageSize)
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			fe.add("cursor", "is not a cursor this server issued")
		}
		f.After = &c
	}
	if a.Role == RoleOfficer {
		f.VisibleTo = &a.UserID
	}
	return f, fe.err()
}

// RequestEvents returns a request's audit trail, oldest first.
func (s *Workflow) RequestEvents(ctx context.Context, a Actor, id string) ([]*Event, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var events []*Event
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		if _, err := s.workable(ctx, tx, id); err != nil {
			return err
		}
		var err error
		events, err = tx.RequestEvents(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return events, s.withoutUnseenDuplicates(ctx, a, events)
}
