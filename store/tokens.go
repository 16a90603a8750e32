package store

import (
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

// maxTokenList bounds ListTokens: tokens are few (people and integrations), this only stops a runaway.
const maxTokenList = 5000

// ListTokens returns the tokens, unrevoked first, then newest first; without their secrets' hashes.
func (s *Store) ListTokens(ctx context.Context) ([]*service.Token, error) {
	var rows []tokenRow
	err := s.r.WithContext(ctx).Select("id, user_id, name, created_at, revoked_at").
		Order("CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id").Limit(maxTokenList).
		Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Token, len(rows))
	for i, r := range rows {
		out[i] = &service.Token{ID: r.ID, UserID: r.UserID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(),
			RevokedAt: utcPtr(r.RevokedAt)}
	}
	return out, nil
}
