package service

import (
	"context"
	"time"
)

// reportingStore is every store method Reporting calls, and nothing else.
type reportingStore interface {
	AuditEventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	AuditHeadNow(ctx context.Context) (AuditHead, error)
	CountRequestsByTypeStatus(ctx context.Context) (map[RequestType]map[Status]int, error)
	FindUser(ctx context.Context, id string) (*User, error)
	OpenRequestCounts(ctx context.Context, now time.Time, visibleTo *string) ([]OpenCount, error)
	OtherEvents(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	ReportRequests(ctx context.Context, from, to time.Time, visibleTo *string, fn func(*Request) error) error
}

func asReportingStore(st Store) reportingStore { return st }
