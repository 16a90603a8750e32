package service

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// BackupSystem is a backup that keeps Generations snapshots, taken on RefreshSchedule. A deletion reaches it once
// it holds Generations snapshots taken after the deletion: the older ones, which still hold the data, have
// rotated out.
type BackupSystem struct {
	ID              string
	Name            string
	OwnerEmail      string
	RefreshSchedule string // cron spec; UTC unless it starts with CRON_TZ=Zone
	Generations     int
	GraceHours      int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Restore is an admin's record that a backup was restored from a snapshot, which brought back the data of
// the deletions executed after it.
type Restore struct {
	ID              string
	BackupSystemID  string
	SnapshotTakenAt time.Time
	RecordedAt      time.Time
	RecordedBy      string // the user ID of who recorded it
}

// MaxRestoresListed is how many of a system's restores Restores answers, the newest.
const MaxRestoresListed = 50

// Erasure is the record that a request's subject was deleted from the live systems, and its progress through the
// backups.
type Erasure struct {
	RequestID   string
	ExecutedAt  time.Time
	Systems     []string // the live systems it was deleted from, by name
	State       string   // ErasurePending, ErasureComplete or ErasureReapply
	RecordedAt  time.Time
	RecordedBy  string
	CompletedAt *time.Time
	Purges      []*Purge
}

// The states of an erasure and of its purges.
const (
	ErasurePending  = "pending_backups"  // some backup still holds a snapshot taken before the deletion
	ErasureComplete = "complete"         // every backup has rotated the data out
	ErasureReapply  = "reapply_required" // a restore brought the data back: delete it again and record that
	PurgePending    = "pending"
	PurgePurged     = "purged"
)

// Purge is one backup system's part of an erasure.
type Purge struct {
	RequestID         string
	BackupSystemID    string
	BackupName        string
	State             string
	PurgedAt          *time.Time
	OverdueNotifiedAt *time.Time
	ExecutedAt        time.Time // the erasure's, for the arithmetic
}

// BackupStore keeps backup systems, their snapshots and the deletion ledger.
type BackupStore interface {
	// CreateBackupSystem inserts b. ECONFLICT if the name is taken.
	CreateBackupSystem(ctx context.Context, b *BackupSystem) error
	// FindBackupSystem returns one system. ENOTFOUND if none.
	FindBackupSystem(ctx context.Context, id string) (*BackupSystem, error)
	// ListBackupSystems returns every system by name.
	ListBackupSystems(ctx context.Context) ([]*BackupSystem, error)
	// CreateSnapshot records a snapshot a system took.
	CreateSnapshot(ctx context.Context, systemID string, id string, takenAt, recordedAt time.Time) error
	// SnapshotTimesSince returns the times of a system's snapshots taken at or after since, ascending, at most limit.
	SnapshotTimesSince(ctx context.Context, systemID string, since time.Time, limit int) ([]time.Time, error)
	// SaveErasure inserts or replaces a request's erasure and its purges.
	SaveErasure(ctx context.Context, e *Erasure) error
	// FindErasure returns a request's erasure with its purges. ENOTFOUND if none.
	FindErasure(ctx context.Context, requestID string) (*Erasure, error)
	// PendingPurges returns the pending purges of one system (all systems when systemID is ""), with their
	// erasures' execution times.
	PendingPurges(ctx context.Context, systemID string) ([]*Purge, error)
	// SavePurge saves a purge's state, purge time and overdue notice.
	SavePurge(ctx context.Context, p *Purge) error
	// ErasuresExecutedAfter returns the IDs of the requests whose erasure was executed after t.
	ErasuresExecutedAfter(ctx context.Context, t time.Time) ([]string, error)
	// CreateRestore records a restore.
	CreateRestore(ctx context.Context, id, systemID string, snapshotTakenAt, recordedAt time.Time, by string) error
	// ListRestores returns a system's recorded restores, newest first, at most limit.
	ListRestores(ctx context.Context, systemID string, limit int) ([]*Restore, error)
}

// maxRefreshInterval bounds the wait for a backup's next refresh: a schedule with no run within it (30 February,
// 31 April) would leave its purges pending for ever, never overdue, never chased.
const maxRefreshInterval = 400 * 24 * time.Hour

// firesWithin reports whether sched runs within d after now. cron's Next answers the zero time for a schedule
// that never runs.
func firesWithin(sched cron.Schedule, now time.Time, d time.Duration) bool {
	next := sched.Next(now)
	return !next.IsZero() && !next.After(now.Add(d))
}

// cronParser reads refresh schedules as the scheduler reads job schedules.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// NewBackupSystem is an admin's registration of a backup.
type NewBackupSystem struct {
	Name            string
	OwnerEmail      string
	RefreshSchedule string
	Generations     int
	GraceHours      int
}

// CreateBackupSystem registers a backup (admin). Deletions recorded from now on wait for it.
func (s *Fulfilment) CreateBackupSystem(ctx context.Context, a Actor, in NewBackupSystem) (*BackupSystem, error) {
	if err := authorize(a, permManageBackups); err != nil {
		return nil, err
	}
	var f fieldErrors
	validName(&f, "name", in.Name)
	if in.OwnerEmail == "" {
		f.add("owner_email", "is required: overdue purges are chased there")
	}
	email(&f, "owner_email", in.OwnerEmail)
	if sched, err := cronParser.Parse(in.RefreshSchedule); err != nil || len(in.RefreshSchedule) > 100 {
		f.add("refresh_schedule", "must be a cron spec such as \"0 3 * * 0\" (UTC unless it starts with CRON_TZ=Zone)")
	} else if now := s.now(); !firesWithin(sched, now, maxRefreshInterval) {
		f.add("refresh_schedule", "never runs in the next %d days (a date such as 30 February?): its purges could "+
			"never be due", int(maxRefreshInterval/(24*time.Hour)))
	}
	if in.Generations < 1 || in.Generations > 1000 {
		f.add("generations", "must be between 1 and 1000")
	}
	if in.GraceHours < 0 || in.GraceHours > 24*366 {
		f.add("grace_hours", "must be between 0 and 8784")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	now := s.now()
	b := &BackupSystem{ID: s.newID(), Name: in.Name, OwnerEmail: in.OwnerEmail, RefreshSchedule: in.RefreshSchedule,
		Generations: in.Generations, GraceHours: in.GraceHours, CreatedAt: now, UpdatedAt: now}
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		if err := tx.CreateBackupSystem(ctx, b); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return Errorf(ECONFLICT, "a backup system named %q exists", b.Name)
			}
			return err
		}
		return s.appendEvent(ctx, tx, a, "backup_system.created", "", map[string]string{"backup_system_id": b.ID})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BackupSystems lists the backups (admin, auditor, officer, integration).
func (s *Fulfilment) BackupSystems(ctx context.Context, a Actor) ([]*BackupSystem, error) {
	if err := authorize(a, permReadBackups); err != nil {
		return nil, err
	}
	return s.db.ListBackupSystems(ctx)
}

// Restores lists a backup system's recorded restores, newest first, at most MaxRestoresListed (those who read
// backups). ENOTFOUND for an unknown system.
func (s *Fulfilment) Restores(ctx context.Context, a Actor, systemID string) ([]*Restore, error) {
	if err := authorize(a, permReadBackups); err != nil {
		return nil, err
	}
	if _, err := s.db.FindBackupSystem(ctx, systemID); err != nil {
		return nil, err
	}
	return s.db.ListRestores(ctx, systemID, MaxRestoresListed)
}

// purgedAt is when a backup keeping generations snapshots no longer holds data deleted at executedAt: the
// generations-th snapshot taken at or after the deletion. Nil while fewer exist. A snapshot taken before the
// deletion never counts. snapshots are ascending.
func purgedAt(executedAt time.Time, generations int, snapshots []time.Time) *time.Time {
	n := 0
	for _, t := range snapshots {
		if t.Before(executedAt) {
			continue
		}
		n++
		if n == generations {
			at := t
			return &at
		}
	}
	return nil
}

// purgeDeadline is when a purge is overdue: after the schedule's generations refreshes following the deletion,
// plus the grace.
func purgeDeadline(b *BackupSystem, executedAt time.Time) (time.Time, error) {
	sched, err := cronParser.Parse(b.RefreshSchedule)
	if err != nil {
		return time.Time{}, fmt.Errorf("backup system %s schedule: %w", b.ID, err)
	}
	t := executedAt.UTC()
	for range b.Generations {
		t = sched.Next(t)
	}
	return t.Add(time.Duration(b.GraceHours) * time.Hour), nil
}

// settlePurges marks purged every purge whose backup now holds enough snapshots after the deletion, and the
// erasure complete when none is left pending. It reports the purges it settled.
func (s *Fulfilment) settlePurges(ctx context.Context, tx fulfilmentStore, e *Erasure, systems map[string]*BackupSystem) (int, error) {
	settled := 0
	for _, p := range e.Purges {
		if p.State != PurgePending {
			continue
		}
		b := systems[p.BackupSystemID]
		if b == nil {
			continue
		}
		snaps, err := tx.SnapshotTimesSince(ctx, b.ID, e.ExecutedAt, b.Generations)
		if err != nil {
			return settled, err
		}
		if at := purgedAt(e.ExecutedAt, b.Generations, snaps); at != nil {
			p.State, p.PurgedAt = PurgePurged, at
			settled++
		}
	}
	if e.State == ErasurePending && allPurged(e.Purges) {
		now := s.now()
		e.State, e.CompletedAt = ErasureComplete, &now
	}
	return settled, nil
}

func allPurged(ps []*Purge) bool {
	for _, p := range ps {
		if p.State != PurgePurged {
			return false
		}
	}
	return true
}

func systemsByID(list []*BackupSystem) map[string]*BackupSystem {
	m := make(map[string]*BackupSystem, len(list))
	for _, b := range list {
		m[b.ID] = b
	}
	return m
}
