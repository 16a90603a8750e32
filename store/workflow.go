package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

type noteRow struct {
	ID        string `gorm:"primaryKey"`
	RequestID string
	AuthorID  string
	Body      string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (noteRow) TableName() string { return "request_notes" }

// CreateNote inserts a note.
func (s *Store) CreateNote(ctx context.Context, n *service.Note) error {
	body, err := s.seal(n.Body)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Create(&noteRow{ID: n.ID, RequestID: n.RequestID, AuthorID: n.AuthorID,
		Body: body, CreatedAt: utc(n.CreatedAt)}).Error)
}

// RequestNotes returns a request's notes, oldest first.
func (s *Store) RequestNotes(ctx context.Context, requestID string) ([]*service.Note, error) {
	var rows []noteRow
	if err := s.r.WithContext(ctx).Where("request_id = ?", requestID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Note, len(rows))
	for i, r := range rows {
		body, err := s.open(r.Body)
		if err != nil {
			return nil, fmt.Errorf("note %s: %w", r.ID, err)
		}
		out[i] = &service.Note{ID: r.ID, RequestID: r.RequestID, AuthorID: r.AuthorID, Body: body, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

type extensionRow struct {
	ID        string `gorm:"primaryKey"`
	RequestID string
	Count     int
	Unit      string
	Reason    string
	ActorID   string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (extensionRow) TableName() string { return "request_extensions" }

// CreateExtension inserts an extension.
func (s *Store) CreateExtension(ctx context.Context, e *service.Extension) error {
	return formatError(s.w.WithContext(ctx).Create(&extensionRow{ID: e.ID, RequestID: e.RequestID, Count: e.Count,
		Unit: string(e.Unit), Reason: e.Reason, ActorID: e.ActorID, CreatedAt: utc(e.CreatedAt)}).Error)
}

// RequestExtensions returns a request's extensions, oldest first.
func (s *Store) RequestExtensions(ctx context.Context, requestID string) ([]*service.Extension, error) {
	var rows []extensionRow
	if err := s.r.WithContext(ctx).Where("request_id = ?", requestID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Extension, len(rows))
	for i, r := range rows {
		out[i] = &service.Extension{ID: r.ID, RequestID: r.RequestID, Count: r.Count, Unit: service.PeriodUnit(r.Unit),
			Reason: r.Reason, ActorID: r.ActorID, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

type subjectLinkRow struct {
	TokenHash string `gorm:"primaryKey"`
	RequestID string
	Purpose   string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (subjectLinkRow) TableName() string { return "subject_links" }

func toSubjectLinkRow(l *service.SubjectLink) *subjectLinkRow {
	return &subjectLinkRow{TokenHash: l.TokenHash, RequestID: l.RequestID, Purpose: l.Purpose,
		ExpiresAt: utc(l.ExpiresAt), UsedAt: utcPtr(l.UsedAt), CreatedAt: utc(l.CreatedAt)}
}

// CreateSubjectLink inserts a link.
func (s *Store) CreateSubjectLink(ctx context.Context, l *service.SubjectLink) error {
	return formatError(s.w.WithContext(ctx).Create(toSubjectLinkRow(l)).Error)
}

// CreateSubjectLinks inserts links with one multi-row statement.
func (s *Store) CreateSubjectLinks(ctx context.Context, links []*service.SubjectLink) error {
	if len(links) == 0 {
		return nil
	}
	rows := make([]subjectLinkRow, len(links))
	for i, l := range links {
		rows[i] = *toSubjectLinkRow(l)
	}
	return formatError(s.w.WithContext(ctx).Create(&rows).Error)
}

// FindSubjectLink returns a link by its token's hash.
func (s *Store) FindSubjectLink(ctx context.Context, hash string) (*service.SubjectLink, error) {
	var r subjectLinkRow
	if err := s.r.WithContext(ctx).Where("token_hash = ?", hash).Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	return &service.SubjectLink{TokenHash: r.TokenHash, RequestID: r.RequestID, Purpose: r.Purpose,
		ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt), CreatedAt: r.CreatedAt.UTC()}, nil
}

// UseSubjectLink spends a link once: of two concurrent uses, one wins and the other is ECONFLICT.
func (s *Store) UseSubjectLink(ctx context.Context, hash string, t time.Time) error {
	res := s.w.WithContext(ctx).Model(&subjectLinkRow{}).Where("token_hash = ? AND used_at IS NULL", hash).
		Update("used_at", utc(t))
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ECONFLICT, "this link was used already")
	}
	return nil
}

// UnverifiedReceivedBefore returns unverified requests received before t.
func (s *Store) UnverifiedReceivedBefore(ctx context.Context, t time.Time, limit int) ([]*service.Request, error) {
	var rows []requestRow
	err := s.r.WithContext(ctx).Select(summaryColumns).Where("status = ? AND received_at < ?",
		string(service.StatusUnverified), utc(t)).Order("received_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	return s.toRequests(rows)
}

type outboxRow struct {
	ID            string `gorm:"primaryKey"`
	DedupeKey     string
	Kind          string
	RequestID     *string
	ToAddress     string
	Subject       string
	BodyText      string
	BodyHTML      string `gorm:"column:body_html"`
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	SentAt        *time.Time
	// Reference replaces service.ReferenceMark in the subject and text when the mail is read (toMails).
	Reference string
}

func (outboxRow) TableName() string { return "outbox" }

// EnqueueMail inserts a mail unless one with its dedupe key exists.
func (s *Store) EnqueueMail(ctx context.Context, m *service.Mail) (bool, error) {
	n, err := s.EnqueueMails(ctx, []*service.Mail{m})
	return n == 1, err
}

// EnqueueMails inserts every mail whose dedupe key is not taken yet, up to mailsPerInsert in one statement,
// and answers how many it inserted.
func (s *Store) EnqueueMails(ctx context.Context, ms []*service.Mail) (int, error) {
	inserted := 0
	for start := 0; start < len(ms); start += mailsPerInsert {
		part := ms[start:min(start+mailsPerInsert, len(ms))]
		rows := make([]*outboxRow, len(part))
		for i, m := range part {
			var err error
			if rows[i], err = s.toOutboxRow(m); err != nil {
				return inserted, err
			}
		}
		n, err := s.insertOutboxRows(ctx, rows)
		inserted += n
		if err != nil {
			return inserted, err
		}
	}
	return inserted, nil
}

// SealMail seals m's recipient and text ahead of the transaction that enqueues it.
func (s *Store) SealMail(m *service.Mail) (*service.Sealed[*service.Mail], error) {
	row, err := s.toOutboxRow(m)
	if err != nil {
		return nil, err
	}
	return &service.Sealed[*service.Mail]{Value: m, Row: row}, nil
}

// insertOutboxRows inserts rows in one statement, skipping those whose dedupe key is taken, and answers how
// many it inserted.
func (s *Store) insertOutboxRows(ctx context.Context, rows []*outboxRow) (int, error) {
	var sql strings.Builder
	sql.WriteString(`INSERT INTO outbox (id, dedupe_key, kind, request_id, to_address, subject, body_text,
		body_html, status, attempts, next_attempt_at, last_error, created_at, sent_at, reference) VALUES `)
	args := make([]any, 0, len(rows)*15)
	for i, row := range rows {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, row.ID, row.DedupeKey, row.Kind, row.RequestID, row.ToAddress, row.Subject,
			row.BodyText, row.BodyHTML, row.Status, row.Attempts, row.NextAttemptAt, row.LastError, row.CreatedAt,
			row.SentAt, row.Reference)
	}
	sql.WriteString(" ON CONFLICT (dedupe_key) DO NOTHING")
	res := s.w.WithContext(ctx).Exec(sql.String(), args...)
	if res.Error != nil {
		return 0, formatError(res.Error)
	}
	return int(res.RowsAffected), nil
}

// mailsPerInsert bounds one INSERT of EnqueueMails (14 parameters a mail). Measured on the sweep: 500 a statement
// held twice the heap of 100 on PostgreSQL (the driver builds each statement's message whole) for no less CPU.
const mailsPerInsert = 100

// toOutboxRow seals m's recipient, bodies and last error into its row.
func (s *Store) toOutboxRow(m *service.Mail) (*outboxRow, error) {
	var sealed [4]string
	for i, plain := range []string{m.To, m.Text, m.HTML, m.LastError} {
		var err error
		if sealed[i], err = s.seal(plain); err != nil {
			return nil, err
		}
	}
	return &outboxRow{ID: m.ID, DedupeKey: m.DedupeKey, Kind: m.Kind, RequestID: nullable(m.RequestID),
		ToAddress: sealed[0], Subject: m.Subject, BodyText: sealed[1], BodyHTML: sealed[2], Status: string(m.Status),
		Attempts: m.Attempts, NextAttemptAt: utc(m.NextAttemptAt), LastError: sealed[3],
		CreatedAt: utc(m.CreatedAt), SentAt: utcPtr(m.SentAt)}, nil
}

// ListMail returns mails newest first.
func (s *Store) ListMail(ctx context.Context, status service.MailStatus, limit int) ([]*service.Mail, error) {
	q := s.r.WithContext(ctx).Order("created_at DESC, id DESC").Limit(limit)
	if status != "" {
		q = q.Where("status = ?", string(status))
	}
	var rows []outboxRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	return s.toMails(rows)
}
