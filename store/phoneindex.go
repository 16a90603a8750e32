package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// BackfillPhoneIndex gives every request not indexed by phone yet (phone_index NULL: the rows written before
// migration 00016, or by an older replica since) the keyed hash of its subject's phone, computed by index from
// the opened subject; a request without a phone, or redacted, gets "". The program runs it at every start, after
// migrating, like SealClearText: in batches by ID, each row written only if still unindexed, so that a second
// run finds nothing to do. It answers how many requests it gave a phone index.
func (s *Store) BackfillPhoneIndex(ctx context.Context, batch int, index func(phone string) string) (int, error) {
	n, after := 0, ""
	for {
		var rows []struct {
			ID         string
			Subject    string
			RedactedAt *time.Time
		}
		err := s.r.WithContext(ctx).Model(&requestRow{}).Select("id", "subject", "redacted_at").
			Where("phone_index IS NULL AND id > ?", after).Order("id").Limit(batch).Scan(&rows).Error
		if err != nil {
			return n, formatError(err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		err = s.WithTx(ctx, func(tx service.Store) error {
			db := tx.(*Store).w.WithContext(ctx)
			for _, r := range rows {
				h := ""
				if r.RedactedAt == nil {
					plain, err := s.open(r.Subject)
					if err != nil {
						return fmt.Errorf("subject of request %s: %w", r.ID, err)
					}
					var subject service.Subject
					if plain != "" {
						if err := json.Unmarshal([]byte(plain), &subject); err != nil {
							return fmt.Errorf("subject of request %s: %w", r.ID, err)
						}
					}
					h = index(subject.Phone)
				}
				res := db.Model(&requestRow{}).Where("id = ? AND phone_index IS NULL", r.ID).Update("phone_index", h)
				if res.Error != nil {
					return formatError(res.Error)
				}
				if h != "" {
					n += int(res.RowsAffected)
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		after = rows[len(rows)-1].ID
	}
}
