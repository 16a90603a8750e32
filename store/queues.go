package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

type queueRow struct {
	ID              string `gorm:"primaryKey"`
	Name            string
	EscalationEmail string
	Locale          string
	RouteTypes      string // JSON list
	RouteChannels   string // JSON list
	IsDefault       bool
	Position        int
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
}

func (queueRow) TableName() string { return "queues" }

type queueMemberRow struct {
	QueueID string `gorm:"primaryKey"`
	UserID  string `gorm:"primaryKey"`
}

func (queueMemberRow) TableName() string { return "queue_members" }

func toQueueRow(q *service.Queue) *queueRow {
	types, _ := json.Marshal(nonNil(q.Routes.Types))
	channels, _ := json.Marshal(nonNil(q.Routes.Channels))
	return &queueRow{ID: q.ID, Name: q.Name, EscalationEmail: q.EscalationEmail, Locale: q.Locale,
		RouteTypes: string(types), RouteChannels: string(channels), IsDefault: q.Default, Position: q.Position,
		CreatedAt: utc(q.CreatedAt), UpdatedAt: utc(q.UpdatedAt)}
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func toQueue(r *queueRow, members []string) (*service.Queue, error) {
	q := &service.Queue{ID: r.ID, Name: r.Name, EscalationEmail: r.EscalationEmail, Locale: r.Locale,
		Members: nonNil(members), Default: r.IsDefault, Position: r.Position, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.RouteTypes), &q.Routes.Types); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(r.RouteChannels), &q.Routes.Channels); err != nil {
		return nil, err
	}
	return q, nil
}

// CreateQueue inserts a queue and its members.
func (s *Store) CreateQueue(ctx context.Context, q *service.Queue) error {
	return s.WithTx(ctx, func(tx service.Store) error {
		st := tx.(*Store)
		if err := st.w.WithContext(ctx).Create(toQueueRow(q)).Error; err != nil {
			return formatError(err)
		}
		return st.setMembers(ctx, q)
	})
}

// UpdateQueue saves a queue and replaces its members.
func (s *Store) UpdateQueue(ctx context.Context, q *service.Queue) error {
	return s.WithTx(ctx, func(tx service.Store) error {
		st := tx.(*Store)
		res := st.w.WithContext(ctx).Model(&queueRow{}).Where("id = ?", q.ID).Select("*").Omit("id", "created_at").
			Updates(toQueueRow(q))
		if res.Error != nil {
			return formatError(res.Error)
		}
		if res.RowsAffected == 0 {
			return service.Errorf(service.ENOTFOUND, "no queue %s", q.ID)
		}
		if err := st.w.WithContext(ctx).Where("queue_id = ?", q.ID).Delete(&queueMemberRow{}).Error; err != nil {
			return formatError(err)
		}
		return st.setMembers(ctx, q)
	})
}

func (s *Store) setMembers(ctx context.Context, q *service.Queue) error {
	if len(q.Members) == 0 {
		return nil
	}
	rows := make([]queueMemberRow, len(q.Members))
	for i, m := range q.Members {
		rows[i] = queueMemberRow{QueueID: q.ID, UserID: m}
	}
	return formatError(s.w.WithContext(ctx).Create(&rows).Error)
}

// FindQueue returns a queue with its members.
func (s *Store) FindQueue(ctx context.Context, id string) (*service.Queue, error) {
	var row queueRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no queue %s", id)
		}
		return nil, err
	}
	members, err := s.members(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return toQueue(&row, members[id])
}

// ListQueues returns every queue in routing order.
func (s *Store) ListQueues(ctx context.Context) ([]*service.Queue, error) {
	var rows []queueRow
	if err := s.r.WithContext(ctx).Order("position, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	members, err := s.members(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*service.Queue, 0, len(rows))
	for i := range rows {
		q, err := toQueue(&rows[i], members[rows[i].ID])
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

func (s *Store) members(ctx context.Context, queueIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(queueIDs) == 0 {
		return out, nil
	}
	var rows []queueMemberRow
	if err := s.r.WithContext(ctx).Where("queue_id IN ?", queueIDs).Order("user_id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range rows {
		out[r.QueueID] = append(out[r.QueueID], r.UserID)
	}
	return out, nil
}

// UserQueueIDs returns the queues a user belongs to.
func (s *Store) UserQueueIDs(ctx context.Context, userID string) ([]string, error) {
	var ids []string
	err := s.r.WithContext(ctx).Model(&queueMemberRow{}).Where("user_id = ?", userID).Order("queue_id").
		Pluck("queue_id", &ids).Error
	return ids, formatError(err)
}

// DeleteQueue deletes a queue and its members.
func (s *Store) DeleteQueue(ctx context.Context, id string) error {
	return s.WithTx(ctx, func(tx service.Store) error {
		st := tx.(*Store)
		if err := st.w.WithContext(ctx).Where("queue_id = ?", id).Delete(&queueMemberRow{}).Error; err != nil {
			return formatError(err)
		}
		res := st.w.WithContext(ctx).Where("id = ?", id).Delete(&queueRow{})
		if res.Error != nil {
			return formatError(res.Error)
		}
		if res.RowsAffected == 0 {
			return service.Errorf(service.ENOTFOUND, "no queue %s", id)
		}
		return nil
	})
}

// CountOpenQueueRequests counts a queue's requests not closed (requests_queue_due serves it).
func (s *Store) CountOpenQueueRequests(ctx context.Context, queueID string) (int, error) {
	var n int64
	err := s.w.WithContext(ctx).Model(&requestRow{}).Where("queue_id = ? AND closed_at IS NULL", queueID).Count(&n).Error
	return int(n), formatError(err)
}
