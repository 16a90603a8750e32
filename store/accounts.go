package store

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// credentialsRow is the part of a user's row that signing in reads.
type credentialsRow struct {
	ID            string
	PasswordHash  string
	TOTPSecret    string     `gorm:"column:totp_secret"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step"`
}

// FindCredentials returns a user's credentials.
func (s *Store) FindCredentials(ctx context.Context, userID string) (*service.Credentials, error) {
	var r credentialsRow
	err := s.w.WithContext(ctx).Table("users").Select("id, password_hash, totp_secret, totp_enabled_at, totp_last_step").
		Where("id = ?", userID).Take(&r).Error
	if err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no user %s", userID)
		}
		return nil, err
	}
	return &service.Credentials{UserID: r.ID, PasswordHash: r.PasswordHash, TOTPSecret: r.TOTPSecret,
		TOTPEnabledAt: utcPtr(r.TOTPEnabledAt), TOTPLastStep: r.TOTPLastStep}, nil
}

// updateUser sets columns of one user; ENOTFOUND when there is none.
func (s *Store) updateUser(ctx context.Context, userID string, cols map[string]any) error {
	res := s.w.WithContext(ctx).Table("users").Where("id = ?", userID).Updates(cols)
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no user %s", userID)
	}
	return nil
}

// SetPasswordHash replaces a user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	return s.updateUser(ctx, userID, map[string]any{"password_hash": hash})
}

// SetTOTP records a user's second factor; a new secret starts its steps afresh.
func (s *Store) SetTOTP(ctx context.Context, userID, sealedSecret string, enabledAt *time.Time) error {
	return s.updateUser(ctx, userID, map[string]any{"totp_secret": sealedSecret, "totp_enabled_at": utcPtr(enabledAt)})
}

// AdvanceTOTPStep records an accepted code's time step, only forwards.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res := s.w.WithContext(ctx).Table("users").Where("id = ? AND totp_last_step < ?", userID, step).
		Update("totp_last_step", step)
	return res.RowsAffected == 1, formatError(res.Error)
}

// SetUserRole gives a user another role.
func (s *Store) SetUserRole(ctx context.Context, userID string, role service.Role) error {
	return s.updateUser(ctx, userID, map[string]any{"role": string(role)})
}

// SetUserDeactivated records a deactivation, or its end.
func (s *Store) SetUserDeactivated(ctx context.Context, userID string, at *time.Time) error {
	return s.updateUser(ctx, userID, map[string]any{"deactivated_at": utcPtr(at)})
}

type invitationRow struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	TokenHash string
	Purpose   string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (invitationRow) TableName() string { return "invitations" }

// CreateInvitation inserts an invitation link.
func (s *Store) CreateInvitation(ctx context.Context, inv *service.Invitation) error {
	return formatError(s.w.WithContext(ctx).Create(&invitationRow{ID: inv.ID, UserID: inv.UserID, TokenHash: inv.TokenHash,
		Purpose: inv.Purpose, CreatedAt: utc(inv.CreatedAt), ExpiresAt: utc(inv.ExpiresAt), UsedAt: utcPtr(inv.UsedAt)}).Error)
}

func toInvitation(r *invitationRow) *service.Invitation {
	return &service.Invitation{ID: r.ID, UserID: r.UserID, TokenHash: r.TokenHash, Purpose: r.Purpose,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt)}
}

// FindInvitation returns an invitation by its token's hash.
func (s *Store) FindInvitation(ctx context.Context, hash string) (*service.Invitation, error) {
	var r invitationRow
	if err := s.w.WithContext(ctx).Where("token_hash = ?", hash).Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return toInvitation(&r), nil
}

// LastInvitation returns a user's newest invitation of a purpose.
func (s *Store) LastInvitation(ctx context.Context, userID, purpose string) (*service.Invitation, error) {
	var r invitationRow
	if err := s.w.WithContext(ctx).Where("user_id = ? AND purpose = ?", userID, purpose).
		Order("created_at DESC").Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return toInvitation(&r), nil
}

