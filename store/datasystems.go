package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

// dataSystemRow is a data system; its DSNs and endpoint are sealed (they carry credentials), its map is JSON.
type dataSystemRow struct {
	ID                 string `gorm:"primaryKey"`
	Name               string
	Kind               string
	DSN                string `gorm:"column:dsn"`
	EraseDSN           string `gorm:"column:erase_dsn"`
	Endpoint           string
	OwnerEmail         string
	Map                string
	RowCap             int
	StatementTimeoutMS int64     `gorm:"column:statement_timeout_ms"`
	CallbackTimeoutS   int64     `gorm:"column:callback_timeout_s"`
	CreatedAt          time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt          time.Time `gorm:"autoUpdateTime:false"`
	CreatedBy          string
}

func (dataSystemRow) TableName() string { return "data_systems" }

func (s *Store) toDataSystemRow(d *service.DataSystem) (*dataSystemRow, error) {
	m, err := json.Marshal(d.Map)
	if err != nil {
		return nil, fmt.Errorf("encode map: %w", err)
	}
	row := &dataSystemRow{ID: d.ID, Name: d.Name, Kind: string(d.Kind), OwnerEmail: d.OwnerEmail, Map: string(m),
		RowCap: d.RowCap, StatementTimeoutMS: d.StatementTimeout.Milliseconds(),
		CallbackTimeoutS: int64(d.CallbackTimeout / time.Second), CreatedAt: utc(d.CreatedAt),
		UpdatedAt: utc(d.UpdatedAt), CreatedBy: d.CreatedBy}
	for _, f := range []struct {
		dst *string
		src string
	}{{&row.DSN, d.DSN}, {&row.EraseDSN, d.EraseDSN}, {&row.Endpoint, d.Endpoint}} {
		if *f.dst, err = s.seal(f.src); err != nil {
			return nil, err
		}
	}
	return row, nil
}

func (s *Store) toDataSystem(r *dataSystemRow) (*service.DataSystem, error) {
	d := &service.DataSystem{ID: r.ID, Name: r.Name, Kind: service.DataSystemKind(r.Kind), OwnerEmail: r.OwnerEmail,
		RowCap: r.RowCap, StatementTimeout: time.Duration(r.StatementTimeoutMS) * time.Millisecond,
		CallbackTimeout: time.Duration(r.CallbackTimeoutS) * time.Second, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), CreatedBy: r.CreatedBy}
	if err := json.Unmarshal([]byte(r.Map), &d.Map); err != nil {
		return nil, fmt.Errorf("data system %s: decode map: %w", r.ID, err)
	}
	var err error
	for _, f := range []struct {
		dst *string
		src string
	}{{&d.DSN, r.DSN}, {&d.EraseDSN, r.EraseDSN}, {&d.Endpoint, r.Endpoint}} {
		if *f.dst, err = s.open(f.src); err != nil {
			return nil, fmt.Errorf("data system %s: %w", r.ID, err)
		}
	}
	return d, nil
}

// CreateDataSystem inserts a data system.
func (s *Store) CreateDataSystem(ctx context.Context, d *service.DataSystem) error {
	row, err := s.toDataSystemRow(d)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Create(row).Error)
}

// UpdateDataSystem saves every field of a data system.
func (s *Store) UpdateDataSystem(ctx context.Context, d *service.DataSystem) error {
	row, err := s.toDataSystemRow(d)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&dataSystemRow{}).Where("id = ?", d.ID).Updates(map[string]any{
		"name": row.Name, "dsn": row.DSN, "erase_dsn": row.EraseDSN, "endpoint": row.Endpoint,
		"owner_email": row.OwnerEmail, "map": row.Map, "row_cap": row.RowCap,
		"statement_timeout_ms": row.StatementTimeoutMS, "callback_timeout_s": row.CallbackTimeoutS,
		"updated_at": row.UpdatedAt})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no data system %s", d.ID)
	}
	return nil
}

// DeleteDataSystem removes a data system.
func (s *Store) DeleteDataSystem(ctx context.Context, id string) error {
	res := s.w.WithContext(ctx).Where("id = ?", id).Delete(&dataSystemRow{})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no data system %s", id)
	}
	return nil
}

// FindDataSystem returns a data system with its DSNs opened.
func (s *Store) FindDataSystem(ctx context.Context, id string) (*service.DataSystem, error) {
	var row dataSystemRow
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no data system %s", id)
		}
		return nil, err
	}
	return s.toDataSystem(&row)
}

