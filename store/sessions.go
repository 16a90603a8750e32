package store

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

type sessionRow struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	SecretHash string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	LastSeenAt time.Time
}

func (sessionRow) TableName() string { return "sessions" }

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, x *service.Session) error {
	return formatError(s.w.WithContext(ctx).Create(&sessionRow{ID: x.ID, UserID: x.UserID, SecretHash: x.SecretHash,
		CreatedAt: utc(x.CreatedAt), LastSeenAt: utc(x.LastSeenAt)}).Error)
}

// FindSession looks a session up by its secret's hash, with its user, in one query.
func (s *Store) FindSession(ctx context.Context, hash string) (*service.Session, *service.User, error) {
	var row struct {
		ID, UserID, SecretHash      string
		CreatedAt, LastSeenAt       time.Time
		UName, UEmail, URole, ULang string
		UCreatedAt                  time.Time
		UDeactivatedAt, UTOTP       *time.Time
	}
	err := s.w.WithContext(ctx).Table("sessions AS s").
		Select("s.id, s.user_id, s.secret_hash, s.created_at, s.last_seen_at, u.name AS u_name, "+
			"u.email AS u_email, u.role AS u_role, u.created_at AS u_created_at, u.language AS u_lang, "+
			"u.deactivated_at AS u_deactivated_at, u.totp_enabled_at AS u_totp").
		Joins("JOIN users AS u ON u.id = s.user_id").
		Where("s.secret_hash = ?", hash).Take(&row).Error
	if err != nil {
		return nil, nil, formatError(err)
	}
	return &service.Session{ID: row.ID, UserID: row.UserID, SecretHash: row.SecretHash, CreatedAt: row.CreatedAt.UTC(),
			LastSeenAt: row.LastSeenAt.UTC()}, toUser(&userRow{ID: row.UserID, Name: row.UName, Email: row.UEmail,
			Role: row.URole, CreatedAt: row.UCreatedAt, Language: row.ULang, DeactivatedAt: row.UDeactivatedAt,
			TOTPEnabledAt: row.UTOTP}), nil
}

// TouchSession records a session's last use.
func (s *Store) TouchSession(ctx context.Context, id string, t time.Time) error {
	return formatError(s.w.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", id).Update("last_seen_at", utc(t)).Error)
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return formatError(s.w.WithContext(ctx).Where("id = ?", id).Delete(&sessionRow{}).Error)
}

// DeleteUserSessions removes a user's sessions but one.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error) {
	res := s.w.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, exceptID).Delete(&sessionRow{})
	return int(res.RowsAffected), formatError(res.Error)
}

// DeleteExpiredSessions removes the sessions idle or old beyond their timeouts.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int, error) {
	res := s.w.WithContext(ctx).Where("last_seen_at < ? OR created_at < ?", utc(idleBefore), utc(startedBefore)).
		Delete(&sessionRow{})
	return int(res.RowsAffected), formatError(res.Error)
}

// SetUserLanguage records the language a user reads the console in.
func (s *Store) SetUserLanguage(ctx context.Context, userID, lang string) error {
	res := s.w.WithContext(ctx).Model(&userRow{}).Where("id = ?", userID).Update("language", lang)
	if res.Error == nil && res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no user %s", userID)
	}
	return formatError(res.Error)
}
