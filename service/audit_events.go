package service

import (
	"context"
	"fmt"
)

// AuditEventStore reads the events that concern no request.
type AuditEventStore interface {
	// OtherEvents returns the events without a request with Seq > afterSeq, in Seq order, at most limit.
	OtherEvents(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
}

// ActorRef names who acted: a user's ID with the name and role the user has now.
type ActorRef struct {
	ID   string
	Name string
	Role string // a Role, "system", or "unknown" for an ID no user has
}

// AuditEntry is an event with its actor named.
type AuditEntry struct {
	Event *Event
	Actor ActorRef
}

// AuditPage is one page of events; NextAfter is the Seq to ask after for the next page, 0 on the last.
type AuditPage struct {
	Items     []AuditEntry
	NextAfter int64
}

// AuditEvents lists the events that concern no request (users, tokens, queues, keys, allowed hosts,
// calendars, searches), oldest first after the Seq after, each with its actor's name and role.
func (s *Reporting) AuditEvents(ctx context.Context, a Actor, after int64, limit int) (AuditPage, error) {
	if err := authorize(a, permReadAudit); err != nil {
		return AuditPage{}, err
	}
	var f fieldErrors
	if after < 0 {
		f.add("after", "must be 0 or more")
	}
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 1 || limit > MaxPageSize:
		f.add("limit", "must be between 1 and %d", MaxPageSize)
	}
	if err := f.err(); err != nil {
		return AuditPage{}, err
	}
	events, err := s.db.OtherEvents(ctx, after, limit+1)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit events: %w", err)
	}
	var page AuditPage
	if len(events) > limit {
		events = events[:limit]
		page.NextAfter = events[limit-1].Seq
	}
	actors := map[string]ActorRef{SystemActor.UserID: {ID: SystemActor.UserID, Name: SystemActor.Name, Role: "system"}}
	page.Items = make([]AuditEntry, 0, len(events))
	for _, e := range events {
		ref, ok := actors[e.ActorID]
		if !ok {
			ref = ActorRef{ID: e.ActorID, Name: "unknown", Role: "unknown"}
			u, err := s.db.FindUser(ctx, e.ActorID)
			switch {
			case err == nil:
				ref.Name, ref.Role = u.Name, string(u.Role)
			case ErrorCode(err) != ENOTFOUND:
				return AuditPage{}, fmt.Errorf("find actor of event %d: %w", e.Seq, err)
			}
			actors[e.ActorID] = ref
		}
		page.Items = append(page.Items, AuditEntry{Event: e, Actor: ref})
	}
	return page, nil
}
