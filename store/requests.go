package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// requestRow is a request as the requests table holds it. Subject and details are JSON documents: the
// personal data of a request, kept in two columns that nothing filters on.
type requestRow struct {
	ID                  string `gorm:"primaryKey"`
	Reference           string
	Type                string
	Status              string
	Subject             string
	Details             string
	Channel             string
	Policy              string
	ExternalID          string
	ReceivedAt          time.Time
	DueDate             string
	DueAt               time.Time
	DueProvisional      bool
	ClockStart          string
	ClockUsed           int
	ClockBudget         int
	ClockPaused         *string
	QueueID             *string
	AssigneeID          *string
	EscalationLevel     string
	RepliedAt           *time.Time
	ClosedAt            *time.Time
	Outcome             string
	DenialReason        string
	ReplyMessage        string
	DuplicateOf         *string
	PossibleDuplicateOf *string
	SubjectIndex        string
	PhoneIndex          *string // NULL until indexed: rows older than migration 00016 (BackfillPhoneIndex)
	VerifiedAt          *time.Time
	Locale              string
	LinkedRequestID     *string
	CorrectionOutcomes  string // JSON
	RedactedAt          *time.Time
	CreatedBy           string
	CreatedAt           time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt           time.Time `gorm:"autoUpdateTime:false"`
}

func (requestRow) TableName() string { return "requests" }

// summaryColumns are the columns of a listing: everything but the personal data; scanSummaries reads them in
// this order.
var summaryColumns = []string{"id", "reference", "type", "status", "channel", "policy", "external_id",
	"received_at", "due_date", "due_at", "due_provisional", "clock_start", "clock_used", "clock_budget",
	"clock_paused", "queue_id", "assignee_id", "escalation_level", "replied_at", "closed_at", "outcome", "denial_reason",
	"duplicate_of", "possible_duplicate_of", "verified_at", "locale", "linked_request_id", "redacted_at", "created_by",
	"created_at", "updated_at"}

