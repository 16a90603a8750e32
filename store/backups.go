package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

type backupSystemRow struct {
	ID              string `gorm:"primaryKey"`
	Name            string
	OwnerEmail      string
	RefreshSchedule string
	Generations     int
	GraceHours      int
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
}

func (backupSystemRow) TableName() string { return "backup_systems" }

func toBackupSystem(r *backupSystemRow) *service.BackupSystem {
	return &service.BackupSystem{ID: r.ID, Name: r.Name, OwnerEmail: r.OwnerEmail, RefreshSchedule: r.RefreshSchedule,
		Generations: r.Generations, GraceHours: r.GraceHours, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateBackupSystem inserts a backup system.
func (s *Store) CreateBackupSystem(ctx context.Context, b *service.BackupSystem) error {
	return formatError(s.w.WithContext(ctx).Create(&backupSystemRow{ID: b.ID, Name: b.Name, OwnerEmail: b.OwnerEmail,
		RefreshSchedule: b.RefreshSchedule, Generations: b.Generations, GraceHours: b.GraceHours,
		CreatedAt: utc(b.CreatedAt), UpdatedAt: utc(b.UpdatedAt)}).Error)
}

// FindBackupSystem returns one backup system.
func (s *Store) FindBackupSystem(ctx context.Context, id string) (*service.BackupSystem, error) {
	var r backupSystemRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no backup system %s", id)
		}
		return nil, err
	}
	return toBackupSystem(&r), nil
}

// ListBackupSystems returns every backup system by name.
func (s *Store) ListBackupSystems(ctx context.Context) ([]*service.BackupSystem, error) {
	var rows []backupSystemRow
	if err := s.r.WithContext(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.BackupSystem, len(rows))
	for i := range rows {
		out[i] = toBackupSystem(&rows[i])
	}
	return out, nil
}

type snapshotRow struct {
	ID             string `gorm:"primaryKey"`
	BackupSystemID string
	TakenAt        time.Time
	RecordedAt     time.Time
}

func (snapshotRow) TableName() string { return "backup_snapshots" }

// CreateSnapshot records a snapshot.
func (s *Store) CreateSnapshot(ctx context.Context, systemID, id string, takenAt, recordedAt time.Time) error {
	return formatError(s.w.WithContext(ctx).Create(&snapshotRow{ID: id, BackupSystemID: systemID, TakenAt: utc(takenAt),
		RecordedAt: utc(recordedAt)}).Error)
}

