package service

import (
	"context"
	"fmt"
	"time"
)

// Queue is a work list of officers. New requests are routed to the first queue whose routes match them, else to
// the default queue.
type Queue struct {
	ID              string
	Name            string
	EscalationEmail string // where reminders go for unassigned requests, and overdue notices
	Locale          string // the language of e-mails about its requests: "en" or "zh-CN"
	Members         []string
	Routes          QueueRoutes
	Default         bool
	Position        int // routing order: lower first
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// QueueRoutes selects requests by type and channel; an empty list matches any, both empty match nothing.
type QueueRoutes struct {
	Types    []RequestType
	Channels []Channel
}

func (r QueueRoutes) match(t RequestType, c Channel) bool {
	if len(r.Types) == 0 && len(r.Channels) == 0 {
		return false
	}
	return (len(r.Types) == 0 || oneOf(t, r.Types)) && (len(r.Channels) == 0 || oneOf(c, r.Channels))
}

// Locales lists the languages e-mails are written in.
var Locales = []string{"en", "zh-CN"}

// QueueStore keeps queues and their members.
type QueueStore interface {
	// CreateQueue inserts q with its members. ECONFLICT if the name is taken.
	CreateQueue(ctx context.Context, q *Queue) error
	// UpdateQueue saves q and replaces its members. ENOTFOUND if absent; ECONFLICT if the name is taken.
	UpdateQueue(ctx context.Context, q *Queue) error
	// FindQueue returns a queue with its members. ENOTFOUND if none.
	FindQueue(ctx context.Context, id string) (*Queue, error)
	// ListQueues returns every queue with its members, in routing order.
	ListQueues(ctx context.Context) ([]*Queue, error)
	// UserQueueIDs returns the queues a user belongs to.
	UserQueueIDs(ctx context.Context, userID string) ([]string, error)
	// DeleteQueue deletes a queue and its members. ENOTFOUND if absent.
	DeleteQueue(ctx context.Context, id string) error
	// CountOpenQueueRequests counts the requests not closed in a queue.
	CountOpenQueueRequests(ctx context.Context, queueID string) (int, error)
}

// QueueInput creates or changes a queue; nil fields are left as they are (on create: defaults).
type QueueInput struct {
	Name            *string
	EscalationEmail *string
	Locale          *string
	Members         *[]string
	Routes          *QueueRoutes
	Default         *bool
}

// CreateQueue creates a queue (admin).
func (s *Admin) CreateQueue(ctx context.Context, a Actor, in QueueInput) (*Queue, error) {
	if err := authorize(a, permManageQueues); err != nil {
		return nil, err
	}
	now := s.now()
	q := &Queue{ID: s.newID(), Locale: "en", CreatedAt: now}
	var out *Queue
	err := s.begin(ctx, func(tx adminStore) error {
		if err := lockQueues(ctx, tx); err != nil {
			return err
		}
		queues, err := tx.ListQueues(ctx)
		if err != nil {
			return err
		}
		q.Position = len(queues)
		if len(queues) > 0 {
			q.Position = queues[len(queues)-1].Position + 1
		}
		if in.Name == nil {
			in.Name = new(string)
		}
		if err := s.applyQueueInput(ctx, tx, q, in, now); err != nil {
			return err
		}
		if err := onlyDefault(q, queues); err != nil {
			return err
		}
		if err := tx.CreateQueue(ctx, q); err != nil {
			return queueNameConflict(err, q.Name)
		}
		out = q
		return s.appendEvent(ctx, tx, a, "queue.created", "", map[string]string{"queue_id": q.ID})
	})
	return out, err
}

// UpdateQueue changes a queue (admin).
func (s *Admin) UpdateQueue(ctx context.Context, a Actor, id string, in QueueInput) (*Queue, error) {
	if err := authorize(a, permManageQueues); err != nil {
		return nil, err
	}
	var out *Queue
	err := s.begin(ctx, func(tx adminStore) error {
		if err := lockQueues(ctx, tx); err != nil {
			return err
		}
		q, err := tx.FindQueue(ctx, id)
		if err != nil {
			return err
		}
		if err := s.applyQueueInput(ctx, tx, q, in, s.now()); err != nil {
			return err
		}
		queues, err := tx.ListQueues(ctx)
		if err != nil {
			return err
		}
		if err := onlyDefault(q, queues); err != nil {
			return err
		}
		if err := tx.UpdateQueue(ctx, q); err != nil {
			return queueNameConflict(err, q.Name)
		}
		out = q
		return s.appendEvent(ctx, tx, a, "queue.updated", "", map[string]string{"queue_id": q.ID})
	})
	return out, err
}

// lockQueues serialises the changes that decide from what they read of the queues (one default; no open
// request left in a deleted queue; no request moved into one) by taking the audit chain's head, which every
// change takes anyway to append its event, before reading: on PostgreSQL two such changes would otherwise
// each read the state before the other's.
func lockQueues(ctx context.Context, tx eventAppender) error {
	if _, err := tx.LockAuditHead(ctx); err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	return nil
}

func queueNameConflict(err error, name string) error {
	if ErrorCode(err) == ECONFLICT {
		return Errorf(ECONFLICT, "a queue named %q exists", name)
	}
	return err
}

// onlyDefault keeps at most one default queue, and one that someone works: making a queue the default while
// another is answers ECONFLICT naming that one (unset it first), and a default queue needs members.
func onlyDefault(q *Queue, queues []*Queue) error {
	if !q.Default {
		return nil
	}
	if len(q.Members) == 0 {
		return Invalid(FieldError{"members", "a default queue needs at least one member: requests no other queue takes land in it"})
	}
	for _, other := range queues {
		if other.ID != q.ID && other.Default {
			return Errorf(ECONFLICT, "queue %q (%s) is the default; set its default to false first", other.Name, other.ID)
		}
	}
	return nil
}

// DeleteQueue deletes a queue (admin). ECONFLICT while a request not closed is in it; closed requests keep
// the deleted queue's ID, which their audit trail names.
func (s *Admin) DeleteQueue(ctx context.Context, a Actor, id string) error {
	if err := authorize(a, permManageQueues); err != nil {
		return err
	}
	return s.begin(ctx, func(tx adminStore) error {
		if err := lockQueues(ctx, tx); err != nil {
			return err
		}
		q, err := tx.FindQueue(ctx, id)
		if err != nil {
			return err
		}
		n, err := tx.CountOpenQueueRequests(ctx, q.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "queue %q holds %d open requests; move or close them first", q.Name, n)
		}
		if err := tx.DeleteQueue(ctx, q.ID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "queue.deleted", "", map[string]string{"queue_id": q.ID})
	})
}

