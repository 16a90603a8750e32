package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

type eventRow struct {
	Seq       int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        string
	At        time.Time
	ActorID   string
	Action    string
	RequestID *string
	Data      string
	PrevHash  string
	Hash      string
}

func (eventRow) TableName() string { return "audit_events" }

type auditHeadRow struct {
	ID   int `gorm:"primaryKey"`
	Seq  int64
	Hash string
	MAC  string `gorm:"column:mac"`
}

func (auditHeadRow) TableName() string { return "audit_head" }

// LockAuditHead reads the chain's head FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction already holds
// the database's only write lock.
func (s *Store) LockAuditHead(ctx context.Context) (service.AuditHead, error) {
	if !s.inTx {
		return service.AuditHead{}, fmt.Errorf("LockAuditHead outside a transaction")
	}
	var row auditHeadRow
	err := s.w.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = 1").Take(&row).Error
	if err != nil {
		return service.AuditHead{}, formatError(err)
	}
	return service.AuditHead{Seq: row.Seq, Hash: row.Hash, MAC: row.MAC}, nil
}

// SetAuditHeadMAC replaces the head's MAC if the head is still h.
func (s *Store) SetAuditHeadMAC(ctx context.Context, h service.AuditHead) error {
	if !s.inTx {
		return fmt.Errorf("SetAuditHeadMAC outside a transaction")
	}
	res := s.w.WithContext(ctx).Model(&auditHeadRow{}).Where("id = 1 AND seq = ? AND hash = ?", h.Seq, h.Hash).
		Update("mac", h.MAC)
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("audit head moved from event %d", h.Seq)
	}
	return nil
}

// AppendEvent inserts an event and advances the head to it, with the head's new MAC.
func (s *Store) AppendEvent(ctx context.Context, e *service.Event, headMAC string) error {
	if !s.inTx {
		return fmt.Errorf("AppendEvent outside a transaction")
	}
	return s.AppendEvents(ctx, []*service.Event{e}, headMAC)
}

// eventColumns are the columns of one event in appendEventsSQL, in the order its values follow.
const eventColumns = "(seq, id, at, actor_id, action, request_id, data, prev_hash, hash)"

// maxEventsPerInsert bounds the rows of one INSERT (9 values each: far below either database's limit on
// parameters) and so the number of statement shapes the SQLite writer prepares.
const maxEventsPerInsert = 64

// AppendEvents inserts a run of chained events (consecutive Seqs after the head) with one multi-row INSERT per
// maxEventsPerInsert of them, and advances the head to the last once, with headMAC. The head moves only if it is
// still the event before the first: otherwise nothing is written and the transaction must roll back.
func (s *Store) AppendEvents(ctx context.Context, events []*service.Event, headMAC string) error {
	if !s.inTx {
		return fmt.Errorf("AppendEvents outside a transaction")
	}
	if len(events) == 0 {
		return nil
	}
	for i := 1; i < len(events); i++ {
		if events[i].Seq != events[i-1].Seq+1 || events[i].PrevHash != events[i-1].Hash {
			return fmt.Errorf("audit event %d does not follow event %d", events[i].Seq, events[i-1].Seq)
		}
	}
	db := s.w.WithContext(ctx)
	for start := 0; start < len(events); start += maxEventsPerInsert {
		chunk := events[start:min(start+maxEventsPerInsert, len(events))]
		var q strings.Builder
		q.WriteString("INSERT INTO audit_events " + eventColumns + " VALUES ")
		args := make([]any, 0, 9*len(chunk))
		for i, e := range chunk {
			data, err := json.Marshal(e.Data)
			if err != nil {
				return fmt.Errorf("encode event data: %w", err)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, e.Seq, e.ID, utc(e.At), e.ActorID, e.Action, nullable(e.RequestID), string(data),
				e.PrevHash, e.Hash)
		}
		if err := db.Exec(q.String(), args...).Error; err != nil {
			return formatError(err)
		}
	}
	first, last := events[0], events[len(events)-1]
	res := db.Exec("UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1 AND seq = ?",
		last.Seq, last.Hash, headMAC, first.Seq-1)
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("audit head moved under event %d", first.Seq)
	}
	return nil
}

// RequestEvents returns a request's events in chain order.
func (s *Store) RequestEvents(ctx context.Context, requestID string) ([]*service.Event, error) {
	var rows []eventRow
	if err := s.r.WithContext(ctx).Where("request_id = ?", requestID).Order("seq").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Event, 0, len(rows))
	for i := range rows {
		e, err := toEvent(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func toEvent(r *eventRow) (*service.Event, error) {
	e := &service.Event{ID: r.ID, Seq: r.Seq, At: r.At.UTC(), ActorID: r.ActorID, Action: r.Action,
		RequestID: deref(r.RequestID), PrevHash: r.PrevHash, Hash: r.Hash}
	if err := json.Unmarshal([]byte(r.Data), &e.Data); err != nil {
		return nil, fmt.Errorf("event %d: data: %w", r.Seq, err)
	}
	return e, nil
}

// OtherEvents returns the events that concern no request after a Seq, in chain order (audit_events_request
// serves it: request_id IS NULL, then seq).
func (s *Store) OtherEvents(ctx context.Context, afterSeq int64, limit int) ([]*service.Event, error) {
	var rows []eventRow
	err := s.r.WithContext(ctx).Where("request_id IS NULL AND seq > ?", afterSeq).Order("seq").Limit(limit).
		Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Event, 0, len(rows))
	for i := range rows {
		e, err := toEvent(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
