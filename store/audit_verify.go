package store

import (
	"context"
	"fmt"

	"github.com/rightsdesk/rightsdesk/service"
)

// AuditEventsAfter returns up to limit events after afterSeq, in chain order, from the read pool.
func (s *Store) AuditEventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*service.Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("AuditEventsAfter: limit %d, want > 0", limit)
	}
	var rows []eventRow
	err := s.r.WithContext(ctx).Where("seq > ?", afterSeq).Order("seq").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Event, 0, len(rows))
	for i := range rows {
		e, err := toEvent(&rows[i])
		if err != nil {
			e = undecodableEvent(&rows[i])
		}
		out = append(out, e)
	}
	return out, nil
}

// undecodableDataKey holds the stored text of event data that is not a JSON object of strings.
const undecodableDataKey = "!undecodable"

// undecodableEvent is an event whose data could not be decoded: only a hand on the database writes such data,
// and verification must report it rather than fail. Its Data holds the stored text under undecodableDataKey, a
// content no appended event can have (its data would have been stored as a decodable object), so its hash
// never matches.
func undecodableEvent(r *eventRow) *service.Event {
	return &service.Event{ID: r.ID, Seq: r.Seq, At: r.At.UTC(), ActorID: r.ActorID, Action: r.Action,
		RequestID: deref(r.RequestID), Data: map[string]string{undecodableDataKey: r.Data},
		PrevHash: r.PrevHash, Hash: r.Hash}
}

// AuditHeadNow reads the chain's head from the read pool, without a lock: an append in progress is not waited
// for. ENOTFOUND if the head row is missing.
func (s *Store) AuditHeadNow(ctx context.Context) (service.AuditHead, error) {
	var row auditHeadRow
	if err := s.r.WithContext(ctx).Where("id = 1").Take(&row).Error; err != nil {
		return service.AuditHead{}, formatError(err)
	}
	return service.AuditHead{Seq: row.Seq, Hash: row.Hash, MAC: row.MAC}, nil
}