func (s *Store) toRequestRow(r *service.Request) (*requestRow, error) {
	subject, err := json.Marshal(r.Subject)
	if err != nil {
		return nil, fmt.Errorf("encode subject: %w", err)
	}
	details, err := json.Marshal(r.Details)
	if err != nil {
		return nil, fmt.Errorf("encode details: %w", err)
	}
	sealedSubject, err := s.seal(string(subject))
	if err != nil {
		return nil, err
	}
	sealedDetails, err := s.seal(string(details))
	if err != nil {
		return nil, err
	}
	reply, err := s.seal(r.ReplyMessage)
	if err != nil {
		return nil, err
	}
	// The external ID is the caller's own reference of the person (a CRM or ticket number): sealed.
	externalID, err := s.seal(r.ExternalID)
	if err != nil {
		return nil, err
	}
	row := &requestRow{
		ID: r.ID, Reference: r.Reference, Type: string(r.Type), Status: string(r.Status),
		Subject: sealedSubject, Details: sealedDetails, Channel: string(r.Channel), Policy: r.Policy,
		ExternalID: externalID, ReceivedAt: utc(r.ReceivedAt), DueDate: r.Due.Date.String(),
		DueAt: utc(r.Due.At), DueProvisional: r.Due.Provisional, ClockStart: r.Clock.Start.String(),
		ClockUsed: r.Clock.Used, ClockBudget: r.Clock.Budget, QueueID: nullable(r.QueueID),
		AssigneeID: nullable(r.AssigneeID), EscalationLevel: r.EscalationLevel, RepliedAt: utcPtr(r.RepliedAt),
		ClosedAt: utcPtr(r.ClosedAt), Outcome: string(r.Outcome), DenialReason: string(r.DenialReason), ReplyMessage: reply,
		DuplicateOf: nullable(r.DuplicateOf), PossibleDuplicateOf: nullable(r.PossibleDuplicateOf),
		SubjectIndex: r.SubjectIndex, PhoneIndex: &r.PhoneIndex, VerifiedAt: utcPtr(r.VerifiedAt), Locale: r.Locale,
		LinkedRequestID: nullable(r.LinkedRequestID), RedactedAt: utcPtr(r.RedactedAt),
		CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
	if r.Clock.Paused != nil {
		p := r.Clock.Paused.String()
		row.ClockPaused = &p
	}
	if len(r.CorrectionOutcomes) > 0 {
		b, err := json.Marshal(r.CorrectionOutcomes)
		if err != nil {
			return nil, fmt.Errorf("encode correction outcomes: %w", err)
		}
		if row.CorrectionOutcomes, err = s.seal(string(b)); err != nil {
			return nil, err
		}
	}
	return row, nil
}

func (s *Store) toRequest(row *requestRow) (*service.Request, error) {
	r := &service.Request{
		ID: row.ID, Reference: row.Reference, Type: service.RequestType(row.Type),
		Status: service.Status(row.Status), Channel: service.Channel(row.Channel), Policy: row.Policy,
		ReceivedAt: row.ReceivedAt.UTC(),
		Due:        service.Due{At: row.DueAt.UTC(), Provisional: row.DueProvisional},
		Clock:      service.Clock{Used: row.ClockUsed, Budget: row.ClockBudget},
		QueueID:    deref(row.QueueID), AssigneeID: deref(row.AssigneeID), EscalationLevel: row.EscalationLevel,
		ClosedAt: utcPtr(row.ClosedAt), Outcome: service.Status(row.Outcome), DenialReason: service.DenialReason(row.DenialReason),
		DuplicateOf:         deref(row.DuplicateOf),
		PossibleDuplicateOf: deref(row.PossibleDuplicateOf), SubjectIndex: row.SubjectIndex,
		PhoneIndex: deref(row.PhoneIndex),
		VerifiedAt: utcPtr(row.VerifiedAt), Locale: row.Locale, LinkedRequestID: deref(row.LinkedRequestID),
		RedactedAt: utcPtr(row.RedactedAt), CreatedBy: row.CreatedBy,
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	if row.RepliedAt != nil {
		t := row.RepliedAt.UTC()
		r.RepliedAt = &t
	}
	var err error
	if r.Due.Date, err = calendar.ParseDate(row.DueDate); err != nil {
		return nil, fmt.Errorf("request %s: due_date: %w", row.ID, err)
	}
	if r.Clock.Start, err = calendar.ParseDate(row.ClockStart); err != nil {
		return nil, fmt.Errorf("request %s: clock_start: %w", row.ID, err)
	}
	if row.ClockPaused != nil {
		p, err := calendar.ParseDate(*row.ClockPaused)
		if err != nil {
			return nil, fmt.Errorf("request %s: clock_paused: %w", row.ID, err)
		}
		r.Clock.Paused = &p
	}
	if r.ExternalID, err = s.open(row.ExternalID); err != nil {
		return nil, fmt.Errorf("request %s: external_id: %w", row.ID, err)
	}
	if r.ReplyMessage, err = s.open(row.ReplyMessage); err != nil {
		return nil, fmt.Errorf("request %s: reply: %w", row.ID, err)
	}
	outcomes, err := s.open(row.CorrectionOutcomes)
	if err != nil {
		return nil, fmt.Errorf("request %s: correction outcomes: %w", row.ID, err)
	}
	if outcomes != "" {
		if err := json.Unmarshal([]byte(outcomes), &r.CorrectionOutcomes); err != nil {
			return nil, fmt.Errorf("request %s: correction outcomes: %w", row.ID, err)
		}
	}
	subject, err := s.open(row.Subject)
	if err != nil {
		return nil, fmt.Errorf("request %s: subject: %w", row.ID, err)
	}
	if subject != "" {
		if err := json.Unmarshal([]byte(subject), &r.Subject); err != nil {
			return nil, fmt.Errorf("request %s: subject: %w", row.ID, err)
		}
	}
	details, err := s.open(row.Details)
	if err != nil {
		return nil, fmt.Errorf("request %s: details: %w", row.ID, err)
	}
	if details != "" {
		if err := json.Unmarshal([]byte(details), &r.Details); err != nil {
			return nil, fmt.Errorf("request %s: details: %w", row.ID, err)
		}
	}
	return r, nil
}

// NextReferenceSeq increments the year's counter in the transaction; concurrent filings queue on its row.
func (s *Store) NextReferenceSeq(ctx context.Context, year int) (int64, error) {
	var last int64
	err := s.w.WithContext(ctx).Raw(`INSERT INTO reference_counters (year, last) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + 1 RETURNING last`, year).Scan(&last).Error
	return last, formatError(err)
}

// CreateRequest inserts a request.
func (s *Store) CreateRequest(ctx context.Context, r *service.Request) error {
	row, err := s.toRequestRow(r)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Create(row).Error)
}

// SealRequest seals r's personal data into the row CreateFiling inserts.
func (s *Store) SealRequest(r *service.Request) (*service.Sealed[*service.Request], error) {
	row, err := s.toRequestRow(r)
	if err != nil {
		return nil, err
	}
	return &service.Sealed[*service.Request]{Value: r, Row: row}, nil
}

// UpdateRequestParts writes the columns of the named parts and updated_at, nothing else: the subject, details
// and reply stay as they are stored, neither opened nor sealed again.
func (s *Store) UpdateRequestParts(ctx context.Context, r *service.Request, parts ...service.RequestPart) error {
	cols := map[string]any{"updated_at": utc(r.UpdatedAt)}
	for _, p := range parts {
		switch p {
		case service.PartStatus:
			cols["status"], cols["closed_at"] = string(r.Status), utcPtr(r.ClosedAt)
		case service.PartClock:
			var paused *string
			if r.Clock.Paused != nil {
				p := r.Clock.Paused.String()
				paused = &p
			}
			cols["clock_start"], cols["clock_used"], cols["clock_budget"], cols["clock_paused"] =
				r.Clock.Start.String(), r.Clock.Used, r.Clock.Budget, paused
			cols["due_date"], cols["due_at"], cols["due_provisional"] = r.Due.Date.String(), utc(r.Due.At), r.Due.Provisional
		case service.PartAssignee:
			cols["assignee_id"] = nullable(r.AssigneeID)
		case service.PartVerified:
			cols["verified_at"] = utcPtr(r.VerifiedAt)
		case service.PartQueue:
			cols["queue_id"], cols["assignee_id"] = nullable(r.QueueID), nullable(r.AssigneeID)
		case service.PartReply:
			reply, err := s.seal(r.ReplyMessage)
			if err != nil {
				return err
			}
			corrections := ""
			if len(r.CorrectionOutcomes) > 0 {
				b, err := json.Marshal(r.CorrectionOutcomes)
				if err != nil {
					return fmt.Errorf("encode correction outcomes: %w", err)
				}
				if corrections, err = s.seal(string(b)); err != nil {
					return err
				}
			}
			cols["outcome"], cols["denial_reason"], cols["reply_message"] = string(r.Outcome), string(r.DenialReason), reply
			cols["correction_outcomes"], cols["replied_at"] = corrections, utcPtr(r.RepliedAt)
		case service.PartMerge:
			cols["duplicate_of"] = nullable(r.DuplicateOf)
		case service.PartLink:
			cols["linked_request_id"] = nullable(r.LinkedRequestID)
		default:
			return fmt.Errorf("update request %s: unknown part %q", r.ID, p)
		}
	}
	res := s.w.WithContext(ctx).Model(&requestRow{}).Where("id = ?", r.ID).Updates(cols)
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no request %s", r.ID)
	}
	return nil
}

