package service

import (
	"context"
	"time"
)

// The small views of the store that helpers shared by several areas take; each area's own view (workflowStore,
// escalationStore) is made of them and of the few methods only it calls. A Store satisfies every view.

// linkCreator stores the links mailed to subjects.
type linkCreator interface {
	CreateSubjectLink(ctx context.Context, l *SubjectLink) error
}

// mailEnqueuer queues mail in the outbox.
type mailEnqueuer interface {
	EnqueueMail(ctx context.Context, m *Mail) (bool, error)
}

// subjectMailer queues mail to a subject, each with a status link of its own.
type subjectMailer interface {
	linkCreator
	mailEnqueuer
}

// suppressionAdder records suppressions.
type suppressionAdder interface {
	AddSuppression(ctx context.Context, s *Suppression) error
}

// filingStore is what filing a request needs inside its transaction: routing, the duplicate and rate checks,
// the reference sequence, the acknowledgement and the audit event.
type filingStore interface {
	eventAppender
	linkCreator
	mailEnqueuer
	ListQueues(ctx context.Context) ([]*Queue, error)
	OpenDuplicateID(ctx context.Context, subjectIndex string, t RequestType, exceptID string) (string, error)
	RecentSubjectFilings(ctx context.Context, subjectIndex string, t time.Time, n int) ([]time.Time, error)
	NextReferenceSeq(ctx context.Context, year int) (int64, error)
	SealRequest(r *Request) (*Sealed[*Request], error)
	SealMail(m *Mail) (*Sealed[*Mail], error)
	CreateFiling(ctx context.Context, f *NewFiling) error
}
