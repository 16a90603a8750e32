package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// SubjectActor is the data subject acting through a link e-mailed to them.
var SubjectActor = Actor{UserID: "subject", Name: "subject"}

// The purposes of links e-mailed to the subject.
const (
	linkVerify   = "verify"
	linkWithdraw = "withdraw"
	linkDownload = "download"
)

// VerificationWindow is how long a subject has to confirm a request filed through a web form.
const VerificationWindow = 7 * 24 * time.Hour

// withdrawLinkLife is how long the withdrawal link in an acknowledgement works.
const withdrawLinkLife = 366 * 24 * time.Hour

// SubjectLink is a single-use link e-mailed to the subject; only the SHA-256 of its token is stored.
type SubjectLink struct {
	TokenHash string
	RequestID string
	Purpose   string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// SubjectLinkStore keeps the links.
type SubjectLinkStore interface {
	// CreateSubjectLink inserts a link.
	CreateSubjectLink(ctx context.Context, l *SubjectLink) error
	// CreateSubjectLinks inserts links in one statement.
	CreateSubjectLinks(ctx context.Context, links []*SubjectLink) error
	// FindSubjectLink returns the link whose token hashes to hash. ENOTFOUND if none.
	FindSubjectLink(ctx context.Context, hash string) (*SubjectLink, error)
	// UseSubjectLink marks an unused link used at t. ECONFLICT if it was used already.
	UseSubjectLink(ctx context.Context, hash string, t time.Time) error
	// UnverifiedReceivedBefore returns up to limit unverified requests received before t.
	UnverifiedReceivedBefore(ctx context.Context, t time.Time, limit int) ([]*Request, error)
}

// newLinkToken returns a fresh unguessable link token (256 bits).
func newLinkToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// createLink stores a link for r and answers its URL under the public base URL.
func (s *core) createLink(ctx context.Context, tx linkCreator, r *Request, purpose string, life time.Duration) (string, error) {
	l, url := s.newLink(r, purpose, life)
	if err := tx.CreateSubjectLink(ctx, l); err != nil {
		return "", fmt.Errorf("create %s link: %w", purpose, err)
	}
	return url, nil
}

// newLink makes a link for r and its URL, without storing it.
func (s *core) newLink(r *Request, purpose string, life time.Duration) (*SubjectLink, string) {
	token := newLinkToken()
	now := s.now()
	return &SubjectLink{TokenHash: HashTokenSecret(token), RequestID: r.ID, Purpose: purpose,
		ExpiresAt: now.Add(life), CreatedAt: now}, s.publicURL + "/" + purpose + "?token=" + token
}

// ReferenceMark stands for the reference in an acknowledgement rendered and sealed before the filing's
// transaction numbers the request: no template, word or URL contains it, and HTML escaping leaves it as it is.
// The mail is stored with the mark and its Reference beside it, and the store puts the one in place of the other
// whenever it reads the mail.
const ReferenceMark = "\u27e6reference\u27e7"

// acknowledgement is the mail that tells the subject a request was filed, with a link to verify it (when
// unverified) and one to withdraw it, rendered and sealed before the filing's transaction: inside it, only the
// rows are written, the reference beside the mail.
type acknowledgement struct {
	links []*SubjectLink // verify, withdraw, then the mail's status link
	mail  *Sealed[*Mail] // nil when the subject has no e-mail address
}

// prepareAcknowledgement renders r's acknowledgement, with ReferenceMark for the reference it does not have yet,
// and has st seal it.
func (s *Intake) prepareAcknowledgement(st filingStore, r *Request) (*acknowledgement, error) {
	if subjectAddress(r) == "" {
		return &acknowledgement{}, nil
	}
	var ack acknowledgement
	extra := map[string]string{}
	if r.Status == StatusUnverified {
		l, url := s.newLink(r, linkVerify, VerificationWindow)
		ack.links, extra["VerifyURL"] = append(ack.links, l), url
	}
	l, url := s.newLink(r, linkWithdraw, withdrawLinkLife)
	ack.links, extra["WithdrawURL"] = append(ack.links, l), url
	numbered := r.Reference
	r.Reference = ReferenceMark
	m, status, err := s.composeSubjectMail(r, mailAcknowledgement, extra)
	r.Reference = numbered
	if err != nil {
		return nil, err
	}
	sealed, err := st.SealMail(m)
	if err != nil {
		return nil, err
	}
	ack.links, ack.mail = append(ack.links, status), sealed
	return &ack, nil
}

// useLink checks and spends a link. ENOTFOUND for an unknown token or another purpose; ECONFLICT when used or
// expired.
func (s *Intake) useLink(ctx context.Context, tx intakeStore, token, purpose string) (*Request, error) {
	hash := HashTokenSecret(token)
	l, err := tx.FindSubjectLink(ctx, hash)
	if ErrorCode(err) == ENOTFOUND || (err == nil && l.Purpose != purpose) {
		return nil, Errorf(ENOTFOUND, "this link is not valid")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case l.UsedAt != nil:
		return nil, Errorf(ECONFLICT, "this link was used already")
	case now.After(l.ExpiresAt):
		return nil, Errorf(ECONFLICT, "this link has expired")
	}
	if err := tx.UseSubjectLink(ctx, hash, now); err != nil {
		return nil, err
	}
	return tx.FindRequest(ctx, l.RequestID)
}

func validLinkToken(token string) error {
	if token == "" || len(token) > 100 {
		return Invalid(FieldError{"token", "is required, at most 100 characters"})
	}
	return nil
}

// VerifyBySubject confirms an unverified request through the link e-mailed to its subject.
func (s *Intake) VerifyBySubject(ctx context.Context, token string) (*Request, error) {
	if err := validLinkToken(token); err != nil {
		return nil, err
	}
	var out *Request
	err := s.begin(ctx, func(tx intakeStore) error {
		r, err := s.useLink(ctx, tx, token, linkVerify)
		if err != nil {
			return err
		}
		switch {
		case r.Status.Terminal():
			return Errorf(ECONFLICT, "the request is closed, so there is nothing to confirm")
		case r.Status != StatusUnverified:
			return Errorf(ECONFLICT, "the request is confirmed already")
		}
		now := s.now()
		r.VerifiedAt = &now
		r.setStatus(StatusOpen, now)
		if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartVerified); err != nil {
			return err
		}
		out = r
		return s.appendEvent(ctx, tx, SubjectActor, "request.verified", r.ID, map[string]string{"by": "subject_link"})
	})
	return out, err
}

