package service

import (
	"context"
	"time"
)

// Credentials are what proves a person is who she says when she signs in to the console. They never leave the
// service: no adapter shows them.
type Credentials struct {
	UserID string
	// PasswordHash is the PHC string of an argon2id hash ($argon2id$v=19$m=...,t=...,p=...$salt$hash); "" for
	// no password yet.
	PasswordHash string
	// TOTPSecret is the second factor's secret, sealed with the data key; "" for none.
	TOTPSecret    string
	TOTPEnabledAt *time.Time // nil while the secret is being enrolled
	TOTPLastStep  int64      // the last time step a code was accepted for: a code is good once
}

// Invitation is a single-use link that lets a person set her password: an admin's invitation or a reset she
// asked for. Only the SHA-256 of its token is stored.
type Invitation struct {
	ID        string
	UserID    string
	TokenHash string
	Purpose   string // InvitationPurposeInvite or InvitationPurposeReset
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// SetupLink is the first start's single-use link to the page where the first admin chooses her name, e-mail
// address and password, made when no admin can sign in. Only the SHA-256 of its token is stored.
type SetupLink struct {
	ID        string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// The purposes of invitation links.
const (
	InvitationPurposeInvite = "invitation"
	InvitationPurposeReset  = "reset"
)

// AccountStore keeps what signing in needs: credentials, invitation links, recovery codes and settings.
type AccountStore interface {
	// FindCredentials returns a user's credentials. ENOTFOUND if no such user.
	FindCredentials(ctx context.Context, userID string) (*Credentials, error)
	// SetPasswordHash replaces a user's password hash.
	SetPasswordHash(ctx context.Context, userID, hash string) error
	// SetTOTP records a user's second-factor secret (sealed; "" removes it) and when it was enabled (nil: not yet).
	SetTOTP(ctx context.Context, userID, sealedSecret string, enabledAt *time.Time) error
	// AdvanceTOTPStep records the time step of an accepted code, if it is later than the last one; false when it
	// is not (the code was used already).
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	// SetUserDeactivated records when a user was deactivated (nil: active again).
	SetUserDeactivated(ctx context.Context, userID string, at *time.Time) error
	// CreateInvitation inserts an invitation link.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// FindInvitation returns the invitation whose token hashes to hash. ENOTFOUND if none.
	FindInvitation(ctx context.Context, hash string) (*Invitation, error)
	// UseInvitation marks an unused invitation used; false when it was used already.
	UseInvitation(ctx context.Context, id string, at time.Time) (bool, error)
	// DeleteUnusedInvitations removes a user's invitations not yet used: a new one replaces them.
	DeleteUnusedInvitations(ctx context.Context, userID string) error
	// LastInvitation returns a user's newest invitation of a purpose. ENOTFOUND if none.
	LastInvitation(ctx context.Context, userID, purpose string) (*Invitation, error)
	// CreateSetupLink inserts a setup link.
	CreateSetupLink(ctx context.Context, l *SetupLink) error
	// FindSetupLink returns the setup link whose token hashes to hash. ENOTFOUND if none.
	FindSetupLink(ctx context.Context, hash string) (*SetupLink, error)
	// LastSetupLink returns the newest setup link. ENOTFOUND if none.
	LastSetupLink(ctx context.Context) (*SetupLink, error)
	// UseSetupLink marks an unused setup link used; false when it was used already.
	UseSetupLink(ctx context.Context, id string, at time.Time) (bool, error)
	// ReplaceRecoveryCodes removes a user's recovery codes and stores new ones (their keyed hashes).
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, newID func() string) error
	// UseRecoveryCode marks a user's unused code with this hash used; false when there is none.
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error)
	// CountRecoveryCodes counts a user's unused recovery codes.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
	// Setting returns a setting's value; "" when it was never set.
	Setting(ctx context.Context, name string) (string, error)
	// SaveSetting sets a setting.
	SaveSetting(ctx context.Context, name, value string, at time.Time) error
}
