package service

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Sessions keeps the console's sign-ins: server-side sessions, each known to the browser by a random 256-bit
// secret whose hash is all that is stored, ended after a time without use (idle) and a time since sign-in
// (absolute), whichever comes first.
type Sessions struct {
	*core
	db    sessionStore
	begin txRunner[sessionStore]
	idle  time.Duration
	max   time.Duration
}

// sessionStore is every store method Sessions calls.
type sessionStore interface {
	eventAppender
	SessionStore
	FindUser(ctx context.Context, id string) (*User, error)
}

func asSessionStore(st Store) sessionStore { return st }

// Default session timeouts (RIGHTSDESK_SESSION_IDLE, RIGHTSDESK_SESSION_MAX).
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

// touchEvery bounds how often a session's last use is written: one write a minute per session, not one per page.
const touchEvery = time.Minute

// ConsoleRoles are the roles of people who sign in to the console; the others are systems that hold tokens.
var ConsoleRoles = []Role{RoleAdmin, RoleOfficer, RoleAuditor}

// StartedSession is a new session and its secret, which goes into the browser's cookie and nowhere else.
type StartedSession struct {
	Session *Session
	Secret  string
}

// SignedIn is the person a session secret stands for.
type SignedIn struct {
	Actor   Actor
	User    *User
	Session *Session
}

// SessionTimeouts answers the idle and absolute timeouts of sessions.
func (s *Sessions) SessionTimeouts() (idle, absolute time.Duration) { return s.idle, s.max }

// StartSession signs a user in once its identity is proven (password, second factor, single sign-on, or a test).
// EFORBIDDEN for users whose role does not use the console; ENOTFOUND for no such user.
func (s *Sessions) StartSession(ctx context.Context, userID string) (*StartedSession, error) {
	secret := NewTokenSecret()
	now := s.now()
	sess := &Session{ID: s.newID(), UserID: userID, SecretHash: HashTokenSecret(secret), CreatedAt: now, LastSeenAt: now}
	err := s.begin(ctx, func(tx sessionStore) error {
		u, err := tx.FindUser(ctx, userID)
		if err != nil {
			return err
		}
		if !slices.Contains(ConsoleRoles, u.Role) {
			return Errorf(EFORBIDDEN, "role %s does not sign in to the console; it uses API tokens", u.Role)
		}
		if u.DeactivatedAt != nil {
			return Errorf(EFORBIDDEN, "user %s is deactivated", u.ID)
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return s.appendEvent(ctx, tx, actorOf(u), "session.started", "", map[string]string{"session_id": sess.ID})
	})
	if err != nil {
		return nil, err
	}
	return &StartedSession{Session: sess, Secret: secret}, nil
}

// LookupSession answers who a session secret stands for, and records its use. EUNAUTHORIZED when it stands for
// no session, or one that has expired (which is ended now).
func (s *Sessions) LookupSession(ctx context.Context, secret string) (*SignedIn, error) {
	if secret == "" || len(secret) > 512 {
		return nil, Errorf(EUNAUTHORIZED, "not signed in")
	}
	sess, u, err := s.db.FindSession(ctx, HashTokenSecret(secret))
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		return nil, Errorf(EUNAUTHORIZED, "not signed in")
	default:
		return nil, fmt.Errorf("find session: %w", err)
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.idle || now.Sub(sess.CreatedAt) > s.max || !slices.Contains(ConsoleRoles, u.Role) ||
		u.DeactivatedAt != nil {
		if err := s.db.DeleteSession(ctx, sess.ID); err != nil {
			return nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, Errorf(EUNAUTHORIZED, "the session has expired")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.db.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	a := actorOf(u)
	a.SessionID = sess.ID
	return &SignedIn{Actor: a, User: u, Session: sess}, nil
}

// EndSession signs out: the session is removed from the store, so that its cookie opens nothing anywhere.
func (s *Sessions) EndSession(ctx context.Context, a Actor) error {
	if a.SessionID == "" {
		return nil
	}
	return s.begin(ctx, func(tx sessionStore) error {
		if err := tx.DeleteSession(ctx, a.SessionID); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return s.appendEvent(ctx, tx, a, "session.ended", "", map[string]string{"session_id": a.SessionID})
	})
}

// EndUserSessions ends every session of a user but the caller's own (after a password change, a deactivation).
// A person may end her own; an admin anyone's.
func (s *Sessions) EndUserSessions(ctx context.Context, a Actor, userID string) (int, error) {
	if a.UserID != userID {
		if err := authorize(a, permManageUsers); err != nil {
			return 0, err
		}
	}
	n := 0
	err := s.begin(ctx, func(tx sessionStore) error {
		var err error
		if n, err = tx.DeleteUserSessions(ctx, userID, a.SessionID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if n == 0 {
			return nil
		}
		return s.appendEvent(ctx, tx, a, "session.ended_all", "", map[string]string{"user_id": userID,
			"count": fmt.Sprint(n)})
	})
	return n, err
}

// EndExpiredSessions removes the sessions that have expired and were never used again, so that none lingers in
// the store.
func (s *Sessions) EndExpiredSessions(ctx context.Context) (int, error) {
	now := s.now()
	return s.db.DeleteExpiredSessions(ctx, now.Add(-s.idle), now.Add(-s.max))
}

// SetLanguage records the language a person reads the console in: one of Locales, or "" for her browser's.
func (s *Sessions) SetLanguage(ctx context.Context, a Actor, lang string) error {
	if lang != "" && !slices.Contains(Locales, lang) {
		return Invalid(FieldError{"lang", "must be one of en, zh-CN"})
	}
	return s.db.SetUserLanguage(ctx, a.UserID, lang)
}

// actorOf is the actor a signed-in user acts as.
func actorOf(u *User) Actor {
	return Actor{UserID: u.ID, Name: u.Name, Role: u.Role}
}
