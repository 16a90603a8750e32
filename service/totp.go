package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor: TOTP (RFC 6238: 6 digits, 30-second steps, SHA-1, as every authenticator app reads it),
// with 10 single-use recovery codes shown once.

const (
	totpPeriod = 30
	// RecoveryCodeCount is how many recovery codes a person gets.
	RecoveryCodeCount = 10
)

// SettingAdminSecondFactor is the setting that requires a second factor of admins ("on" or "").
const SettingAdminSecondFactor = "require_admin_second_factor"

// TOTPEnrolment is a second factor being set up: the secret to type in, and the otpauth:// URI a QR code holds.
type TOTPEnrolment struct {
	Secret string
	URI    string
}

// BeginTOTP gives a signed-in person a new TOTP secret to add to her authenticator app; it takes effect once
// she confirms a code (ConfirmTOTP). ECONFLICT when she has a second factor already.
func (s *Accounts) BeginTOTP(ctx context.Context, a Actor) (*TOTPEnrolment, error) {
	u, err := s.db.FindUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if u.SecondFactor {
		return nil, Errorf(ECONFLICT, "you have a second factor already; turn it off first to enrol another")
	}
	account := u.Email
	if account == "" {
		account = u.Name
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.orgName + " Rightsdesk", AccountName: account,
		Period: totpPeriod, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	sealed, err := s.keys.Seal([]byte(key.URL()))
	if err != nil {
		return nil, fmt.Errorf("seal TOTP secret: %w", err)
	}
	if err := s.db.SetTOTP(ctx, a.UserID, sealed, nil); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// PendingTOTP answers the enrolment a person has begun and not yet confirmed. ENOTFOUND if none.
func (s *Accounts) PendingTOTP(ctx context.Context, a Actor) (*TOTPEnrolment, error) {
	cred, err := s.db.FindCredentials(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if cred.TOTPSecret == "" || cred.TOTPEnabledAt != nil {
		return nil, Errorf(ENOTFOUND, "no second factor is being enrolled")
	}
	key, err := s.totpKey(cred)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

func (s *Accounts) totpKey(cred *Credentials) (*otp.Key, error) {
	uri, err := s.keys.Open(cred.TOTPSecret)
	if err != nil {
		return nil, fmt.Errorf("open TOTP secret: %w", err)
	}
	return otp.NewKeyFromURL(string(uri))
}

// totpStep answers the time step a code is good for, at most one step from now; 0 when it is good for none.
func (s *Accounts) totpStep(key *otp.Key, code string) int64 {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != 6 {
		return 0
	}
	now := s.now()
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		ok, err := totp.ValidateCustom(code, key.Secret(), at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix,
			Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return at.Unix() / totpPeriod
		}
	}
	return 0
}

// ConfirmTOTP turns the second factor on once the person gives a code of the secret she enrolled, and answers
// her recovery codes, shown this once. EINVALID naming "code" for a wrong code.
func (s *Accounts) ConfirmTOTP(ctx context.Context, a Actor, code string) ([]string, error) {
	cred, err := s.db.FindCredentials(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if cred.TOTPSecret == "" || cred.TOTPEnabledAt != nil {
		return nil, Errorf(ECONFLICT, "no second factor is being enrolled")
	}
	key, err := s.totpKey(cred)
	if err != nil {
		return nil, err
	}
	step := s.totpStep(key, code)
	if step == 0 {
		return nil, Invalid(FieldError{"code", "is not the code your app shows now"})
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = s.recoveryHash(codes[i])
	}
	now := s.now()
	err = s.begin(ctx, func(tx accountsStore) error {
		if err := tx.SetTOTP(ctx, a.UserID, cred.TOTPSecret, &now); err != nil {
			return err
		}
		if _, err := tx.AdvanceTOTPStep(ctx, a.UserID, step); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, a.UserID, hashes, s.newID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "user.second_factor_enabled", "", map[string]string{"user_id": a.UserID})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns a person's second factor off, given her password. ECONFLICT for an admin while admins must
// have one.
func (s *Accounts) DisableTOTP(ctx context.Context, a Actor, password string) error {
	cred, err := s.db.FindCredentials(ctx, a.UserID)
	if err != nil {
		return err
	}
	right := false
	if cred.PasswordHash != "" {
		if right, err = s.checkPassword(ctx, cred.PasswordHash, password); err != nil {
			return err
		}
	}
	if !right {
		return s.failed(ctx, a, a.UserID, "wrong_password", Invalid(FieldError{"current_password", "is not your password"}))
	}
	if a.Role == RoleAdmin {
		if req, err := s.AdminSecondFactorRequired(ctx); err != nil || req {
			if err == nil {
				err = Errorf(ECONFLICT, "admins must have a second factor (a setting of the console)")
			}
			return err
		}
	}
	return s.begin(ctx, func(tx accountsStore) error {
		if err := tx.SetTOTP(ctx, a.UserID, "", nil); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, a.UserID, nil, s.newID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "user.second_factor_disabled", "", map[string]string{"user_id": a.UserID})
	})
}

// VerifySecondFactor checks the code a person gives after her password: a TOTP code (each accepted once) or
// one of her recovery codes (used up). EUNAUTHORIZED, audited, when it is neither.
func (s *Accounts) VerifySecondFactor(ctx context.Context, userID, code string) error {
	refused := Errorf(EUNAUTHORIZED, "the code is wrong")
	if code = strings.TrimSpace(code); code == "" || len(code) > 64 {
		return refused
	}
	cred, err := s.db.FindCredentials(ctx, userID)
	if err != nil {
		return err
	}
	u, err := s.db.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	if cred.TOTPEnabledAt == nil {
		return s.failed(ctx, actorOf(u), userID, "no_second_factor", refused)
	}
	key, err := s.totpKey(cred)
	if err != nil {
		return err
	}
	if step := s.totpStep(key, code); step != 0 {
		ok, err := s.db.AdvanceTOTPStep(ctx, userID, step)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		return s.failed(ctx, actorOf(u), userID, "second_factor_reused", refused)
	}
	if len(normalRecoveryCode(code)) == 10 {
		used := false
		err := s.begin(ctx, func(tx accountsStore) error {
			var err error
			if used, err = tx.UseRecoveryCode(ctx, userID, s.recoveryHash(code), s.now()); err != nil || !used {
				return err
			}
			return s.appendEvent(ctx, tx, actorOf(u), "user.recovery_code_used", "", map[string]string{"user_id": userID})
		})
		if err != nil {
			return err
		}
		if used {
			return nil
		}
	}
	return s.failed(ctx, actorOf(u), userID, "second_factor", refused)
}

// SecondFactorStatus answers whether a person has a second factor, and how many recovery codes she has left.
func (s *Accounts) SecondFactorStatus(ctx context.Context, a Actor) (enabled bool, codesLeft int, err error) {
	cred, err := s.db.FindCredentials(ctx, a.UserID)
	if err != nil {
		return false, 0, err
	}
	if cred.TOTPEnabledAt == nil {
		return false, 0, nil
	}
	n, err := s.db.CountRecoveryCodes(ctx, a.UserID)
	return true, n, err
}

// AdminSecondFactorRequired reports whether admins must sign in with a second factor.
func (s *Accounts) AdminSecondFactorRequired(ctx context.Context) (bool, error) {
	v, err := s.db.Setting(ctx, SettingAdminSecondFactor)
	return v == "on", err
}

// SetAdminSecondFactorRequired requires (or no longer requires) a second factor of admins (admin). Admins
// without one are sent to enrol when they next sign in.
func (s *Accounts) SetAdminSecondFactorRequired(ctx context.Context, a Actor, required bool) error {
	if err := authorize(a, permManageUsers); err != nil {
		return err
	}
	v := ""
	if required {
		v = "on"
	}
	return s.begin(ctx, func(tx accountsStore) error {
		if err := tx.SaveSetting(ctx, SettingAdminSecondFactor, v, s.now()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "setting.changed", "", map[string]string{"name": SettingAdminSecondFactor,
			"value": fmt.Sprint(required)})
	})
}
