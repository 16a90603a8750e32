package service

import (
	"context"
	"fmt"
)

// actorTx is one transaction of a service call made on behalf of an actor. Besides the store it carries the
// duty to audit every refusal: each request the actor named but may not see is collected here, whatever error
// the call then returns (a 404, a 422 naming a field, or none), and withTx writes one access.denied event for
// each, committed even when the call's own transaction rolls back.
type actorTx struct {
	Store
	actor   Actor
	refused []string // request IDs, in the order they were refused
}

// refuse records that the actor was refused request id.
func (tx *actorTx) refuse(id string) {
	if !oneOf(id, tx.refused) {
		tx.refused = append(tx.refused, id)
	}
}

// withTx runs fn in one transaction for actor a, then audits the refusals fn collected: inside the same
// transaction when it commits, in a small transaction of their own when it rolls back. This is the one place an
// actor's transactions start, so no refusal depends on how an error travels back to the caller.
func (s *core) withTx(ctx context.Context, a Actor, fn func(tx *actorTx) error) error {
	var refused []string
	err := s.store.WithTx(ctx, func(tx Store) error {
		at := &actorTx{Store: tx, actor: a}
		err := fn(at)
		refused = at.refused // the last attempt's, should the store run fn again
		if err != nil {
			return err
		}
		return s.auditRefusals(ctx, tx, a, refused)
	})
	if err == nil || len(refused) == 0 {
		return err
	}
	if aerr := s.store.WithTx(ctx, func(tx Store) error {
		return s.auditRefusals(ctx, tx, a, refused)
	}); aerr != nil {
		return fmt.Errorf("audit refused access to %v: %w", refused, aerr)
	}
	return err
}

// auditRefusals appends one access.denied event per refused request.
func (s *core) auditRefusals(ctx context.Context, tx Store, a Actor, refused []string) error {
	for _, id := range refused {
		if err := s.appendEvent(ctx, tx, a, "access.denied", id, nil); err != nil {
			return err
		}
	}
	return nil
}

// workableRequest finds a request the actor may work on. ENOTFOUND when it may not see it, and the refusal is
// recorded in tx, to be audited however the caller reports it.
func (s *core) workableRequest(ctx context.Context, tx *actorTx, id string) (*Request, error) {
	r, err := tx.FindRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(ctx, tx, tx.actor, r)
	if err != nil {
		return nil, err
	}
	if !ok {
		tx.refuse(r.ID)
		return nil, Errorf(ENOTFOUND, "no request %s", id)
	}
	return r, nil
}

// canSee reports whether a may see r: admins and auditors see all; officers see their queues' requests. Every
// refusal is logged in the audit trail.
func (s *core) canSee(ctx context.Context, st Store, a Actor, r *Request) (bool, error) {
	switch a.Role {
	case RoleAdmin, RoleAuditor:
		return true, nil
	case RoleOfficer:
		if r.QueueID != "" {
			queues, err := st.UserQueueIDs(ctx, a.UserID)
			if err != nil {
				return false, err
			}
			if oneOf(r.QueueID, queues) {
				return true, nil
			}
		}
	}
	return false, nil
}
