package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Role is what a principal may do. Every user, person or system, has exactly one.
type Role string

// The roles of the contract.
const (
	RoleAdmin       Role = "admin"       // everything
	RoleOfficer     Role = "officer"     // works requests in the queues it belongs to
	RoleAuditor     Role = "auditor"     // reads everything, changes nothing
	RoleIntake      Role = "intake"      // web forms: may only file requests
	RoleIntegration Role = "integration" // backup and downstream systems
)

// Roles lists every role, in the order documents show them.
var Roles = []Role{RoleAdmin, RoleOfficer, RoleAuditor, RoleIntake, RoleIntegration}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// User is a principal: a privacy officer, an auditor, or a system such as a web form.
type User struct {
	ID        string
	Name      string
	Email     string // staff address for escalations; empty for systems
	Role      Role
	CreatedAt time.Time
	// Language is the language the person reads the console in (one of Locales); "" for her browser's.
	Language string
	// DeactivatedAt is when an admin deactivated the user: she can neither sign in nor use her tokens.
	DeactivatedAt *time.Time
	// SecondFactor: she signs in to the console with a TOTP code after her password.
	SecondFactor bool
}

// Token is an API credential. Only the SHA-256 of its secret is stored; the secret is shown once.
type Token struct {
	ID         string
	UserID     string
	Name       string
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// Actor is the authenticated caller of a service method.
type Actor struct {
	UserID  string
	Name    string
	Role    Role
	TokenID string
	// SessionID is the console session the actor signed in with; "" for API calls.
	SessionID string
}

// SystemActor is the actor of the scheduler's jobs and of start-up tasks.
var SystemActor = Actor{UserID: "system", Name: "system", Role: RoleAdmin}

// tokenPrefix marks Rightsdesk secrets so that secret scanners and people recognise them.
const tokenPrefix = "rd_"

// NewTokenSecret returns a fresh random API token secret (256 bits).
func NewTokenSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never on supported platforms
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashTokenSecret is the stored form of a secret: high-entropy secrets need no slow hash.
func HashTokenSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// UserStore is the part of Store that keeps users and tokens.
type UserStore interface {
	// CreateUser inserts u. ECONFLICT if its ID exists, or another user has its e-mail address (in any case).
	CreateUser(ctx context.Context, u *User) error
	// FindUserByEmail returns the user with an e-mail address, compared without case. ENOTFOUND if none.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUser returns the user with id. ENOTFOUND if none.
	FindUser(ctx context.Context, id string) (*User, error)
	// CreateToken inserts t. ECONFLICT if its secret hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// FindActiveToken returns the unrevoked token whose secret hashes to hash, and its user. ENOTFOUND if none.
	FindActiveToken(ctx context.Context, hash string) (*Token, *User, error)
	// CountActiveTokens counts unrevoked tokens of users with role.
	CountActiveTokens(ctx context.Context, role Role) (int, error)
	// SetUserRole gives a user another role. ENOTFOUND if no such user.
	SetUserRole(ctx context.Context, userID string, role Role) error
	// ListUsers returns every user by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// FindToken returns a token by ID. ENOTFOUND if none.
	FindToken(ctx context.Context, id string) (*Token, error)
	// RevokeToken marks a token revoked at t.
	RevokeToken(ctx context.Context, id string, t time.Time) error
	// ListTokens returns every token, unrevoked first, then newest first, without SecretHash.
	ListTokens(ctx context.Context) ([]*Token, error)
}

// validName checks a user or token name: printable, 1-100 characters.
func validName(f *fieldErrors, field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		f.add(field, "is required")
	case len([]rune(v)) > 100:
		f.add(field, "must be at most 100 characters")
	case hasControl(v, false):
		f.add(field, "must not contain control characters")
	}
}