// SnapshotTimesSince returns snapshot times at or after since.
func (s *Store) SnapshotTimesSince(ctx context.Context, systemID string, since time.Time, limit int) ([]time.Time, error) {
	var rows []snapshotRow
	err := s.r.WithContext(ctx).Where("backup_system_id = ? AND taken_at >= ?", systemID, utc(since)).
		Order("taken_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]time.Time, len(rows))
	for i, r := range rows {
		out[i] = r.TakenAt.UTC()
	}
	return out, nil
}

type erasureRow struct {
	RequestID   string `gorm:"primaryKey"`
	ExecutedAt  time.Time
	Systems     string
	State       string
	RecordedAt  time.Time
	RecordedBy  string
	CompletedAt *time.Time
}

func (erasureRow) TableName() string { return "erasures" }

type purgeRow struct {
	RequestID         string `gorm:"primaryKey"`
	BackupSystemID    string `gorm:"primaryKey"`
	State             string
	PurgedAt          *time.Time
	OverdueNotifiedAt *time.Time
}

func (purgeRow) TableName() string { return "backup_purges" }

// SaveErasure replaces a request's erasure and its purges.
func (s *Store) SaveErasure(ctx context.Context, e *service.Erasure) error {
	systems, err := json.Marshal(e.Systems)
	if err != nil {
		return err
	}
	// The systems are the officer's words, and may name the person ("Li Wei's mailbox"): sealed.
	sealedSystems, err := s.seal(string(systems))
	if err != nil {
		return err
	}
	return s.WithTx(ctx, func(tx service.Store) error {
		db := tx.(*Store).w.WithContext(ctx)
		row := &erasureRow{RequestID: e.RequestID, ExecutedAt: utc(e.ExecutedAt), Systems: sealedSystems, State: e.State,
			RecordedAt: utc(e.RecordedAt), RecordedBy: e.RecordedBy, CompletedAt: utcPtr(e.CompletedAt)}
		if err := db.Clauses(clause.OnConflict{UpdateAll: true}).Create(row).Error; err != nil {
			return formatError(err)
		}
		if err := db.Where("request_id = ?", e.RequestID).Delete(&purgeRow{}).Error; err != nil {
			return formatError(err)
		}
		for _, p := range e.Purges {
			if err := db.Create(&purgeRow{RequestID: e.RequestID, BackupSystemID: p.BackupSystemID, State: p.State,
				PurgedAt: utcPtr(p.PurgedAt), OverdueNotifiedAt: utcPtr(p.OverdueNotifiedAt)}).Error; err != nil {
				return formatError(err)
			}
		}
		return nil
	})
}

// FindErasure returns a request's erasure with its purges and their backups' names.
func (s *Store) FindErasure(ctx context.Context, requestID string) (*service.Erasure, error) {
	var row erasureRow
	if err := s.r.WithContext(ctx).Where("request_id = ?", requestID).Take(&row).Error; err != nil {
		return nil, formatError(err)
	}
	e := &service.Erasure{RequestID: row.RequestID, ExecutedAt: row.ExecutedAt.UTC(), State: row.State,
		RecordedAt: row.RecordedAt.UTC(), RecordedBy: row.RecordedBy, CompletedAt: utcPtr(row.CompletedAt)}
	systems, err := s.open(row.Systems)
	if err != nil {
		return nil, fmt.Errorf("erasure of %s: systems: %w", requestID, err)
	}
	if err := json.Unmarshal([]byte(systems), &e.Systems); err != nil {
		return nil, fmt.Errorf("erasure of %s: systems: %w", requestID, err)
	}
	purges, err := s.purges(ctx, "p.request_id = ?", requestID)
	if err != nil {
		return nil, err
	}
	e.Purges = purges
	return e, nil
}

func (s *Store) purges(ctx context.Context, where string, args ...any) ([]*service.Purge, error) {
	var rows []struct {
		RequestID, BackupSystemID, State, BackupName string
		PurgedAt, OverdueNotifiedAt                  *time.Time
		ExecutedAt                                   time.Time
	}
	err := s.r.WithContext(ctx).Table("backup_purges AS p").
		Select("p.request_id, p.backup_system_id, p.state, p.purged_at, p.overdue_notified_at, b.name AS backup_name, e.executed_at").
		Joins("JOIN backup_systems AS b ON b.id = p.backup_system_id").
		Joins("JOIN erasures AS e ON e.request_id = p.request_id").
		Where(where, args...).Order("b.name, p.request_id").Scan(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Purge, len(rows))
	for i, r := range rows {
		out[i] = &service.Purge{RequestID: r.RequestID, BackupSystemID: r.BackupSystemID, BackupName: r.BackupName,
			State: r.State, PurgedAt: utcPtr(r.PurgedAt), OverdueNotifiedAt: utcPtr(r.OverdueNotifiedAt),
			ExecutedAt: r.ExecutedAt.UTC()}
	}
	return out, nil
}

// PendingPurges returns pending purges, of one system or all.
func (s *Store) PendingPurges(ctx context.Context, systemID string) ([]*service.Purge, error) {
	// A deletion to be applied again after a restore waits for its officer, not its backups.
	if systemID == "" {
		return s.purges(ctx, "p.state = ? AND e.state <> ?", service.PurgePending, service.ErasureReapply)
	}
	return s.purges(ctx, "p.state = ? AND e.state <> ? AND p.backup_system_id = ?", service.PurgePending,
		service.ErasureReapply, systemID)
}

// SavePurge saves one purge.
func (s *Store) SavePurge(ctx context.Context, p *service.Purge) error {
	return formatError(s.w.WithContext(ctx).Model(&purgeRow{}).
		Where("request_id = ? AND backup_system_id = ?", p.RequestID, p.BackupSystemID).
		Updates(map[string]any{"state": p.State, "purged_at": utcPtr(p.PurgedAt),
			"overdue_notified_at": utcPtr(p.OverdueNotifiedAt)}).Error)
}

// ErasuresExecutedAfter returns the requests whose erasure was executed after t.
func (s *Store) ErasuresExecutedAfter(ctx context.Context, t time.Time) ([]string, error) {
	var ids []string
	err := s.r.WithContext(ctx).Model(&erasureRow{}).Where("executed_at > ?", utc(t)).Order("executed_at, request_id").
		Pluck("request_id", &ids).Error
	return ids, formatError(err)
}

type restoreRow struct {
	ID              string `gorm:"primaryKey"`
	BackupSystemID  string
	SnapshotTakenAt time.Time
	RecordedAt      time.Time
	RecordedBy      string
}

func (restoreRow) TableName() string { return "backup_restores" }

// CreateRestore records a restore.
func (s *Store) CreateRestore(ctx context.Context, id, systemID string, snapshotTakenAt, recordedAt time.Time, by string) error {
	return formatError(s.w.WithContext(ctx).Create(&restoreRow{ID: id, BackupSystemID: systemID,
		SnapshotTakenAt: utc(snapshotTakenAt), RecordedAt: utc(recordedAt), RecordedBy: by}).Error)
}

// ListRestores returns a system's recorded restores, newest first, at most limit.
func (s *Store) ListRestores(ctx context.Context, systemID string, limit int) ([]*service.Restore, error) {
	var rows []restoreRow
	if err := s.r.WithContext(ctx).Where("backup_system_id = ?", systemID).Order("recorded_at DESC, id DESC").
		Limit(limit).Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.Restore, len(rows))
	for i, r := range rows {
		out[i] = &service.Restore{ID: r.ID, BackupSystemID: r.BackupSystemID, SnapshotTakenAt: r.SnapshotTakenAt.UTC(),
			RecordedAt: r.RecordedAt.UTC(), RecordedBy: r.RecordedBy}
	}
	return out, nil
}
