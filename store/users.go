package store

import (
	"context"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

type userRow struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	Email     string
	EmailKey  *string // the lowercased e-mail address, unique; nil without one
	Role      string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	Language  string
	// Read with the user, written only by the account methods (accounts.go).
	DeactivatedAt *time.Time `gorm:"->"`
	TOTPEnabledAt *time.Time `gorm:"->;column:totp_enabled_at"`
}

func (userRow) TableName() string { return "users" }

// emailKey is the form in which e-mail addresses are compared: one user per address, whatever its case.
func emailKey(email string) *string {
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		return &email
	}
	return nil
}

func toUser(r *userRow) *service.User {
	return &service.User{ID: r.ID, Name: r.Name, Email: r.Email, Role: service.Role(r.Role), CreatedAt: r.CreatedAt.UTC(),
		Language: r.Language, DeactivatedAt: utcPtr(r.DeactivatedAt), SecondFactor: r.TOTPEnabledAt != nil}
}

type tokenRow struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	Name       string
	SecretHash string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "tokens" }

// CreateUser inserts a user. A second user with the same e-mail address (in any case) is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *service.User) error {
	err := formatError(s.w.WithContext(ctx).Create(&userRow{ID: u.ID, Name: u.Name, Email: u.Email,
		EmailKey: emailKey(u.Email), Role: string(u.Role), CreatedAt: utc(u.CreatedAt), Language: u.Language}).Error)
	if service.ErrorCode(err) == service.ECONFLICT && u.Email != "" {
		if other, ferr := s.FindUserByEmail(ctx, u.Email); ferr == nil {
			return service.Errorf(service.ECONFLICT, "user %s has this e-mail address already", other.ID)
		}
	}
	return err
}

// FindUserByEmail returns the user with an e-mail address, compared without case.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*service.User, error) {
	key := emailKey(email)
	if key == nil {
		return nil, service.Errorf(service.ENOTFOUND, "no user with this e-mail address")
	}
	var row userRow
	if err := s.w.WithContext(ctx).Where("email_key = ?", *key).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no user with this e-mail address")
		}
		return nil, err
	}
	return toUser(&row), nil
}

// FindUser returns a user.
func (s *Store) FindUser(ctx context.Context, id string) (*service.User, error) {
	var row userRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no user %s", id)
		}
		return nil, err
	}
	return toUser(&row), nil
}

// CreateToken inserts a token.
func (s *Store) CreateToken(ctx context.Context, t *service.Token) error {
	return formatError(s.w.WithContext(ctx).Create(&tokenRow{ID: t.ID, UserID: t.UserID, Name: t.Name,
		SecretHash: t.SecretHash, CreatedAt: utc(t.CreatedAt), RevokedAt: utcPtr(t.RevokedAt)}).Error)
}

// FindActiveToken looks a token up by its secret's hash, with its user, in one query.
func (s *Store) FindActiveToken(ctx context.Context, hash string) (*service.Token, *service.User, error) {
	var row struct {
		ID, UserID, Name, SecretHash string
		CreatedAt                    time.Time
		UName, UEmail, URole         string
		UCreatedAt                   time.Time
	}
	err := s.r.WithContext(ctx).Table("tokens AS t").
		Select("t.id, t.user_id, t.name, t.secret_hash, t.created_at, "+
			"u.name AS u_name, u.email AS u_email, u.role AS u_role, u.created_at AS u_created_at").
		Joins("JOIN users AS u ON u.id = t.user_id").
		Where("t.secret_hash = ? AND t.revoked_at IS NULL AND u.deactivated_at IS NULL", hash).Take(&row).Error
	if err != nil {
		return nil, nil, formatError(err)
	}
	t := &service.Token{ID: row.ID, UserID: row.UserID, Name: row.Name, SecretHash: row.SecretHash,
		CreatedAt: row.CreatedAt.UTC()}
	u := toUser(&userRow{ID: row.UserID, Name: row.UName, Email: row.UEmail, Role: row.URole, CreatedAt: row.UCreatedAt})
	return t, u, nil
}

// CountActiveTokens counts the unrevoked tokens of a role's users.
func (s *Store) CountActiveTokens(ctx context.Context, role service.Role) (int, error) {
	var n int64
	err := s.r.WithContext(ctx).Table("tokens AS t").Joins("JOIN users AS u ON u.id = t.user_id").
		Where("u.role = ? AND t.revoked_at IS NULL AND u.deactivated_at IS NULL", string(role)).Count(&n).Error
	return int(n), formatError(err)
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]*service.User, error) {
	var rows []userRow
	if err := s.r.WithContext(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.User, len(rows))
	for i := range rows {
		out[i] = toUser(&rows[i])
	}
	return out, nil
}

// FindToken returns a token by ID.
func (s *Store) FindToken(ctx context.Context, id string) (*service.Token, error) {
	var r tokenRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no token %s", id)
		}
		return nil, err
	}
	return &service.Token{ID: r.ID, UserID: r.UserID, Name: r.Name, SecretHash: r.SecretHash,
		CreatedAt: r.CreatedAt.UTC(), RevokedAt: utcPtr(r.RevokedAt)}, nil
}

// RevokeToken marks a token revoked.
func (s *Store) RevokeToken(ctx context.Context, id string, t time.Time) error {
	return formatError(s.w.WithContext(ctx).Model(&tokenRow{}).Where("id = ? AND revoked_at IS NULL", id).
		Update("revoked_at", utc(t)).Error)
}
