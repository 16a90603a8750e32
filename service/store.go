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
	// WithTxEach runs each fn as WithTx would, in a transaction of its own: one that fails changes nothing of
	// the others. The store may commit them together; it answers each one's error, in order. This is how the
	// service hands the store many independent writes at once: it starts no goroutines for the store's sake.
	WithTxEach(ctx context.Context, fns []func(tx Store) error) []error
	// Ping reports whether the database answers. EUNAVAILABLE if not.
	Ping(ctx context.Context) error
}

// RequestStore keeps requests.
type RequestStore interface {
	// NextReferenceSeq returns the next number of the year's reference sequence. Only inside WithTx.
	NextReferenceSeq(ctx context.Context, year int) (int64, error)
	// CreateRequest inserts r. ECONFLICT if its ID or reference exists.
	CreateRequest(ctx context.Context, r *Request) error
	// UpdateRequest saves every mutable field of r, personal data included (sealed again). ENOTFOUND if it does
	// not exist.
	UpdateRequest(ctx context.Context, r *Request) error
	// UpdateRequestParts saves only the named parts of r, and its UpdatedAt: no personal data is sealed or
	// written. ENOTFOUND if it does not exist.
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
	// RaiseEscalationLevel sets the escalation level of the request seen to level, and only that, if the request
	// still stands as seen: open, its clock running, at seen's escalation level, due at seen's time, with seen's
	// queue and assignee. It reports whether it did.
	RaiseEscalationLevel(ctx context.Context, seen *Request, level string) (bool, error)
	// FindRequest returns a request with its subject and details. ENOTFOUND if none.
	FindRequest(ctx context.Context, id string) (*Request, error)
	// ListRequests returns up to f.Limit requests matching f, ordered by due time then ID, without their subject
	// and details.
	ListRequests(ctx context.Context, f RequestFilter) ([]*Request, error)
	// OpenRequestBySubject returns the oldest request not closed, other than exceptID, of the type and
	// subject index. ENOTFOUND if none.
	OpenRequestBySubject(ctx context.Context, subjectIndex string, t RequestType, exceptID string) (*Request, error)
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

// RequestPart names the fields of a request an update changes, so that the store writes their columns alone.
type RequestPart string

// The parts of a request an update may name; none holds personal data.
const (
	PartStatus   RequestPart = "status"   // Status and ClosedAt
	PartClock    RequestPart = "clock"    // Clock and Due
	PartAssignee RequestPart = "assignee" // AssigneeID
	PartVerified RequestPart = "verified" // VerifiedAt
)

// IdempotencyRecord remembers which request a caller's Idempotency-Key filed, and the body it carried.
type IdempotencyRecord struct {
	Scope       string // the caller's user ID: keys of different callers never collide
	Key         string
	Fingerprint string // SHA-256 of the filing command
	RequestID   string
	CreatedAt   time.Time
}