// WithdrawBySubject withdraws a request through the link in its acknowledgement.
func (s *Intake) WithdrawBySubject(ctx context.Context, token string) (*Request, error) {
	if err := validLinkToken(token); err != nil {
		return nil, err
	}
	var out *Request
	err := s.begin(ctx, func(tx intakeStore) error {
		r, err := s.useLink(ctx, tx, token, linkWithdraw)
		if err != nil {
			return err
		}
		if err := s.withdrawForSubject(ctx, tx, r, "subject_link"); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// ExpireUnverified closes requests whose subject never confirmed them within VerificationWindow, and tells the
// subject. It answers how many it closed.
func (s *Intake) ExpireUnverified(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.now()
		batch, err := s.db.UnverifiedReceivedBefore(ctx, now.Add(-VerificationWindow), 100)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, r := range batch {
			err := s.begin(ctx, func(tx intakeStore) error {
				r, err := tx.FindRequest(ctx, r.ID)
				if err != nil || r.Status != StatusUnverified {
					return err
				}
				r.RepliedAt = &now
				r.setStatus(StatusExpired, now)
				if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartReply); err != nil {
					return err
				}
				if err := s.enqueueSubjectMail(ctx, tx, r, mailExpired, nil); err != nil {
					return err
				}
				return s.appendEvent(ctx, tx, SystemActor, "request.expired", r.ID, nil)
			})
			if err != nil {
				return n, fmt.Errorf("expire request %s: %w", r.ID, err)
			}
			n++
		}
	}
}

// withdrawStore is what a subject's withdrawal writes: the request, the mail that confirms it, the event.
type withdrawStore interface {
	subjectMailer
	eventAppender
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
}

// withdrawForSubject withdraws r on its subject's behalf, through the link named by (subject_link: the
// acknowledgement's withdrawal link; status_link: the status page): ECONFLICT once the request is closed.
func (s *core) withdrawForSubject(ctx context.Context, tx withdrawStore, r *Request, by string) error {
	if !CanMove(r.Status, StatusWithdrawn) {
		return Errorf(ECONFLICT, "the request is closed and can no longer be withdrawn")
	}
	from := r.Status
	r.setStatus(StatusWithdrawn, s.now())
	if err := tx.UpdateRequestParts(ctx, r, PartStatus); err != nil {
		return err
	}
	if err := s.enqueueSubjectMail(ctx, tx, r, mailWithdrawn, nil); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, SubjectActor, "request.transitioned", r.ID, map[string]string{
		"from": string(from), "to": string(StatusWithdrawn), "by": by})
}
