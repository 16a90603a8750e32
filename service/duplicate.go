package service

import (
	"context"
	"fmt"
)

// withDuplicateHint shows r's PossibleDuplicateOf to a only when a may see that request too: the hint would
// otherwise tell an intake token (which sits in public web pages) whether an address has an open request, and
// an officer about requests outside her queues. The stored hint is kept; only the answer loses it.
func (s *core) withDuplicateHint(ctx context.Context, a Actor, r *Request, err error) (*Request, error) {
	if err != nil || r == nil || r.PossibleDuplicateOf == "" {
		return r, err
	}
	ok, err := s.mayKnowOf(ctx, a, r.PossibleDuplicateOf)
	if err != nil {
		return nil, err
	}
	if !ok {
		r.PossibleDuplicateOf = ""
	}
	return r, nil
}

// withDuplicateHints is withDuplicateHint for each request of a listing.
func (s *core) withDuplicateHints(ctx context.Context, a Actor, rs []*Request) error {
	for _, r := range rs {
		if _, err := s.withDuplicateHint(ctx, a, r, nil); err != nil {
			return err
		}
	}
	return nil
}

// withoutUnseenDuplicates drops the possible_duplicate_of of filing events that a may not see, as
// withDuplicateHint does for requests. The stored events, and so the audit chain, are unchanged.
func (s *core) withoutUnseenDuplicates(ctx context.Context, a Actor, events []*Event) error {
	for _, e := range events {
		dup := e.Data["possible_duplicate_of"]
		if dup == "" {
			continue
		}
		ok, err := s.mayKnowOf(ctx, a, dup)
		if err != nil {
			return err
		}
		if !ok {
			data := make(map[string]string, len(e.Data))
			for k, v := range e.Data {
				if k != "possible_duplicate_of" {
					data[k] = v
				}
			}
			e.Data = data
		}
	}
	return nil
}

// mayKnowOf reports whether a may learn that request id exists: whether a may see it.
func (s *core) mayKnowOf(ctx context.Context, a Actor, id string) (bool, error) {
	switch a.Role {
	case RoleAdmin, RoleAuditor:
		return true, nil
	case RoleOfficer:
	default:
		return false, nil
	}
	dup, err := s.store.FindRequest(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("find possible duplicate %s: %w", id, err)
	}
	return s.canSee(ctx, s.store, a, dup)
}
