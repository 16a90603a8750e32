package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

type suppressionRow struct {
	SubjectHash string `gorm:"primaryKey"`
	Purpose     string `gorm:"primaryKey"`
	Since       time.Time
	RequestID   string
	Reference   string
}

func (suppressionRow) TableName() string { return "suppressions" }

// AddSuppression inserts a suppression unless one exists for the hash and purpose.
func (s *Store) AddSuppression(ctx context.Context, sup *service.Suppression) error {
	return formatError(s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&suppressionRow{
		SubjectHash: sup.SubjectHash, Purpose: sup.Purpose, Since: utc(sup.Since), RequestID: sup.RequestID,
		Reference: sup.Reference}).Error)
}

// FindSuppression returns a suppression.
func (s *Store) FindSuppression(ctx context.Context, hash, purpose string) (*service.Suppression, error) {
	var r suppressionRow
	if err := s.r.WithContext(ctx).Where("subject_hash = ? AND purpose = ?", hash, purpose).Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return &service.Suppression{SubjectHash: r.SubjectHash, Purpose: r.Purpose, Since: r.Since.UTC(),
		RequestID: r.RequestID, Reference: r.Reference}, nil
}

type exportRow struct {
	ID        string `gorm:"primaryKey"`
	RequestID string
	Name      string
	Size      int64
	SHA256    string `gorm:"column:sha256"`
	Content   []byte
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	CreatedBy string
	DeletedAt *time.Time
}

func (exportRow) TableName() string { return "exports" }

// CreateExport inserts an export with its content. Its name is sealed too: file names often name the person.
func (s *Store) CreateExport(ctx context.Context, e *service.Export) error {
	se, err := s.SealExport(e)
	if err != nil {
		return err
	}
	return s.CreateSealedExport(ctx, se)
}

// SealExport seals an export's name and content into the row CreateSealedExport inserts.
func (s *Store) SealExport(e *service.Export) (*service.Sealed[*service.Export], error) {
	name, err := s.seal(e.Name)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(e.Content)
	if err != nil {
		return nil, err
	}
	return &service.Sealed[*service.Export]{Value: e, Row: &exportRow{ID: e.ID, RequestID: e.RequestID, Name: name,
		Size: e.Size, SHA256: e.SHA256, Content: []byte(sealed), CreatedAt: utc(e.CreatedAt), CreatedBy: e.CreatedBy}}, nil
}

// CreateSealedExport inserts the row SealExport sealed.
func (s *Store) CreateSealedExport(ctx context.Context, se *service.Sealed[*service.Export]) error {
	row, ok := se.Row.(*exportRow)
	if !ok {
		return fmt.Errorf("export %s was not sealed by this store", se.Value.ID)
	}
	return formatError(s.w.WithContext(ctx).Create(row).Error)
}

