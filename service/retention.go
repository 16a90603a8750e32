package service

import (
	"context"
	"fmt"
	"time"
)

// DefaultRetention is how long a closed request keeps its subject's personal data: three years, the period
// complaints and audits of a reply reach back.
const DefaultRetention = 3 * 365 * 24 * time.Hour

// RetentionStore finds and redacts closed requests.
type RetentionStore interface {
	// ClosedUnredactedBefore returns up to limit requests closed before t whose personal data is still held.
	ClosedUnredactedBefore(ctx context.Context, t time.Time, limit int) ([]*Request, error)
	// Redact removes a request's personal data (subject, details, reply, notes' bodies, the mails about it, the
	// transmission endpoint, export contents), keeping its reference, type, dates and outcome, and marks it
	// redacted at t.
	Redact(ctx context.Context, requestID string, t time.Time) error
}

// RedactExpired removes the personal data of requests closed longer ago than the retention period. The audit
// trail stays valid: its events never held personal data. Suppressions stay: they hold only keyed hashes.
func (s *Fulfilment) RedactExpired(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.now()
		batch, err := s.db.ClosedUnredactedBefore(ctx, now.Add(-s.retention), 100)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, r := range batch {
			err := s.begin(ctx, func(tx fulfilmentStore) error {
				if err := tx.Redact(ctx, r.ID, now); err != nil {
					return err
				}
				return s.appendEvent(ctx, tx, SystemActor, "request.redacted", r.ID, map[string]string{
					"closed_at": r.ClosedAt.UTC().Format(time.RFC3339)})
			})
			if err != nil {
				return n, fmt.Errorf("redact %s: %w", r.Reference, err)
			}
			n++
		}
	}
}