// UseInvitation marks an invitation used, once.
func (s *Store) UseInvitation(ctx context.Context, id string, at time.Time) (bool, error) {
	res := s.w.WithContext(ctx).Model(&invitationRow{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", utc(at))
	return res.RowsAffected == 1, formatError(res.Error)
}

// DeleteUnusedInvitations removes a user's unused invitations.
func (s *Store) DeleteUnusedInvitations(ctx context.Context, userID string) error {
	return formatError(s.w.WithContext(ctx).Where("user_id = ? AND used_at IS NULL", userID).Delete(&invitationRow{}).Error)
}

type setupLinkRow struct {
	ID        string `gorm:"primaryKey"`
	TokenHash string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (setupLinkRow) TableName() string { return "setup_links" }

func toSetupLink(r *setupLinkRow) *service.SetupLink {
	return &service.SetupLink{ID: r.ID, TokenHash: r.TokenHash, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		UsedAt: utcPtr(r.UsedAt)}
}

// CreateSetupLink inserts a setup link.
func (s *Store) CreateSetupLink(ctx context.Context, l *service.SetupLink) error {
	return formatError(s.w.WithContext(ctx).Create(&setupLinkRow{ID: l.ID, TokenHash: l.TokenHash,
		CreatedAt: utc(l.CreatedAt), ExpiresAt: utc(l.ExpiresAt), UsedAt: utcPtr(l.UsedAt)}).Error)
}

// FindSetupLink returns a setup link by its token's hash.
func (s *Store) FindSetupLink(ctx context.Context, hash string) (*service.SetupLink, error) {
	var r setupLinkRow
	if err := s.w.WithContext(ctx).Where("token_hash = ?", hash).Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return toSetupLink(&r), nil
}

// LastSetupLink returns the newest setup link.
func (s *Store) LastSetupLink(ctx context.Context) (*service.SetupLink, error) {
	var r setupLinkRow
	if err := s.w.WithContext(ctx).Order("created_at DESC").Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return toSetupLink(&r), nil
}

// UseSetupLink marks a setup link used, once.
func (s *Store) UseSetupLink(ctx context.Context, id string, at time.Time) (bool, error) {
	res := s.w.WithContext(ctx).Model(&setupLinkRow{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", utc(at))
	return res.RowsAffected == 1, formatError(res.Error)
}

type recoveryCodeRow struct {
	ID       string `gorm:"primaryKey"`
	UserID   string
	CodeHash string
	UsedAt   *time.Time
}

func (recoveryCodeRow) TableName() string { return "recovery_codes" }

// ReplaceRecoveryCodes stores a user's new recovery codes in place of the old.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, newID func() string) error {
	db := s.w.WithContext(ctx)
	if err := db.Where("user_id = ?", userID).Delete(&recoveryCodeRow{}).Error; err != nil {
		return formatError(err)
	}
	if len(hashes) == 0 {
		return nil
	}
	rows := make([]recoveryCodeRow, len(hashes))
	for i, h := range hashes {
		rows[i] = recoveryCodeRow{ID: newID(), UserID: userID, CodeHash: h}
	}
	return formatError(db.Create(&rows).Error)
}

// UseRecoveryCode marks one unused code used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error) {
	res := s.w.WithContext(ctx).Model(&recoveryCodeRow{}).
		Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, hash).Update("used_at", utc(at))
	return res.RowsAffected == 1, formatError(res.Error)
}

// CountRecoveryCodes counts a user's unused codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&recoveryCodeRow{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	return int(n), formatError(err)
}

type settingRow struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (settingRow) TableName() string { return "settings" }

// Setting returns a setting's value, "" when never set.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var rows []settingRow
	if err := s.r.WithContext(ctx).Where("name = ?", name).Limit(1).Find(&rows).Error; err != nil {
		return "", formatError(err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].Value, nil
}

// SaveSetting sets a setting.
func (s *Store) SaveSetting(ctx context.Context, name, value string, at time.Time) error {
	db := s.w.WithContext(ctx)
	res := db.Model(&settingRow{}).Where("name = ?", name).Updates(map[string]any{"value": value, "updated_at": utc(at)})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	return formatError(db.Create(&settingRow{Name: name, Value: value, UpdatedAt: utc(at)}).Error)
}
