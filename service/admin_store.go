package service

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// adminStore is every store method Admin calls, and nothing else.
type adminStore interface {
	eventAppender
	CalendarYears(ctx context.Context, name string) ([]calendar.Schedule, error)
	CountActiveTokens(ctx context.Context, role Role) (int, error)
	CountOpenQueueRequests(ctx context.Context, queueID string) (int, error)
	CreateAllowedHost(ctx context.Context, h *AllowedHost) (bool, error)
	CreateQueue(ctx context.Context, q *Queue) error
	CreateToken(ctx context.Context, t *Token) error
	CreateUser(ctx context.Context, u *User) error
	DeleteAllowedHost(ctx context.Context, host string) error
	DeleteQueue(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error)
	FindActiveToken(ctx context.Context, hash string) (*Token, *User, error)
	FindAllowedHost(ctx context.Context, host string) (*AllowedHost, error)
	FindQueue(ctx context.Context, id string) (*Queue, error)
	FindToken(ctx context.Context, id string) (*Token, error)
	FindUser(ctx context.Context, id string) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	ListAllowedHosts(ctx context.Context) ([]*AllowedHost, error)
	ListQueues(ctx context.Context) ([]*Queue, error)
	ListTokens(ctx context.Context) ([]*Token, error)
	ListUsers(ctx context.Context) ([]*User, error)
	LockAuditHead(ctx context.Context) (AuditHead, error)
	ProvisionalRequests(ctx context.Context) ([]*Request, error)
	RevokeToken(ctx context.Context, id string, t time.Time) error
	SaveCalendarYear(ctx context.Context, name string, s calendar.Schedule) error
	SetAuditHeadMAC(ctx context.Context, h AuditHead) error
	SetUserRole(ctx context.Context, userID string, role Role) error
	UpdateQueue(ctx context.Context, q *Queue) error
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
}

func asAdminStore(st Store) adminStore { return st }
