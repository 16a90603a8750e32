package service

import (
	"context"
	"time"
)

// Store is what the service needs of persistence. The store package implements it on GORM; every method
// returns *Error codes as documented, never a driver error.
type Store interface {
	UserStore
	SessionStore
	AccountStore
	RequestStore
	AuditStore
	AuditChainStore
	AuditEventStore
	CalendarStore
	ReportStore
	DashboardStore
	QueueStore
	NoteStore
	ExtensionStore
	OutboxStore
	SubjectLinkStore
	EscalationStore
	DeliveryStore
	JobStore
	BackupStore
	SuppressionStore
	ExportStore
	RetentionStore
	AllowedHostStore
	DataSystemStore
	SubjectMessageStore
	// WithTx runs fn in one transaction, committed when fn returns nil and rolled back otherwise.
	WithTx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the database answers. EUNAVAILABLE if not.
	Ping(ctx context.Context) error
}

// Sealed is a value whose personal data the store sealed ahead of the transaction that writes it (SealRequest,
// SealExport): sealing is CPU work, and the writer's critical section is for database statements only.
type Sealed[T any] struct {
	Value T
	Row   any // the store's sealed row; opaque to the service
}

// NewFiling is what a filing's transaction writes once its request is numbered: the request, the links and
// the mail of its acknowledgement, and the record of its idempotency key.
type NewFiling struct {
	Request     *Sealed[*Request] // with its Reference
	Links       []*SubjectLink
	Mail        *Sealed[*Mail]     // nil when the subject has no e-mail address; stored with the request's reference
	Idempotency *IdempotencyRecord // nil when the filing came without a key
}

// RequestStore keeps requests.
type RequestStore interface {
	// NextReferenceSeq returns the next number of the year's reference sequence. Only inside WithTx.
	NextReferenceSeq(ctx context.Context, year int) (int64, error)
	// CreateRequest inserts r. ECONFLICT if its ID or reference exists.
	CreateRequest(ctx context.Context, r *Request) error
	// SealRequest seals r's personal data ahead of the transaction that creates it, so that the writer only
	// writes it. Outside a transaction as inside.
	SealRequest(r *Request) (*Sealed[*Request], error)
	// CreateFiling writes what a filing's transaction writes once its request is numbered, in as few statements
	// as the database allows: the request SealRequest sealed, with the reference it has now (nothing else of it
	// may change after SealRequest). ECONFLICT when a unique key is taken (the idempotency key: a concurrent
	// retry).
	CreateFiling(ctx context.Context, f *NewFiling) error
	// UpdateRequestParts saves only the named parts of r, and its UpdatedAt: the subject and the details are
	// neither opened nor sealed again. ENOTFOUND if it does not exist.
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
	// RaiseEscalationLevels sets the escalation level of each request seen to its Level, and only that, if the
	// request still stands as seen: open, its clock running, at seen's escalation level, due at seen's time,
	// with seen's queue and assignee. It reports, for each, whether it did. Only inside WithTx.
	RaiseEscalationLevels(ctx context.Context, raises []EscalationRaise) ([]bool, error)
	// FindRequest returns a request with its subject and details. ENOTFOUND if none.
	FindRequest(ctx context.Context, id string) (*Request, error)
	// ListRequests returns up to f.Limit requests matching f, ordered by due time then ID, without their subject
	// and details.
	ListRequests(ctx context.Context, f RequestFilter) ([]*Request, error)
	// OpenDuplicateID returns the ID of the first filed request not closed, other than exceptID, of the type
	// and subject index. ENOTFOUND if none.
	OpenDuplicateID(ctx context.Context, subjectIndex string, t RequestType, exceptID string) (string, error)
	// RecentSubjectFilings returns the filing times of a subject index's requests filed since t, newest first,
	// at most n.
	RecentSubjectFilings(ctx context.Context, subjectIndex string, t time.Time, n int) ([]time.Time, error)
	// CountRequestsByTypeStatus counts every request by type and status, for metrics.
	CountRequestsByTypeStatus(ctx context.Context) (map[RequestType]map[Status]int, error)
	// ProvisionalRequests returns the open (not closed) requests whose due date is provisional.
	ProvisionalRequests(ctx context.Context) ([]*Request, error)
	// FindIdempotencyKey returns the record of a caller's key. ENOTFOUND if none.
	FindIdempotencyKey(ctx context.Context, scope, key string) (*IdempotencyRecord, error)
	// CreateIdempotencyKey inserts rec. ECONFLICT if the caller's key exists.
	CreateIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) error
}

// RequestPart names the fields of a request an update changes, so that the store writes their columns alone:
// a request's subject and details are sealed once, when it is filed, and never opened or sealed again by an
// update.
type RequestPart string

// The parts of a request an update may name; only the reply holds free text (sealed when written).
const (
	PartStatus   RequestPart = "status"   // Status and ClosedAt
	PartClock    RequestPart = "clock"    // Clock and Due
	PartAssignee RequestPart = "assignee" // AssigneeID
	PartVerified RequestPart = "verified" // VerifiedAt
	PartQueue    RequestPart = "queue"    // QueueID and AssigneeID
	PartReply    RequestPart = "reply"    // Outcome, DenialReason, ReplyMessage, CorrectionOutcomes, RepliedAt (sealed)
	PartMerge    RequestPart = "merge"    // DuplicateOf
	PartLink     RequestPart = "link"     // LinkedRequestID
)

// IdempotencyRecord remembers which request a caller's Idempotency-Key filed, and the body it carried.
type IdempotencyRecord struct {
	Scope       string // the caller's user ID: keys of different callers never collide
	Key         string
	Fingerprint string // SHA-256 of the filing command
	RequestID   string
	CreatedAt   time.Time
}