// ListDataSystems returns every data system by name.
func (s *Store) ListDataSystems(ctx context.Context) ([]*service.DataSystem, error) {
	var rows []dataSystemRow
	if err := s.r.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	out := make([]*service.DataSystem, len(rows))
	for i := range rows {
		d, err := s.toDataSystem(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// dataRunRow is a run; its systems' parts are JSON (counts, table names and reasons; never a value), sealed: a
// part's error quotes an http system's own words or a transmission's failure, which names the system's host.
type dataRunRow struct {
	ID         string `gorm:"primaryKey"`
	RequestID  string
	Kind       string
	Preview    bool
	Status     string
	Systems    string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	CreatedBy  string
	FinishedAt *time.Time
}

func (dataRunRow) TableName() string { return "data_runs" }

func (s *Store) toDataRunRow(r *service.Run) (*dataRunRow, error) {
	systems, err := json.Marshal(r.Systems)
	if err != nil {
		return nil, fmt.Errorf("encode run systems: %w", err)
	}
	sealed, err := s.seal(string(systems))
	if err != nil {
		return nil, err
	}
	return &dataRunRow{ID: r.ID, RequestID: r.RequestID, Kind: string(r.Kind), Preview: r.Preview,
		Status: string(r.Status), Systems: sealed, CreatedAt: utc(r.CreatedAt), CreatedBy: r.CreatedBy,
		FinishedAt: utcPtr(r.FinishedAt)}, nil
}

func (s *Store) toRun(row *dataRunRow) (*service.Run, error) {
	r := &service.Run{ID: row.ID, RequestID: row.RequestID, Kind: service.RunKind(row.Kind), Preview: row.Preview,
		Status: service.RunStatus(row.Status), CreatedAt: row.CreatedAt.UTC(), CreatedBy: row.CreatedBy,
		FinishedAt: utcPtr(row.FinishedAt)}
	systems, err := s.open(row.Systems)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", row.ID, err)
	}
	if err := json.Unmarshal([]byte(systems), &r.Systems); err != nil {
		return nil, fmt.Errorf("run %s: decode systems: %w", row.ID, err)
	}
	for _, sr := range r.Systems {
		sr.DueAt, sr.OverdueAt, sr.FinishedAt = utcPtr(sr.DueAt), utcPtr(sr.OverdueAt), utcPtr(sr.FinishedAt)
	}
	return r, nil
}

// CreateRun inserts a run.
func (s *Store) CreateRun(ctx context.Context, r *service.Run) error {
	row, err := s.toDataRunRow(r)
	if err != nil {
		return err
	}
	return formatError(s.w.WithContext(ctx).Create(row).Error)
}

// SaveRun saves a run's status, systems and finish time.
func (s *Store) SaveRun(ctx context.Context, r *service.Run) error {
	row, err := s.toDataRunRow(r)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&dataRunRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": row.Status, "systems": row.Systems, "finished_at": row.FinishedAt})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Errorf(service.ENOTFOUND, "no run %s", r.ID)
	}
	return nil
}

// FindRun returns a run of a request.
func (s *Store) FindRun(ctx context.Context, requestID, runID string) (*service.Run, error) {
	var row dataRunRow
	db := s.r.WithContext(ctx)
	if s.inTx {
		// Inside a transaction the run is read to be changed: an http system's report and the end of the run
		// that sent it must not both save what they read.
		db = s.w.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := db.Where("id = ? AND request_id = ?", runID, requestID).Take(&row).Error; err != nil {
		if err = formatError(err); service.ErrorCode(err) == service.ENOTFOUND {
			return nil, service.Errorf(service.ENOTFOUND, "no run %s on request %s", runID, requestID)
		}
		return nil, err
	}
	return s.toRun(&row)
}

// ListRuns returns a request's runs, newest first.
func (s *Store) ListRuns(ctx context.Context, requestID string) ([]*service.Run, error) {
	var rows []dataRunRow
	if err := s.r.WithContext(ctx).Where("request_id = ?", requestID).Order("created_at DESC, id DESC").
		Limit(500).Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	return s.toRuns(rows)
}

// UnfinishedRuns returns the runs still waiting for an http system, oldest first.
func (s *Store) UnfinishedRuns(ctx context.Context, limit int) ([]*service.Run, error) {
	var rows []dataRunRow
	if err := s.r.WithContext(ctx).Where("status = ?", string(service.RunRunning)).Order("created_at, id").
		Limit(limit).Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	return s.toRuns(rows)
}

func (s *Store) toRuns(rows []dataRunRow) ([]*service.Run, error) {
	out := make([]*service.Run, len(rows))
	for i := range rows {
		r, err := s.toRun(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}
