package service

import (
	"context"
	"fmt"
)

// withDuplicateHint shows r's PossibleDuplicateOf to a only when a may see that request too: the hint would
// otherwise tell an intake token (which sits in public web pages) whether an address has an open request, and
// an officer about requests outside her queues. The stored hint is kept; only the answer loses it.
func (s *Service) withDuplicateHint(ctx context.Context, a Actor, r *Request, err error) (*Request, error) {
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
func (s *Service) withDuplicateHints(ctx context.Context, a Actor, rs []*Request) error {
	for _, r := range rs {
		if _, err := s.withDuplicateHint(ctx, a, r, nil); err != nil {
			return err
		}
	}
	return nil
}

// mayKnowOf reports whether a may learn that request id exists: whether a may see it.
func (s *Service) mayKnowOf(ctx context.Context, a Actor, id string) (bool, error) {
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
