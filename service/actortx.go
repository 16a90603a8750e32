package service

import (
	"context"
	"fmt"
)

// txRunner runs fn in one transaction over the view T of the store an area uses: committed when fn returns nil,
// rolled back otherwise. An area's fake implements it directly; the real store's WithTx is adapted by viewTx.
type txRunner[T any] func(ctx context.Context, fn func(tx T) error) error

// viewTx adapts st.WithTx to hand fn the transaction as the narrow view T (a Store satisfies every view).
func viewTx[T any](st Store, view func(Store) T) txRunner[T] {
	return func(ctx context.Context, fn func(tx T) error) error {
		return st.WithTx(ctx, func(tx Store) error { return fn(view(tx)) })
	}
}

// eventAppender is what appending to the audit chain needs of a transaction.
type eventAppender interface {
	LockAuditHead(ctx context.Context) (AuditHead, error)
	AppendEvents(ctx context.Context, events []*Event, headMAC string) error
}

// refusals carries the duty to audit every refusal of an actor's transaction: each request the actor named but
// may not see is collected here, whatever error the call then returns (a 404, a 422 naming a field, or none),
// and inActorTx writes one access.denied event for each, committed even when the call's own transaction rolls
// back.
type refusals struct {
	actor   Actor
	refused []string // request IDs, in the order they were refused
}

// refuse records that the actor was refused request id.
func (rf *refusals) refuse(id string) {
	if !oneOf(id, rf.refused) {
		rf.refused = append(rf.refused, id)
	}
}

// actorTx is one transaction of a service call made on behalf of an actor, over the whole store.
type actorTx struct {
	Store
	*refusals
}

// inActorTx is the one place an actor's transactions start, whatever view of the store they take: it runs fn in
// one transaction, then audits the refusals fn collected: inside the same transaction when it commits, in a
// small transaction of their own when it rolls back. So no refusal depends on how an error travels back.
func inActorTx[T eventAppender](ctx context.Context, c *core, run txRunner[T], a Actor, fn func(tx T, rf *refusals) error) error {
	var refused []string
	err := run(ctx, func(tx T) error {
		rf := &refusals{actor: a}
		err := fn(tx, rf)
		refused = rf.refused // the last attempt's, should the store run fn again
		if err != nil {
			return err
		}
		return c.auditRefusals(ctx, tx, a, refused)
	})
	if err == nil || len(refused) == 0 {
		return err
	}
	if aerr := run(ctx, func(tx T) error {
		return c.auditRefusals(ctx, tx, a, refused)
	}); aerr != nil {
		return fmt.Errorf("audit refused access to %v: %w", refused, aerr)
	}
	return err
}

// withTx runs fn in one transaction over the whole store for actor a, auditing its refusals (see inActorTx).
func (s *core) withTx(ctx context.Context, a Actor, fn func(tx *actorTx) error) error {
	return inActorTx(ctx, s, s.store.WithTx, a, func(tx Store, rf *refusals) error {
		return fn(&actorTx{Store: tx, refusals: rf})
	})
}

// auditRefusals appends one access.denied event per refused request.
func (s *core) auditRefusals(ctx context.Context, tx eventAppender, a Actor, refused []string) error {
	for _, id := range refused {
		if err := s.appendEvent(ctx, tx, a, "access.denied", id, nil); err != nil {
			return err
		}
	}
	return nil
}

// requestGate is what deciding whether an actor may work on a request needs of the store.
type requestGate interface {
	FindRequest(ctx context.Context, id string) (*Request, error)
	queueMemberships
}

// queueMemberships answers which queues a user belongs to.
type queueMemberships interface {
	UserQueueIDs(ctx context.Context, userID string) ([]string, error)
}

// workableRequest finds a request the actor may work on. ENOTFOUND when it may not see it, and the refusal is
// recorded in tx, to be audited however the caller reports it.
func (s *core) workableRequest(ctx context.Context, tx *actorTx, id string) (*Request, error) {
	return s.gateRequest(ctx, tx, tx.refusals, id)
}

// gateRequest finds request id in st for rf's actor: ENOTFOUND, with the refusal recorded in rf, when the actor
// may not see it.
func (s *core) gateRequest(ctx context.Context, st requestGate, rf *refusals, id string) (*Request, error) {
	r, err := st.FindRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(ctx, st, rf.actor, r)
	if err != nil {
		return nil, err
	}
	if !ok {
		rf.refuse(r.ID)
		return nil, Errorf(ENOTFOUND, "no request %s", id)
	}
	return r, nil
}

// canSee reports whether a may see r: admins and auditors see all; officers see their queues' requests. Every
// refusal is logged in the audit trail.
func (s *core) canSee(ctx context.Context, st queueMemberships, a Actor, r *Request) (bool, error) {
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