// RaiseEscalationLevels raises each request of raises whose row still stands as seen, in three statements
// whatever their number: one read of the rows (locked on PostgreSQL), compared in Go, and one UPDATE ... WHERE id
// IN (...) per level. Only escalation_level changes: no other column, no index entry but the row's.
func (s *Store) RaiseEscalationLevels(ctx context.Context, raises []service.EscalationRaise) ([]bool, error) {
	if !s.inTx {
		return nil, fmt.Errorf("RaiseEscalationLevels outside a transaction")
	}
	raised := make([]bool, len(raises))
	for start := 0; start < len(raises); start += maxInList {
		part := raises[start:min(start+maxInList, len(raises))]
		if err := s.raiseEscalationLevels(ctx, part, raised[start:]); err != nil {
			return nil, err
		}
	}
	return raised, nil
}

// maxInList bounds the IDs of one IN list, well under both databases' limits on bound parameters.
const maxInList = 1000

// escalationGuard is what RaiseEscalationLevels compares with the request as the escalation saw it.
type escalationGuard struct {
	ID              string
	EscalationLevel string
	ClosedAt        *time.Time
	ClockPaused     *string
	DueAt           time.Time
	QueueID         *string
	AssigneeID      *string
}

func (s *Store) raiseEscalationLevels(ctx context.Context, raises []service.EscalationRaise, raised []bool) error {
	ids := make([]string, len(raises))
	for i, r := range raises {
		ids[i] = r.Seen.ID
	}
	q := s.w.WithContext(ctx).Model(&requestRow{}).
		Select("id, escalation_level, closed_at, clock_paused, due_at, queue_id, assignee_id").Where("id IN ?", ids)
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []escalationGuard
	if err := q.Find(&rows).Error; err != nil {
		return formatError(err)
	}
	now := make(map[string]*escalationGuard, len(rows))
	for i := range rows {
		now[rows[i].ID] = &rows[i]
	}
	byLevel := map[string][]string{}
	var levels []string
	for i, r := range raises {
		g := now[r.Seen.ID]
		if g == nil || g.ClosedAt != nil || g.ClockPaused != nil || g.EscalationLevel != r.Seen.EscalationLevel ||
			!g.DueAt.Equal(r.Seen.Due.At) || deref(g.QueueID) != r.Seen.QueueID || deref(g.AssigneeID) != r.Seen.AssigneeID {
			continue
		}
		delete(now, r.Seen.ID) // a request named twice is raised once
		if byLevel[r.Level] == nil {
			levels = append(levels, r.Level)
		}
		byLevel[r.Level] = append(byLevel[r.Level], r.Seen.ID)
		raised[i] = true
	}
	for _, level := range levels {
		res := s.w.WithContext(ctx).Model(&requestRow{}).Where("id IN ?", byLevel[level]).Update("escalation_level", level)
		if res.Error != nil {
			return formatError(res.Error)
		}
	}
	return nil
}

