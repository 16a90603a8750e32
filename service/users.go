package service

import (
	"context"
	"fmt"
	"slices"
)

// NewUser is a person or system an admin adds.
type NewUser struct {
	Name  string
	Email string
	Role  Role
}

// CreateUser adds a user without a token (admin). Officers need an e-mail address: escalations go there; two
// users never share one (ECONFLICT), whatever its case.
func (s *Admin) CreateUser(ctx context.Context, a Actor, in NewUser) (*User, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	var f fieldErrors
	validName(&f, "name", in.Name)
	if !in.Role.Valid() {
		f.add("role", "must be one of admin, officer, auditor, intake, integration")
	}
	if in.Role == RoleOfficer && in.Email == "" {
		f.add("email", "is required for an officer: reminders and escalations go there")
	}
	email(&f, "email", in.Email)
	if err := f.err(); err != nil {
		return nil, err
	}
	u := &User{ID: s.newID(), Name: in.Name, Email: in.Email, Role: in.Role, CreatedAt: s.now()}
	err := s.begin(ctx, func(tx adminStore) error {
		other, err := s.userWithEmail(ctx, tx, in.Email)
		if err != nil {
			return err
		}
		if other != nil {
			return Errorf(ECONFLICT, "user %s has this e-mail address already", other.ID)
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "user.created", "", map[string]string{"user_id": u.ID, "role": string(u.Role)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Users lists every user (admin, auditor).
func (s *Admin) Users(ctx context.Context, a Actor) ([]*User, error) {
	if err := authorize(a, permReadUsers); err != nil {
		return nil, err
	}
	return s.db.ListUsers(ctx)
}

// Tokens lists every token, without its secret's hash (admin, auditor): who holds access, and since when.
func (s *Admin) Tokens(ctx context.Context, a Actor) ([]*Token, error) {
	if err := authorize(a, permReadUsers); err != nil {
		return nil, err
	}
	return s.db.ListTokens(ctx)
}

// IssuedToken is a new token and its secret, shown once.
type IssuedToken struct {
	Token  *Token
	Secret string
}

// IssueToken gives a user a new token (admin).
func (s *Admin) IssueToken(ctx context.Context, a Actor, userID, name string) (*IssuedToken, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	var f fieldErrors
	validName(&f, "name", name)
	if err := f.err(); err != nil {
		return nil, err
	}
	secret := NewTokenSecret()
	t := &Token{ID: s.newID(), UserID: userID, Name: name, SecretHash: HashTokenSecret(secret), CreatedAt: s.now()}
	err := s.begin(ctx, func(tx adminStore) error {
		if _, err := tx.FindUser(ctx, userID); err != nil {
			return err
		}
		if err := tx.CreateToken(ctx, t); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.appendEvent(ctx, tx, a, "token.created", "", map[string]string{"user_id": userID, "token_id": t.ID})
	})
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Token: t, Secret: secret}, nil
}

// RevokeToken ends a token at once (admin). Revoking the caller's own last admin token is refused, so that the
// service is never left without an administrator.
func (s *Admin) RevokeToken(ctx context.Context, a Actor, tokenID string) error {
	if err := authorize(a, permManageUsers); err != nil {
		return err
	}
	defer s.tokens.forget()
	return s.begin(ctx, func(tx adminStore) error {
		t, err := tx.FindToken(ctx, tokenID)
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		u, err := tx.FindUser(ctx, t.UserID)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin {
			n, err := tx.CountActiveTokens(ctx, RoleAdmin)
			if err != nil {
				return err
			}
			if n <= 1 {
				return Errorf(ECONFLICT, "this is the last admin token; create another first")
			}
		}
		if err := tx.RevokeToken(ctx, tokenID, s.now()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "token.revoked", "", map[string]string{"user_id": t.UserID, "token_id": t.ID})
	})
}

// ChangeUserRole gives a person another of the console roles (admin) and ends her console sessions, so that
// her new rights apply at once. Queues keep only officers as members, as UpdateQueue requires: an officer who is
// still a member of a queue is an ECONFLICT naming it (take her out first), and so is demoting the last admin
// who can sign in, or changing a system user (intake, integration), which holds tokens, not a place on the staff.
// An officer needs an e-mail address, as in CreateUser.
func (s *Admin) ChangeUserRole(ctx context.Context, a Actor, userID string, role Role) (*User, error) {
	if err := authorize(a, permManageUsers); err != nil {
		return nil, err
	}
	if !slices.Contains(ConsoleRoles, role) {
		return nil, Invalid(FieldError{"role", "must be one of admin, officer, auditor (the roles of people)"})
	}
	var out *User
	defer s.tokens.forget()
	err := s.begin(ctx, func(tx adminStore) error {
		if err := lockQueues(ctx, tx); err != nil {
			return err
		}
		u, err := tx.FindUser(ctx, userID)
		if err != nil {
			return err
		}
		out = u
		from := u.Role
		switch {
		case from == role:
			return nil
		case !slices.Contains(ConsoleRoles, from):
			return Errorf(ECONFLICT, "user %s is %s, a system that holds tokens; its role does not change", u.ID, withArticle(string(from)))
		case role == RoleOfficer && u.Email == "":
			return Invalid(FieldError{"role", "an officer needs an e-mail address, and this user has none"})
		}
		if from == RoleAdmin {
			if err := lastAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		if from == RoleOfficer {
			queues, err := tx.ListQueues(ctx)
			if err != nil {
				return err
			}
			for _, q := range queues {
				if oneOf(u.ID, q.Members) {
					return Errorf(ECONFLICT, "user %s is a member of queue %q (%s); members are officers, so take her out of it first", u.ID, q.Name, q.ID)
				}
			}
		}
		if err := tx.SetUserRole(ctx, u.ID, role); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		u.Role = role
		return s.appendEvent(ctx, tx, a, "user.role_changed", "", map[string]string{"user_id": u.ID,
			"from": string(from), "to": string(role)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lastAdmin refuses to take the admin role from userID when no other admin could sign in to the console: one
// not deactivated, with an e-mail address to sign in with.
func lastAdmin(ctx context.Context, tx adminStore, userID string) error {
	users, err := tx.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != userID && o.Role == RoleAdmin && o.DeactivatedAt == nil && o.Email != "" {
			return nil
		}
	}
	return Errorf(ECONFLICT, "user %s is the last admin who can sign in; make another user admin first", userID)
}
