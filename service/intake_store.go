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
	UnverifiedReceivedBefore(ctx context.Context, t time.Time, limit int) ([]*Request, error)
	UpdateRequest(ctx context.Context, r *Request) error
	UseSubjectLink(ctx context.Context, hash string, t time.Time) error
}

func asIntakeStore(st Store) intakeStore { return st }
