package service

import (
	"context"
	"time"
)

// Session is a person signed in to the console. Only the SHA-256 of its secret (the cookie's value) is stored;
// the secret itself is handed out once, when the session starts.
type Session struct {
	ID         string
	UserID     string
	SecretHash string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionStore keeps the console's sessions.
type SessionStore interface {
	// CreateSession inserts s. ECONFLICT if its ID or secret hash exists.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session whose secret hashes to hash, and its user. ENOTFOUND if none.
	FindSession(ctx context.Context, hash string) (*Session, *User, error)
	// TouchSession sets a session's last use.
	TouchSession(ctx context.Context, id string, t time.Time) error
	// DeleteSession removes a session; none is no error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions removes every session of a user but exceptID ("" for none), and answers how many.
	DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error)
	// DeleteExpiredSessions removes the sessions last used before idleBefore or started before startedBefore, and
	// answers how many.
	DeleteExpiredSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int, error)
	// SetUserLanguage records the language a user reads the console in ("" for the browser's).
	SetUserLanguage(ctx context.Context, userID, lang string) error
}
