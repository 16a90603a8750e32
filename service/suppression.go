package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Suppression records that a subject withdrew consent to a purpose. It holds a keyed hash of the subject's
// identifier, never the identifier, and survives the erasure of the subject's other data.
type Suppression struct {
	SubjectHash string
	Purpose     string
	Since       time.Time
	RequestID   string
	Reference   string
}

// SuppressionStore keeps suppressions.
type SuppressionStore interface {
	// AddSuppression inserts s unless the subject and purpose are suppressed already (the earlier one stands).
	AddSuppression(ctx context.Context, s *Suppression) error
	// FindSuppression returns the suppression of a hash and purpose. ENOTFOUND if none.
	FindSuppression(ctx context.Context, subjectHash, purpose string) (*Suppression, error)
}

// suppressionHash is the keyed hash of one identifier (email or phone).
func (k *Keys) suppressionHash(kind, value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.suppress)
	switch kind {
	case "email":
		m.Write([]byte("email:" + strings.ToLower(strings.TrimSpace(value))))
	default:
		m.Write([]byte("phone:" + digitsOf(value)))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// suppress records a fulfilled consent withdrawal: one suppression per purpose and identifier.
func (s *core) suppress(ctx context.Context, tx suppressionAdder, r *Request, now time.Time) error {
	for _, purpose := range r.Details.Purposes {
		for _, h := range []string{s.keys.suppressionHash("email", r.Subject.Email), s.keys.suppressionHash("phone", r.Subject.Phone)} {
			if h == "" {
				continue
			}
			if err := tx.AddSuppression(ctx, &Suppression{SubjectHash: h, Purpose: normalPurpose(purpose), Since: now,
				RequestID: r.ID, Reference: r.Reference}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SuppressionCheck is the answer to "may we still process this person's data for this purpose?".
type SuppressionCheck struct {
	Suppressed bool
	Since      *time.Time
	Reference  string
}

// CheckSuppression answers whether an e-mail address or phone number withdrew consent to a purpose
// (integration, officer, admin). The identifier is hashed and never stored or logged.
func (s *Fulfilment) CheckSuppression(ctx context.Context, a Actor, email, phone, purpose string) (SuppressionCheck, error) {
	if err := authorize(a, permSuppressions); err != nil {
		return SuppressionCheck{}, err
	}
	var f fieldErrors
	if email == "" && phone == "" {
		f.add("email", "email or phone is required")
	}
	text(&f, "email", email, maxEmailLen, false)
	text(&f, "phone", phone, maxPhoneLen, false)
	text(&f, "purpose", purpose, maxShortTextLen, true)
	if err := f.err(); err != nil {
		return SuppressionCheck{}, err
	}
	for _, h := range []string{s.keys.suppressionHash("email", email), s.keys.suppressionHash("phone", phone)} {
		if h == "" {
			continue
		}
		sup, err := s.db.FindSuppression(ctx, h, normalPurpose(purpose))
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return SuppressionCheck{}, err
		}
		since := sup.Since
		return SuppressionCheck{Suppressed: true, Since: &since, Reference: sup.Reference}, nil
	}
	return SuppressionCheck{}, nil
}

// normalPurpose lets "Marketing " and "marketing" name the same purpose.
func normalPurpose(p string) string { return strings.ToLower(strings.TrimSpace(p)) }
