package service

import (
	"context"
	"time"
)

// Escalation is the work nobody starts by hand: the escalation sweep, outbox delivery and the calendar
// checks.
type Escalation struct {
	*core
	// db is the store as Escalation uses it, begin its transactions: an in-memory fake can stand for both.
	db    escalationStore
	begin txRunner[escalationStore]
}

// newEscalation returns the Escalation area over st.
func newEscalation(c *core, st escalationStore, begin txRunner[escalationStore]) *Escalation {
	return &Escalation{core: c, db: st, begin: begin}
}

func asEscalationStore(st Store) escalationStore { return st }

// escalationStore is every store method Escalation calls, and nothing else.
type escalationStore interface {
	eventAppender
	mailEnqueuer
	EscalationCandidates(ctx context.Context, dueBefore time.Time, after *RequestCursor, limit int) ([]*Request, error)
	RaiseEscalationLevels(ctx context.Context, raises []EscalationRaise) ([]bool, error)
	EnqueueMails(ctx context.Context, ms []*Mail) (int, error)
	FindRequest(ctx context.Context, id string) (*Request, error)
	FindUser(ctx context.Context, id string) (*User, error)
	FindQueue(ctx context.Context, id string) (*Queue, error)
	ListUsers(ctx context.Context) ([]*User, error)
	CountMail(ctx context.Context) (map[MailStatus]int, error)
	DueMail(ctx context.Context, now time.Time, limit int) ([]*Mail, error)
	ListMail(ctx context.Context, status MailStatus, limit int) ([]*Mail, error)
	FindMail(ctx context.Context, id string) (*Mail, error)
	SaveMailDelivery(ctx context.Context, m *Mail) error
}
