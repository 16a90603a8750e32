package service

import (
	"context"
	"time"
)

// reportingStore is every store method Reporting calls, and nothing else.
type reportingStore interface {
	AuditEventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	AuditHeadNow(ctx context.Context) (AuditHead, error)
	CountInPeriods(ctx context.Context, moment Moment, bounds []time.Time, visibleTo *string) ([]PeriodCount, error)
	CountRequestsByTypeStatus(ctx context.Context) (map[RequestType]map[Status]int, error)
	FindUser(ctx context.Context, id string) (*User, error)
	OpenCountsByQueue(ctx context.Context, now time.Time, visibleTo *string) ([]QueueLoad, error)
	OpenRequestCounts(ctx context.Context, now time.Time, visibleTo *string) ([]OpenCount, error)
	OtherEvents(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	PendingPurgeCounts(ctx context.Context, visibleTo *string) ([]PurgeLoad, error)
	ReplyDayPairs(ctx context.Context, policy string, from, to time.Time, bucket DayBucket, visibleTo *string) ([]ReplyDayPair, error)
	ReportRequests(ctx context.Context, from, to time.Time, visibleTo *string, fn func(*Request) error) error
}

func asReportingStore(st Store) reportingStore { return st }
