package service

import (
	"context"
	"fmt"
)

// Authenticate returns the actor a bearer secret stands for. EUNAUTHORIZED if it stands for none.
func (s *Admin) Authenticate(ctx context.Context, secret string) (Actor, error) {
	if secret == "" || len(secret) > 512 {
		return Actor{}, Errorf(EUNAUTHORIZED, "a valid bearer token is required")
	}
	hash, now := HashTokenSecret(secret), s.now()
	if a, ok := s.tokens.get(hash, now); ok {
		return a, nil
	}
	gen := s.tokens.generation()
	t, u, err := s.db.FindActiveToken(ctx, hash)
	switch ErrorCode(err) {
	case "":
		a := Actor{UserID: u.ID, Name: u.Name, Role: u.Role, TokenID: t.ID}
		s.tokens.put(hash, a, now, gen)
		return a, nil
	case ENOTFOUND:
		return Actor{}, Errorf(EUNAUTHORIZED, "a valid bearer token is required")
	default:
		return Actor{}, fmt.Errorf("find token: %w", err)
	}
}

// NewPrincipal is a user and its first token, as `rightsdesk token create` or an admin makes them.
type NewPrincipal struct {
	Name      string
	Email     string
	Role      Role
	TokenName string
	// Secret is the token's secret; empty: a fresh random one.
	Secret string
	// reuseByEmail gives the token to the user who has Email already (of the same role), if there is one,
	// instead of refusing a second user with that address (TokenForPerson).
	reuseByEmail bool
}

// CreatedPrincipal is the answer to CreatePrincipal: the secret is shown this once and never stored.
type CreatedPrincipal struct {
	User   *User
	Token  *Token
	Secret string
	// Existing: the token went to a user who existed already (TokenForPerson).
	Existing bool
}

// minSecretLen bounds chosen secrets (the bootstrap token) below, so that a guessable one is refused.
const minSecretLen = 24

// CreatePrincipal creates a user and a token for it in one transaction.
func (s *Admin) CreatePrincipal(ctx context.Context, a Actor, np NewPrincipal) (*CreatedPrincipal, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	var f fieldErrors
	validName(&f, "name", np.Name)
	if !np.Role.Valid() {
		f.add("role", "must be one of admin, officer, auditor, intake, integration")
	}
	email(&f, "email", np.Email)
	if np.TokenName == "" {
		np.TokenName = np.Name
	}
	validName(&f, "token.name", np.TokenName)
	if np.Secret != "" && (len(np.Secret) < minSecretLen || len(np.Secret) > 512 || hasControl(np.Secret, false)) {
		f.add("secret", "must be %d to 512 printable characters", minSecretLen)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if np.Secret == "" {
		np.Secret = NewTokenSecret()
	}
	now := s.now()
	u := &User{ID: s.newID(), Name: np.Name, Email: np.Email, Role: np.Role, CreatedAt: now}
	t := &Token{ID: s.newID(), UserID: u.ID, Name: np.TokenName, SecretHash: HashTokenSecret(np.Secret), CreatedAt: now}
	existing := false
	err := s.begin(ctx, func(tx adminStore) error {
		other, err := s.userWithEmail(ctx, tx, np.Email)
		if err != nil {
			return err
		}
		switch {
		case other != nil && !np.reuseByEmail:
			return Errorf(ECONFLICT, "user %s has this e-mail address already", other.ID)
		case other != nil && other.Role != np.Role:
			return Errorf(ECONFLICT, "user %s has this e-mail address already, with role %s, not %s", other.ID, other.Role, np.Role)
		case other != nil:
			u, t.UserID, existing = other, other.ID, true
		default:
			if err := tx.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create user: %w", err)
			}
		}
		if err := tx.CreateToken(ctx, t); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.appendEvent(ctx, tx, a, "token.created", "", map[string]string{
			"user_id": u.ID, "token_id": t.ID, "role": string(u.Role),
		})
	})
	if err != nil {
		return nil, err
	}
	return &CreatedPrincipal{User: u, Token: t, Secret: np.Secret, Existing: existing}, nil
}

// TokenForPerson is `rightsdesk token create`: a token for the user who has np.Email (who must have np.Role,
// else ECONFLICT), or for a new user when nobody has it. A new officer needs an e-mail address, as through the API.
func (s *Admin) TokenForPerson(ctx context.Context, a Actor, np NewPrincipal) (*CreatedPrincipal, error) {
	if np.Role == RoleOfficer && np.Email == "" {
		return nil, Invalid(FieldError{"email", "is required for an officer: reminders and escalations go there"})
	}
	np.reuseByEmail = true
	return s.CreatePrincipal(ctx, a, np)
}

// userWithEmail returns the user who has an e-mail address (compared without case), or nil.
func (s *Admin) userWithEmail(ctx context.Context, tx adminStore, email string) (*User, error) {
	if email == "" {
		return nil, nil
	}
	u, err := tx.FindUserByEmail(ctx, email)
	switch ErrorCode(err) {
	case "":
		return u, nil
	case ENOTFOUND:
		return nil, nil
	}
	return nil, fmt.Errorf("find user by e-mail: %w", err)
}

// EnsureAdmin creates an admin and its token when no active admin token exists, with the given secret or a
// fresh one. It answers the secret when it created one, "" when an admin token already existed.
func (s *Admin) EnsureAdmin(ctx context.Context, secret string) (string, error) {
	n, err := s.db.CountActiveTokens(ctx, RoleAdmin)
	if err != nil {
		return "", fmt.Errorf("count admin tokens: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	p, err := s.CreatePrincipal(ctx, SystemActor, NewPrincipal{Name: "admin", Role: RoleAdmin, TokenName: "bootstrap", Secret: secret})
	if err != nil {
		return "", err
	}
	return p.Secret, nil
}
