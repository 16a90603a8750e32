package service

import (
	"context"
	"time"
)

// intakeStore is every store method Intake calls, and nothing else.
type intakeStore interface {
	filingStore // filing: routing, duplicates, the reference, the acknowledgement, the event
	CreateIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) error
	FindIdempotencyKey(ctx context.Context, scope, key string) (*IdempotencyRecord, error)
	FindRequest(ctx context.Context, id string) (*Request, error)
	FindSubjectLink(ctx context.Context, hash string) (*SubjectLink, error)
	// What subjects do through their status links: read progress, answer a question, download.
	RequestEvents(ctx context.Context, requestID string) ([]*Event, error)
	LatestSubjectMessage(ctx context.Context, requestID, kind string) (*SubjectMessage, error)
	RequestExports(ctx context.Context, requestID string, withContent bool) ([]*Export, error)
	CreateSubjectMessage(ctx context.Context, m *SubjectMessage) error
	FindUser(ctx context.Context, id string) (*User, error)
	UnverifiedReceivedBefore(ctx context.Context, t time.Time, limit int) ([]*Request, error)
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
	UseSubjectLink(ctx context.Context, hash string, t time.Time) error
}

func asIntakeStore(st Store) intakeStore { return st }
