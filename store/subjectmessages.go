package store

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// subjectMessageRow is a question to a subject or their answer; the body is sealed.
type subjectMessageRow struct {
	ID        string `gorm:"primaryKey"`
	RequestID string
	Kind      string
	Body      string
	CreatedBy string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (subjectMessageRow) TableName() string { return "subject_messages" }

// subjectFileRow is a file a subject sent; the content is sealed.
type subjectFileRow struct {
	ID          string `gorm:"primaryKey"`
	RequestID   string
	MessageID   string
	Name        string
	ContentType string
	Size        int64
	SHA256      string `gorm:"column:sha256"`
	Content     []byte
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	DeletedAt   *time.Time
}

func (subjectFileRow) TableName() string { return "subject_files" }

// CreateSubjectMessage inserts a message with its files.
func (s *Store) CreateSubjectMessage(ctx context.Context, m *service.SubjectMessage) error {
	body, err := s.seal(m.Body)
	if err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	if err := db.Create(&subjectMessageRow{ID: m.ID, RequestID: m.RequestID, Kind: m.Kind, Body: body,
		CreatedBy: m.CreatedBy, CreatedAt: utc(m.CreatedAt)}).Error; err != nil {
		return formatError(err)
	}
	for _, f := range m.Files {
		content := f.Content
		if s.sealer != nil {
			sealed, err := s.sealer.Seal(f.Content)
			if err != nil {
				return err
			}
			content = []byte(sealed)
		}
		if err := db.Create(&subjectFileRow{ID: f.ID, RequestID: f.RequestID, MessageID: m.ID, Name: f.Name,
			ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Content: content,
			CreatedAt: utc(f.CreatedAt)}).Error; err != nil {
			return formatError(err)
		}
	}
	return nil
}

func (s *Store) toSubjectMessage(r *subjectMessageRow) (*service.SubjectMessage, error) {
	body, err := s.open(r.Body)
	if err != nil {
		return nil, err
	}
	return &service.SubjectMessage{ID: r.ID, RequestID: r.RequestID, Kind: r.Kind, Body: body,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}, nil
}

// LatestSubjectMessage returns the newest message of a kind on a request.
func (s *Store) LatestSubjectMessage(ctx context.Context, requestID, kind string) (*service.SubjectMessage, error) {
	var row subjectMessageRow
	if err := s.r.WithContext(ctx).Where("request_id = ? AND kind = ?", requestID, kind).
		Order("created_at DESC, id DESC").Take(&row).Error; err != nil {
		return nil, formatError(err)
	}
	return s.toSubjectMessage(&row)
}

// SubjectMessages returns a request's messages, oldest first, with their files' descriptions.
func (s *Store) SubjectMessages(ctx context.Context, requestID string) ([]*service.SubjectMessage, error) {
	var rows []subjectMessageRow
	db := s.r.WithContext(ctx)
	if err := db.Where("request_id = ?", requestID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	var files []subjectFileRow
	if err := db.Select("id", "request_id", "message_id", "name", "content_type", "size", "sha256", "created_at",
		"deleted_at").Where("request_id = ?", requestID).Order("created_at, id").Find(&files).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.SubjectMessage, len(rows))
	byID := map[string]*service.SubjectMessage{}
	for i := range rows {
		m, err := s.toSubjectMessage(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i], byID[m.ID] = m, m
	}
	for _, f := range files {
		if m := byID[f.MessageID]; m != nil {
			m.Files = append(m.Files, &service.SubjectFile{ID: f.ID, RequestID: f.RequestID, MessageID: f.MessageID,
				Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, CreatedAt: f.CreatedAt.UTC()})
		}
	}
	return out, nil
}

// SubjectFile returns one of a request's files with its content; ENOTFOUND also once retention removed it.
func (s *Store) SubjectFile(ctx context.Context, requestID, fileID string) (*service.SubjectFile, error) {
	var f subjectFileRow
	if err := s.r.WithContext(ctx).Where("id = ? AND request_id = ? AND deleted_at IS NULL", fileID, requestID).
		Take(&f).Error; err != nil {
		return nil, formatError(err)
	}
	content := f.Content
	if s.sealer != nil && len(content) > 0 {
		plain, err := s.sealer.Open(string(content))
		if err != nil {
			return nil, err
		}
		content = plain
	}
	return &service.SubjectFile{ID: f.ID, RequestID: f.RequestID, MessageID: f.MessageID, Name: f.Name,
		ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Content: content, CreatedAt: f.CreatedAt.UTC()}, nil
}

// redactSubjectMessages removes the bodies and file contents of a request's messages (retention).
func redactSubjectMessages(ctx context.Context, s *Store, requestID string, t time.Time) error {
	db := s.w.WithContext(ctx)
	if err := db.Model(&subjectMessageRow{}).Where("request_id = ?", requestID).Update("body", "[redacted]").Error; err != nil {
		return formatError(err)
	}
	return formatError(db.Model(&subjectFileRow{}).Where("request_id = ? AND deleted_at IS NULL", requestID).
		Updates(map[string]any{"content": nil, "name": "[redacted]", "deleted_at": utc(t)}).Error)
}
