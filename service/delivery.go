package service

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"
)

// DeliveryStore is the outbox as the outbox job works it.
type DeliveryStore interface {
	// DueMail returns up to limit pending mails whose next attempt is at or before now, oldest first.
	DueMail(ctx context.Context, now time.Time, limit int) ([]*Mail, error)
	// SaveMailDelivery saves a mail's status, attempts, next attempt, last error and sent time.
	SaveMailDelivery(ctx context.Context, m *Mail) error
	// FindMail returns one mail. ENOTFOUND if none.
	FindMail(ctx context.Context, id string) (*Mail, error)
	// CountMail counts mails by status.
	CountMail(ctx context.Context) (map[MailStatus]int, error)
}

// MaxMailAttempts is how often a mail is tried before it is marked failed (and shown, and counted).
const MaxMailAttempts = 8

// retryBackoff is the wait after the n-th failed attempt: 1 minute, doubling, at most 6 hours.
func retryBackoff(n int) time.Duration {
	d := time.Minute << min(n-1, 9)
	return min(d, 6*time.Hour)
}

// OutboxResult counts what a delivery run did.
type OutboxResult struct {
	Sent, Retrying, Failed int
	// Waiting is the pending backlog when no SMTP server is configured: mail stays queued, visibly.
	Waiting       int
	NotConfigured bool
}

func (r OutboxResult) String() string {
	if r.NotConfigured {
		return fmt.Sprintf("SMTP is not configured (RIGHTSDESK_SMTP_URL): %d mail(s) waiting in the outbox", r.Waiting)
	}
	return fmt.Sprintf("%d sent, %d to retry, %d failed", r.Sent, r.Retrying, r.Failed)
}

// maxSendPerRun bounds one run, so that a large backlog is worked in slices and the lease is never outlived.
const maxSendPerRun = 500

// SendOutbox delivers due mail. Guarantees: a mail decided in a committed transaction is kept until it is sent
// or has failed MaxMailAttempts times (never dropped); only the lease holder sends, so two replicas never send
// the same mail at once; a crash after the SMTP server accepted a mail but before it was marked sent makes it go
// once more on the next run (at-least-once), under the same Message-ID, which lets mail systems drop the copy.
func (s *Escalation) SendOutbox(ctx context.Context) (OutboxResult, error) {
	var res OutboxResult
	if s.mailer == nil {
		counts, err := s.db.CountMail(ctx)
		res.NotConfigured, res.Waiting = true, counts[MailPending]
		return res, err
	}
	for res.Sent+res.Retrying+res.Failed < maxSendPerRun {
		batch, err := s.db.DueMail(ctx, s.now(), 50)
		if err != nil || len(batch) == 0 {
			return res, err
		}
		for _, m := range batch {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			err := s.mailer.Send(ctx, OutgoingMail{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTMLPart()})
			now := s.now()
			m.Attempts++
			var perm *PermanentError
			switch {
			case err == nil:
				m.Status, m.SentAt, m.LastError = MailSent, &now, ""
				res.Sent++
			case errors.As(err, &perm) || m.Attempts >= MaxMailAttempts:
				m.Status, m.LastError = MailFailed, failureText(err)
				res.Failed++
			default:
				m.NextAttemptAt, m.LastError = now.Add(retryBackoff(m.Attempts)), failureText(err)
				res.Retrying++
			}
			if err := s.db.SaveMailDelivery(ctx, m); err != nil {
				return res, fmt.Errorf("save delivery of mail %s: %w", m.ID, err)
			}
		}
	}
	return res, nil
}

// MailPage is a listing of the outbox.
type MailPage struct{ Items []*Mail }

// OutboxMail lists the outbox (admin), newest first, optionally of one status.
func (s *Escalation) OutboxMail(ctx context.Context, a Actor, status MailStatus, limit int) ([]*Mail, error) {
	if err := authorize(a, permManageOutbox); err != nil {
		return nil, err
	}
	if status != "" && !oneOf(status, []MailStatus{MailPending, MailSent, MailFailed}) {
		return nil, Invalid(FieldError{"status", "must be pending, sent or failed"})
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, Invalid(FieldError{"limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize)})
	}
	mails, err := s.db.ListMail(ctx, status, limit)
	for _, m := range mails {
		m.LastError = MaskAddresses(m.LastError) // kept before masking was: shown masked all the same
	}
	return mails, err
}

// RetryMail puts a failed mail back in the queue for a full new round of attempts (admin).
func (s *Escalation) RetryMail(ctx context.Context, a Actor, id string) (*Mail, error) {
	if err := authorize(a, permManageOutbox); err != nil {
		return nil, err
	}
	var out *Mail
	err := s.begin(ctx, func(tx escalationStore) error {
		m, err := tx.FindMail(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != MailFailed {
			return Errorf(ECONFLICT, "only a failed mail is retried; this one is %s", m.Status)
		}
		m.Status, m.Attempts, m.NextAttemptAt = MailPending, 0, s.now()
		if err := tx.SaveMailDelivery(ctx, m); err != nil {
			return err
		}
		out = m
		return s.appendEvent(ctx, tx, a, "mail.retried", m.RequestID, map[string]string{"mail_id": m.ID, "kind": m.Kind})
	})
	return out, err
}

// OutboxCounts counts the outbox by status, for metrics.
func (s *Escalation) OutboxCounts(ctx context.Context) (map[MailStatus]int, error) {
	return s.db.CountMail(ctx)
}

var (
	urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)
	htmlLayout = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;line-height:1.5">
{{range .}}<p style="white-space:pre-wrap">{{.}}</p>
{{end}}</body></html>
`))
)

// htmlFromText renders a plain-text mail as its HTML alternative: the same paragraphs, links to pages a person
// can open in a browser made clickable; API addresses stay text.
func htmlFromText(text string) string {
	var paras []template.HTML
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		escaped := template.HTMLEscapeString(strings.TrimSpace(p))
		linked := urlPattern.ReplaceAllStringFunc(escaped, func(u string) string {
			if strings.Contains(u, "/api/") {
				return u // an API address answers a browser with a JSON 401: the text says how to use it
			}
			return `<a href="` + u + `">` + u + `</a>`
		})
		paras = append(paras, template.HTML(linked))
	}
	var b strings.Builder
	if err := htmlLayout.Execute(&b, paras); err != nil {
		return ""
	}
	return b.String()
}
