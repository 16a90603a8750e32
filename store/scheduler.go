package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// EscalationCandidates reads open, running requests near or past their due time through the partial index
// requests_open_due, whose size is the number of open requests, not of all requests.
func (s *Store) EscalationCandidates(ctx context.Context, dueBefore time.Time, after *service.RequestCursor, limit int) ([]*service.Request, error) {
	q := s.r.WithContext(ctx).Select(summaryColumns).
		Where("closed_at IS NULL AND clock_paused IS NULL AND escalation_level <> ? AND due_at < ?", service.LevelDPO, utc(dueBefore))
	if after != nil {
		q = q.Where("(due_at, id) > (?, ?)", utc(after.DueAt), after.ID)
	}
	rows, err := scanSummaries(q.Model(&requestRow{}).Order("due_at, id").Limit(limit))
	if err != nil {
		return nil, err
	}
	return s.toRequests(rows)
}

// DueMail returns pending mail due for an attempt.
func (s *Store) DueMail(ctx context.Context, now time.Time, limit int) ([]*service.Mail, error) {
	var rows []outboxRow
	err := s.r.WithContext(ctx).Where("status = ? AND next_attempt_at <= ?", string(service.MailPending), utc(now)).
		Order("next_attempt_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	return s.toMails(rows)
}

// SaveMailDelivery saves the delivery state of a mail.
// The last error is sealed: a server's refusal may quote the recipient or other personal data.
func (s *Store) SaveMailDelivery(ctx context.Context, m *service.Mail) error {
	lastError, err := s.seal(m.LastError)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", m.ID).Updates(map[string]any{
		"status": string(m.Status), "attempts": m.Attempts, "next_attempt_at": utc(m.NextAttemptAt),
		"last_error": lastError, "sent_at": utcPtr(m.SentAt),
	})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no mail %s", m.ID)
	}
	return nil
}

// FindMail returns one mail.
func (s *Store) FindMail(ctx context.Context, id string) (*service.Mail, error) {
	var row outboxRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no mail %s", id)
		}
		return nil, err
	}
	mails, err := s.toMails([]outboxRow{row})
	if err != nil {
		return nil, err
	}
	return mails[0], nil
}

// CountMail counts the outbox by status.
func (s *Store) CountMail(ctx context.Context) (map[service.MailStatus]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.r.WithContext(ctx).Model(&outboxRow{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := map[service.MailStatus]int{}
	for _, r := range rows {
		out[service.MailStatus(r.Status)] = r.N
	}
	return out, nil
}

func (s *Store) toMails(rows []outboxRow) ([]*service.Mail, error) {
	out := make([]*service.Mail, len(rows))
	for i, r := range rows {
		m := &service.Mail{ID: r.ID, DedupeKey: r.DedupeKey, Kind: r.Kind, RequestID: deref(r.RequestID),
			Subject: r.Subject, Status: service.MailStatus(r.Status), Attempts: r.Attempts,
			NextAttemptAt: r.NextAttemptAt.UTC(), CreatedAt: r.CreatedAt.UTC(), SentAt: utcPtr(r.SentAt)}
		var err error
		if m.To, err = s.open(r.ToAddress); err != nil {
			return nil, fmt.Errorf("mail %s: %w", r.ID, err)
		}
		if m.Text, err = s.open(r.BodyText); err != nil {
			return nil, fmt.Errorf("mail %s: %w", r.ID, err)
		}
		if r.Reference != "" {
			m.Subject = strings.ReplaceAll(m.Subject, service.ReferenceMark, r.Reference)
			m.Text = strings.ReplaceAll(m.Text, service.ReferenceMark, r.Reference)
		}
		if m.HTML, err = s.open(r.BodyHTML); err != nil {
			return nil, fmt.Errorf("mail %s: %w", r.ID, err)
		}
		if m.LastError, err = s.open(r.LastError); err != nil {
			return nil, fmt.Errorf("mail %s: %w", r.ID, err)
		}
		out[i] = m
	}
	return out, nil
}

type leaseRow struct {
	Name      string `gorm:"primaryKey"`
	Holder    string
	ExpiresAt time.Time
}

func (leaseRow) TableName() string { return "job_leases" }

// AcquireLease takes a lease in one statement: insert it, or take it over when it expired or is the holder's.
// Concurrent callers serialise on the row, so exactly one wins.
func (s *Store) AcquireLease(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	res := s.w.WithContext(ctx).Exec(`INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE job_leases.expires_at <= ? OR job_leases.holder = ?`, job, holder, utc(until), utc(now), holder)
	if res.Error != nil {
		return false, formatError(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseLease ends a lease early, if the holder still has it.
func (s *Store) ReleaseLease(ctx context.Context, job, holder string, now time.Time) error {
	return formatError(s.w.WithContext(ctx).Model(&leaseRow{}).Where("name = ? AND holder = ?", job, holder).
		Update("expires_at", utc(now)).Error)
}

type jobRunRow struct {
	ID         string `gorm:"primaryKey"`
	Job        string
	Holder     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    string
	Detail     string
	Error      string
}

func (jobRunRow) TableName() string { return "job_runs" }

func toJobRunRow(r *service.JobRun) *jobRunRow {
	return &jobRunRow{ID: r.ID, Job: r.Job, Holder: r.Holder, StartedAt: utc(r.StartedAt),
		FinishedAt: utcPtr(r.FinishedAt), Outcome: r.Outcome, Detail: r.Detail, Error: r.Error}
}

// CreateJobRun inserts a run record.
func (s *Store) CreateJobRun(ctx context.Context, r *service.JobRun) error {
	return formatError(s.w.WithContext(ctx).Create(toJobRunRow(r)).Error)
}

// FinishJobRun saves a run's end.
func (s *Store) FinishJobRun(ctx context.Context, r *service.JobRun) error {
	return formatError(s.w.WithContext(ctx).Model(&jobRunRow{}).Where("id = ?", r.ID).
		Select("finished_at", "outcome", "detail", "error").Updates(toJobRunRow(r)).Error)
}

// LastJobRuns returns each job's latest run.
func (s *Store) LastJobRuns(ctx context.Context) ([]*service.JobRun, error) {
	var rows []jobRunRow
	err := s.r.WithContext(ctx).Raw(`SELECT r.* FROM job_runs r JOIN (SELECT job, MAX(started_at) AS started_at
		FROM job_runs GROUP BY job) l ON l.job = r.job AND l.started_at = r.started_at ORDER BY r.job`).Scan(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.JobRun, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Job] {
			continue
		}
		seen[r.Job] = true
		out = append(out, &service.JobRun{ID: r.ID, Job: r.Job, Holder: r.Holder, StartedAt: r.StartedAt.UTC(),
			FinishedAt: utcPtr(r.FinishedAt), Outcome: r.Outcome, Detail: r.Detail, Error: r.Error})
	}
	return out, nil
}