// FindRequest returns a whole request.
func (s *Store) FindRequest(ctx context.Context, id string) (*service.Request, error) {
	var row requestRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no request %s", id)
		}
		return nil, err
	}
	return s.toRequest(&row)
}

// ListRequests is a keyset scan of the (due_at, id) order under the filter's indexed columns.
func (s *Store) ListRequests(ctx context.Context, f service.RequestFilter) ([]*service.Request, error) {
	q := s.r.WithContext(ctx).Model(&requestRow{}).Select(summaryColumns)
	q = applyRequestFilter(q, f)
	if f.After != nil {
		// A row-value comparison lets both databases start the index range scan at the cursor.
		q = q.Where("(due_at, id) > (?, ?)", utc(f.After.DueAt), f.After.ID)
	}
	rows, err := scanSummaries(q.Order(clause.OrderBy{Columns: []clause.OrderByColumn{{Column: clause.Column{Name: "due_at"}},
		{Column: clause.Column{Name: "id"}}}}).Limit(f.Limit))
	if err != nil {
		return nil, err
	}
	return s.toRequests(rows)
}

// scanSummaries runs q, which selects summaryColumns, and scans its rows field by field: a listing's page or the
// sweep's candidates, read without GORM's reflection over every column of every row.
func scanSummaries(q *gorm.DB) ([]requestRow, error) {
	rs, err := q.Rows()
	if err != nil {
		return nil, formatError(err)
	}
	defer rs.Close()
	var out []requestRow
	for rs.Next() {
		var r requestRow
		if err := rs.Scan(&r.ID, &r.Reference, &r.Type, &r.Status, &r.Channel, &r.Policy, &r.ExternalID,
			&r.ReceivedAt, &r.DueDate, &r.DueAt, &r.DueProvisional, &r.ClockStart, &r.ClockUsed, &r.ClockBudget,
			&r.ClockPaused, &r.QueueID, &r.AssigneeID, &r.EscalationLevel, &r.RepliedAt, &r.ClosedAt, &r.Outcome,
			&r.DenialReason, &r.DuplicateOf, &r.PossibleDuplicateOf, &r.VerifiedAt, &r.Locale, &r.LinkedRequestID,
			&r.RedactedAt, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, formatError(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, formatError(err)
	}
	return out, nil
}

func applyRequestFilter(q *gorm.DB, f service.RequestFilter) *gorm.DB {
	if f.Status != nil {
		q = q.Where("status = ?", string(*f.Status))
	}
	if f.NotClosed {
		q = q.Where("closed_at IS NULL")
	}
	if f.Reference != nil {
		q = q.Where("reference = ?", *f.Reference)
	}
	if f.SubjectIndex != "" {
		q = q.Where("subject_index = ?", f.SubjectIndex)
	}
	if f.PhoneIndex != "" {
		q = q.Where("phone_index = ?", f.PhoneIndex)
	}
	if f.Type != nil {
		q = q.Where("type = ?", string(*f.Type))
	}
	if f.QueueID != nil {
		q = q.Where("queue_id = ?", *f.QueueID)
	}
	if f.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *f.AssigneeID)
	}
	if f.Unassigned {
		q = q.Where("assignee_id IS NULL")
	}
	if f.OverdueAt != nil {
		q = q.Where("closed_at IS NULL AND due_at < ?", utc(*f.OverdueAt))
	}
	if f.DueBefore != nil {
		q = q.Where("due_date < ?", f.DueBefore.String())
	}
	if f.VisibleTo != nil {
		q = q.Where(visibleToOfficer, *f.VisibleTo)
	}
	return q
}