// RequestExports returns a request's exports by name (sorted here: the stored names are sealed).
func (s *Store) RequestExports(ctx context.Context, requestID string, withContent bool) ([]*service.Export, error) {
	cols := []string{"id", "request_id", "name", "size", "sha256", "created_at", "created_by", "deleted_at"}
	if withContent {
		cols = append(cols, "content")
	}
	var rows []exportRow
	if err := s.r.WithContext(ctx).Select(cols).Where("request_id = ?", requestID).Order("id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Export, len(rows))
	for i, r := range rows {
		if withContent && len(r.Content) > 0 {
			plain, err := s.sealer.Open(string(r.Content))
			if err != nil {
				return nil, fmt.Errorf("export %s: %w", r.ID, err)
			}
			r.Content = plain
		}
		name, err := s.open(r.Name)
		if err != nil {
			return nil, fmt.Errorf("export %s: name: %w", r.ID, err)
		}
		out[i] = &service.Export{ID: r.ID, RequestID: r.RequestID, Name: name, Size: r.Size, SHA256: r.SHA256,
			Content: r.Content, CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy, DeletedAt: utcPtr(r.DeletedAt)}
	}
	slices.SortStableFunc(out, func(a, b *service.Export) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

type transmissionRow struct {
	ID            string `gorm:"primaryKey"`
	RequestID     string
	Endpoint      string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	DeliveredAt   *time.Time
}

func (transmissionRow) TableName() string { return "transmissions" }

// CreateTransmission inserts a transmission.
// The endpoint is sealed: a recipient's URL is the subject's choice and may carry the recipient's own token. So
// is the last error, which names the recipient's host.
func (s *Store) CreateTransmission(ctx context.Context, t *service.Transmission) error {
	endpoint, err := s.seal(t.Endpoint)
	if err != nil {
		return err
	}
	lastError, err := s.seal(t.LastError)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Create(&transmissionRow{ID: t.ID, RequestID: t.RequestID, Endpoint: endpoint,
		Status: string(t.Status), Attempts: t.Attempts, NextAttemptAt: utc(t.NextAttemptAt), LastError: lastError,
		CreatedAt: utc(t.CreatedAt), DeliveredAt: utcPtr(t.DeliveredAt)}).Error)
}

// DueTransmissions returns pending transmissions due at now.
func (s *Store) DueTransmissions(ctx context.Context, now time.Time, limit int) ([]*service.Transmission, error) {
	var rows []transmissionRow
	err := s.r.WithContext(ctx).Where("status = ? AND next_attempt_at <= ?", string(service.MailPending), utc(now)).
		Order("next_attempt_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Transmission, len(rows))
	for i, r := range rows {
		endpoint, err := s.open(r.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("transmission %s: %w", r.ID, err)
		}
		lastError, err := s.open(r.LastError)
		if err != nil {
			return nil, fmt.Errorf("transmission %s: %w", r.ID, err)
		}
		out[i] = &service.Transmission{ID: r.ID, RequestID: r.RequestID, Endpoint: endpoint,
			Status: service.MailStatus(r.Status), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(),
			LastError: lastError, CreatedAt: r.CreatedAt.UTC(), DeliveredAt: utcPtr(r.DeliveredAt)}
	}
	return out, nil
}

// SaveTransmission saves a transmission's delivery state.
func (s *Store) SaveTransmission(ctx context.Context, t *service.Transmission) error {
	lastError, err := s.seal(t.LastError)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Model(&transmissionRow{}).Where("id = ?", t.ID).Updates(map[string]any{
		"status": string(t.Status), "attempts": t.Attempts, "next_attempt_at": utc(t.NextAttemptAt),
		"last_error": lastError, "delivered_at": utcPtr(t.DeliveredAt)}).Error)
}

// ClosedUnredactedBefore returns closed requests past retention that still hold personal data.
func (s *Store) ClosedUnredactedBefore(ctx context.Context, t time.Time, limit int) ([]*service.Request, error) {
	var rows []requestRow
	err := s.r.WithContext(ctx).Select(summaryColumns).
		Where("closed_at IS NOT NULL AND redacted_at IS NULL AND closed_at < ?", utc(t)).
		Order("closed_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	return s.toRequests(rows)
}

// redactedSubject stands where a subject was: the request keeps its shape, without the person.
const redactedSubject = `{"name":"[redacted]"}`

// Redact removes a request's personal data: subject, details, reply, notes, the mails about it, the transmission
// endpoint and export contents.
func (s *Store) Redact(ctx context.Context, requestID string, t time.Time) error {
	db := s.w.WithContext(ctx)
	if err := db.Model(&requestRow{}).Where("id = ?", requestID).Updates(map[string]any{
		"subject": redactedSubject, "details": "{}", "reply_message": "", "correction_outcomes": "",
		"subject_index": "", "phone_index": "", "redacted_at": utc(t)}).Error; err != nil {
		return formatError(err)
	}
	if err := db.Model(&noteRow{}).Where("request_id = ?", requestID).Update("body", "[redacted]").Error; err != nil {
		return formatError(err)
	}
	if err := db.Model(&outboxRow{}).Where("request_id = ?", requestID).Updates(map[string]any{
		"to_address": "[redacted]", "body_text": "[redacted]", "body_html": ""}).Error; err != nil {
		return formatError(err)
	}
	if err := db.Model(&transmissionRow{}).Where("request_id = ?", requestID).Update("endpoint", "[redacted]").Error; err != nil {
		return formatError(err)
	}
	if err := redactSubjectMessages(ctx, s, requestID, t); err != nil {
		return err
	}
	return formatError(db.Model(&exportRow{}).Where("request_id = ? AND deleted_at IS NULL", requestID).
		Updates(map[string]any{"content": nil, "deleted_at": utc(t)}).Error)
}