// MoveCommand moves a request to another queue.
type MoveCommand struct {
	QueueID string
}

func (s *Admin) applyQueueInput(ctx context.Context, tx adminStore, q *Queue, in QueueInput, now time.Time) error {
	var f fieldErrors
	if in.Name != nil {
		q.Name = *in.Name
		validName(&f, "name", q.Name)
	}
	if in.EscalationEmail != nil {
		q.EscalationEmail = *in.EscalationEmail
		email(&f, "escalation_email", q.EscalationEmail)
	}
	if in.Locale != nil {
		q.Locale = *in.Locale
		if !oneOf(q.Locale, Locales) {
			f.add("locale", "must be en or zh-CN")
		}
	}
	if in.Routes != nil {
		q.Routes = *in.Routes
		for i, t := range q.Routes.Types {
			if !oneOf(t, RequestTypes) {
				f.add(fmt.Sprintf("routes.types[%d]", i), "is not a request type")
			}
		}
		for i, c := range q.Routes.Channels {
			if !oneOf(c, Channels) {
				f.add(fmt.Sprintf("routes.channels[%d]", i), "is not a channel")
			}
		}
	}
	if in.Default != nil {
		q.Default = *in.Default
	}
	if in.Members != nil {
		q.Members = dedupe(*in.Members)
		if len(q.Members) > 500 {
			f.add("members", "at most 500 members")
		}
		for i, id := range q.Members {
			u, err := tx.FindUser(ctx, id)
			switch {
			case ErrorCode(err) == ENOTFOUND:
				f.add(fmt.Sprintf("members[%d]", i), "no user %s", id)
			case err != nil:
				return err
			case !CanBeQueueMember(u):
				f.add(fmt.Sprintf("members[%d]", i), "user %s is %s; members are officers", id, withArticle(string(u.Role)))
			}
		}
	}
	q.UpdatedAt = now
	return f.err()
}

// CanBeQueueMember reports whether u may be a member of a queue: officers only (an admin sees every queue
// without being a member).
func CanBeQueueMember(u *User) bool { return u.Role == RoleOfficer }

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Queues lists the queues: all for admins and auditors, their own for officers.
func (s *Admin) Queues(ctx context.Context, a Actor) ([]*Queue, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	all, err := s.db.ListQueues(ctx)
	if err != nil || a.Role != RoleOfficer {
		return all, err
	}
	var mine []*Queue
	for _, q := range all {
		if seesQueue(a, q) {
			mine = append(mine, q)
		}
	}
	return mine, nil
}

// Queue returns one queue. ENOTFOUND also for an officer outside it.
func (s *Admin) Queue(ctx context.Context, a Actor, id string) (*Queue, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	q, err := s.db.FindQueue(ctx, id)
	if err != nil {
		return nil, err
	}
	if !seesQueue(a, q) {
		return nil, Errorf(ENOTFOUND, "no queue %s", id)
	}
	return q, nil
}

// seesQueue tells whether a may see queue q and its requests: an officer only the queues she is a member of.
func seesQueue(a Actor, q *Queue) bool {
	return a.Role != RoleOfficer || oneOf(a.UserID, q.Members)
}

// routeQueue picks the queue of a new request.
func routeQueue(queues []*Queue, t RequestType, c Channel) *Queue {
	var def *Queue
	for _, q := range queues {
		if q.Routes.match(t, c) {
			return q
		}
		if q.Default && def == nil {
			def = q
		}
	}
	return def
}