// visibleToOfficer restricts a query of requests to the queues of the officer given as its argument.
const visibleToOfficer = "queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = ?)"

// OpenDuplicateID finds the oldest request not closed of a subject and type. Every filing looks, so it reads
// the index requests_subject in its order and selects the ID alone: a subject has no other request as a rule,
// and the look-up then reads one index page; each request of the subject and type, closed or not, costs a row
// read (closed_at is not in the index).
func (s *Store) OpenDuplicateID(ctx context.Context, subjectIndex string, t service.RequestType, exceptID string) (string, error) {
	var id string
	err := s.r.WithContext(ctx).Raw(
		`SELECT id FROM requests WHERE subject_index = ? AND type = ? AND closed_at IS NULL AND id <> ?
		 ORDER BY received_at, id LIMIT 1`, subjectIndex, string(t), exceptID).Row().Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", service.Errorf(service.ENOTFOUND, "no open request of the subject and type")
	} else if err != nil {
		return "", formatError(err)
	}
	return id, nil
}

// ProvisionalRequests returns the requests whose provisional due date a newly loaded year may change.
func (s *Store) ProvisionalRequests(ctx context.Context) ([]*service.Request, error) {
	var rows []requestRow
	err := s.r.WithContext(ctx).Where("due_provisional AND closed_at IS NULL").Order("id").Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	return s.toRequests(rows)
}

func (s *Store) toRequests(rows []requestRow) ([]*service.Request, error) {
	out := make([]*service.Request, 0, len(rows))
	for i := range rows {
		r, err := s.toRequest(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// idempotencyRow remembers a caller's Idempotency-Key.
type idempotencyRow struct {
	Scope       string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	Fingerprint string
	RequestID   string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

// FindIdempotencyKey returns a caller's key record.
func (s *Store) FindIdempotencyKey(ctx context.Context, scope, key string) (*service.IdempotencyRecord, error) {
	var row idempotencyRow
	if err := s.r.WithContext(ctx).Where("scope = ? AND key = ?", scope, key).Take(&row).Error; err != nil {
		return nil, formatError(err)
	}
	return &service.IdempotencyRecord{Scope: row.Scope, Key: row.Key, Fingerprint: row.Fingerprint,
		RequestID: row.RequestID, CreatedAt: row.CreatedAt.UTC()}, nil
}

// CreateIdempotencyKey inserts a key record; a concurrent insert of the same key is ECONFLICT.
func (s *Store) CreateIdempotencyKey(ctx context.Context, rec *service.IdempotencyRecord) error {
	return formatError(s.w.WithContext(ctx).Create(toIdempotencyRow(rec)).Error)
}

func toIdempotencyRow(rec *service.IdempotencyRecord) *idempotencyRow {
	return &idempotencyRow{Scope: rec.Scope, Key: rec.Key, Fingerprint: rec.Fingerprint, RequestID: rec.RequestID,
		CreatedAt: utc(rec.CreatedAt)}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RecentSubjectFilings returns when a subject's requests filed since t were filed, newest first, at most n.
func (s *Store) RecentSubjectFilings(ctx context.Context, subjectIndex string, t time.Time, n int) ([]time.Time, error) {
	var rows []requestRow
	err := s.r.WithContext(ctx).Model(&requestRow{}).Select("created_at").
		Where("subject_index = ? AND created_at >= ?", subjectIndex, utc(t)).Order("created_at DESC").Limit(n).
		Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]time.Time, len(rows))
	for i, row := range rows {
		out[i] = row.CreatedAt.UTC()
	}
	return out, nil
}

// CountRequestsByTypeStatus counts requests by type and status.
func (s *Store) CountRequestsByTypeStatus(ctx context.Context) (map[service.RequestType]map[service.Status]int, error) {
	var rows []struct {
		Type, Status string
		N            int
	}
	if err := s.r.WithContext(ctx).Model(&requestRow{}).Select("type, status, COUNT(*) AS n").Group("type, status").
		Scan(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := map[service.RequestType]map[service.Status]int{}
	for _, r := range rows {
		t := service.RequestType(r.Type)
		if out[t] == nil {
			out[t] = map[service.Status]int{}
		}
		out[t][service.Status(r.Status)] = r.N
	}
	return out, nil
}
