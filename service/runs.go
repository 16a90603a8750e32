package service

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Run is one collection or erasure across every data system, on one request.
type Run struct {
	ID         string
	RequestID  string
	Kind       RunKind
	Preview    bool // an erasure that counted what it would do and changed nothing
	Status     RunStatus
	Systems    []*SystemRun
	CreatedAt  time.Time
	CreatedBy  string
	FinishedAt *time.Time
}

// RunKind is what a run does.
type RunKind string

// The kinds of run.
const (
	RunCollect  RunKind = "collect"
	RunErase    RunKind = "erase"
	RunSuppress RunKind = "suppress" // a consent withdrawal sent to http systems
)

// RunStatus is where a run, or its part on one system, stands.
type RunStatus string

// The statuses of a run and of its systems.
const (
	RunPending RunStatus = "pending" // a system's part: an http system has the job and has not called back
	RunRunning RunStatus = "running"
	RunDone    RunStatus = "done"
	RunFailed  RunStatus = "failed"
)

// SystemRun is a run's part on one data system.
type SystemRun struct {
	SystemID string                 `json:"system_id"`
	Name     string                 `json:"name"`
	Kind     DataSystemKind         `json:"kind"`
	Status   RunStatus              `json:"status"`
	Error    string                 `json:"error,omitempty"` // why it failed, in words; never a value
	Tables   map[string]TableCounts `json:"tables"`
	// Retained quotes, by table, the reason rows were kept: the reply cites it.
	Retained map[string]string `json:"retained,omitempty"`
	ExportID string            `json:"export_id,omitempty"` // the export file a collection attached
	// DueAt is when an http system must have called back; past it, a pending part is overdue.
	DueAt *time.Time `json:"due_at,omitempty"`
	// CallbackHash is the hash of the job's callback token (http).
	CallbackHash string     `json:"callback_hash,omitempty"`
	OverdueAt    *time.Time `json:"overdue_notified_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
}

// Overdue reports whether an http system's part is still pending past its due time.
func (r *SystemRun) Overdue(now time.Time) bool {
	return r.Status == RunPending && r.DueAt != nil && now.After(*r.DueAt)
}

// settle sets the run's status from its systems': running while one is pending, failed if one failed.
func (r *Run) settle(now time.Time) {
	r.Status = RunDone
	for _, sr := range r.Systems {
		switch sr.Status {
		case RunPending, RunRunning:
			r.Status = RunRunning
			return
		case RunFailed:
			r.Status = RunFailed
		}
	}
	r.FinishedAt = &now
}

// totals sums a run's counts, for the audit trail: counts and table names, never values.
func (r *Run) totals() map[string]string {
	var t TableCounts
	failed := 0
	var tables []string
	for _, sr := range r.Systems {
		if sr.Status == RunFailed {
			failed++
		}
		for name, c := range sr.Tables {
			t.Rows, t.Deleted, t.Updated, t.Retained = t.Rows+c.Rows, t.Deleted+c.Deleted, t.Updated+c.Updated, t.Retained+c.Retained
			tables = append(tables, sr.Name+"."+name)
		}
	}
	slices.Sort(tables)
	return map[string]string{"run_id": r.ID, "kind": string(r.Kind), "preview": fmt.Sprint(r.Preview),
		"status": string(r.Status), "systems": fmt.Sprint(len(r.Systems)), "failed": fmt.Sprint(failed),
		"rows": fmt.Sprint(t.Rows), "deleted": fmt.Sprint(t.Deleted), "updated": fmt.Sprint(t.Updated),
		"retained": fmt.Sprint(t.Retained), "tables": strings.Join(tables, ",")}
}

// startRun checks that the actor may run kind on the request, and records a running run over every data system.
func (s *Fulfilment) startRun(ctx context.Context, a Actor, id string, kind RunKind, preview bool) (*Run, *Request, []*DataSystem, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, nil, nil, err
	}
	var run *Run
	var r *Request
	var systems []*DataSystem
	err := s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		var err error
		if r, err = s.workable(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case kind == RunCollect && r.Type != TypeAccess && r.Type != TypePortability:
			return Errorf(ECONFLICT, "collection answers access and portability requests; this is %s request", withArticle(string(r.Type)))
		case kind == RunErase && r.Type != TypeDeletion:
			return Errorf(ECONFLICT, "erasure runs on deletion requests; this is %s request", withArticle(string(r.Type)))
		case kind == RunSuppress && r.Type != TypeConsentWithdrawal:
			return Errorf(ECONFLICT, "suppression jobs carry consent withdrawals; this is %s request", withArticle(string(r.Type)))
		case r.Status != StatusInProgress && r.Status != StatusOnHold:
			return Errorf(ECONFLICT, "%s request takes no run; it must be in_progress or on_hold", withArticle(string(r.Status)))
		}
		if systems, err = tx.ListDataSystems(ctx); err != nil {
			return err
		}
		if kind == RunSuppress {
			systems = slices.DeleteFunc(systems, func(d *DataSystem) bool { return d.Kind != KindHTTP })
		}
		if len(systems) == 0 {
			return Errorf(ECONFLICT, "no data system that takes a %s run is registered (POST /api/v1/data-systems)", kind)
		}
		now := s.now()
		run = &Run{ID: s.newID(), RequestID: r.ID, Kind: kind, Preview: preview, Status: RunRunning, CreatedAt: now,
			CreatedBy: a.UserID}
		for _, d := range systems {
			run.Systems = append(run.Systems, &SystemRun{SystemID: d.ID, Name: d.Name, Kind: d.Kind, Status: RunRunning,
				Tables: map[string]TableCounts{}})
		}
		if err := tx.CreateRun(ctx, run); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "run.started", r.ID, map[string]string{"run_id": run.ID,
			"kind": string(kind), "preview": fmt.Sprint(preview), "systems": fmt.Sprint(len(systems))})
	})
	return run, r, systems, err
}

// finishRun saves a run as its systems left it, with what http systems reported meanwhile, and audits its
// counts once it has finished.
func (s *Fulfilment) finishRun(ctx context.Context, a Actor, run *Run) error {
	return s.begin(ctx, func(tx fulfilmentStore) error {
		stored, err := tx.FindRun(ctx, run.RequestID, run.ID)
		if err != nil {
			return err
		}
		mergeReported(run, stored)
		run.settle(s.now())
		if err := tx.SaveRun(ctx, run); err != nil {
			return err
		}
		if run.Status == RunRunning {
			return nil
		}
		return s.appendEvent(ctx, tx, a, "run.finished", run.RequestID, run.totals())
	})
}

// jobFor is what a connector needs to find the request's subject in system d.
func (s *Fulfilment) jobFor(r *Request, d *DataSystem) SubjectJob {
	return SubjectJob{Email: r.Subject.Email, Phone: r.Subject.Phone, AccountID: r.Subject.AccountID,
		HashKey: s.dataSystemHashKey(d.ID)}
}

// failure is the caller-safe reason a system's part failed.
func failure(err error) string {
	if ErrorCode(err) == EINTERNAL {
		return "internal error"
	}
	return ErrorMessage(err)
}

// Collect runs every data system's map from the request's subject and attaches what each finds as the request's
// export file NAME.json ({"tables": {"customers": [{...}]}}), for the officer to review before replying (the
// request's officers, admins). A subject who limited the request to categories gets only the columns of those
// categories, and only the tables that have one. A system that fails is reported with its reason; the others
// still attach their files.
func (s *Fulfilment) Collect(ctx context.Context, a Actor, id string) (*Run, error) {
	run, r, systems, err := s.startRun(ctx, a, id, RunCollect, false)
	if err != nil {
		return nil, err
	}
	for i, d := range systems {
		sr := run.Systems[i]
		if d.Kind == KindHTTP {
			s.sendJob(ctx, run, r, d, sr)
			continue
		}
		if err := s.collectFrom(ctx, a, r, d, sr); err != nil {
			sr.Status, sr.Error = RunFailed, failure(err)
		}
		now := s.now()
		sr.FinishedAt = &now
	}
	if err := s.finishRun(ctx, a, run); err != nil {
		return nil, err
	}
	return run, nil
}

// collectFrom collects from one SQL system and attaches its file.
func (s *Fulfilment) collectFrom(ctx context.Context, a Actor, r *Request, d *DataSystem, sr *SystemRun) error {
	if s.connector == nil {
		return Errorf(EUNAVAILABLE, "this server has no connector for SQL data systems")
	}
	got, err := s.connector.Collect(ctx, d, s.jobFor(r, d))
	if err != nil {
		return err
	}
	tables := limitToCategories(&d.Map, got.Tables, r.Details.Categories)
	for name, rows := range tables {
		sr.Tables[name] = TableCounts{Rows: len(rows)}
	}
	return s.attachCollected(ctx, a, r, d.Name, tables, sr)
}

// attachCollected attaches a system's rows as its export file, named after the system (a second collection's
// file gets a number).
func (s *Fulfilment) attachCollected(ctx context.Context, a Actor, r *Request, system string, tables map[string][]map[string]any, sr *SystemRun) error {
	if tables == nil {
		tables = map[string][]map[string]any{}
	}
	content, err := json.MarshalIndent(map[string]any{"system": system, "tables": tables}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode collection: %w", err)
	}
	existing, err := s.db.RequestExports(ctx, r.ID, false)
	if err != nil {
		return err
	}
	name := system + ".json"
	for n := 2; slices.ContainsFunc(existing, func(e *Export) bool { return e.Name == name }); n++ {
		name = fmt.Sprintf("%s-%d.json", system, n)
	}
	e, err := s.AttachExport(ctx, a, r.ID, name, content)
	if err != nil {
		return err
	}
	// The same rows as one CSV file per table, for a subject who opens them in a spreadsheet.
	base := strings.TrimSuffix(name, ".json")
	for _, table := range slices.Sorted(maps.Keys(tables)) {
		csv, err := collectedCSV(tables[table])
		if err != nil {
			return fmt.Errorf("encode %s as CSV: %w", table, err)
		}
		if _, err := s.AttachExport(ctx, a, r.ID, base+"."+table+".csv", csv); err != nil {
			return err
		}
	}
	sr.Status, sr.ExportID = RunDone, e.ID
	return nil
}

// limitToCategories keeps, when the subject limited the request to categories, only the columns the map files
// under one of them and only the tables that have such a column. Without categories it keeps everything.
func limitToCategories(m *DatasetMap, tables map[string][]map[string]any, categories []string) map[string][]map[string]any {
	if len(categories) == 0 {
		return tables
	}
	out := map[string][]map[string]any{}
	for name, rows := range tables {
		t := m.Table(name)
		if t == nil {
			continue
		}
		var keep []string
		for col, c := range t.Columns {
			if slices.Contains(categories, c.Category) {
				keep = append(keep, col)
			}
		}
		if len(keep) == 0 {
			continue
		}
		limited := make([]map[string]any, len(rows))
		for i, row := range rows {
			limited[i] = map[string]any{}
			for _, col := range keep {
				if v, ok := row[col]; ok {
					limited[i][col] = v
				}
			}
		}
		out[name] = limited
	}
	return out
}

// Erase runs every data system's erasure for the request's subject (the request's officers, admins): with
// preview, it counts per system and table what would be deleted, updated and retained, and changes nothing.
// Otherwise each SQL system erases in one transaction of its own; when every system has finished, the run is
// recorded as the request's erasure (its systems, now), so that the backup purges start. A system that fails
// leaves its data as it was and says why; the others' erasures stand, and running again finishes the work
// (a system erased already has nothing left to do).
func (s *Fulfilment) Erase(ctx context.Context, a Actor, id string, preview bool) (*Run, error) {
	run, r, systems, err := s.startRun(ctx, a, id, RunErase, preview)
	if err != nil {
		return nil, err
	}
	for i, d := range systems {
		sr := run.Systems[i]
		if d.Kind == KindHTTP {
			if preview {
				sr.Status, sr.Error = RunDone, "an http system counts nothing in a preview; it erases when run"
			} else {
				s.sendJob(ctx, run, r, d, sr)
			}
			continue
		}
		if s.connector == nil {
			sr.Status, sr.Error = RunFailed, "this server has no connector for SQL data systems"
			continue
		}
		counts, err := s.connector.Erase(ctx, d, s.jobFor(r, d), preview)
		now := s.now()
		sr.FinishedAt = &now
		if err != nil {
			sr.Status, sr.Error = RunFailed, failure(err)
			continue
		}
		sr.Status, sr.Tables = RunDone, counts
		for name, c := range counts {
			if t := d.Map.Table(name); t != nil && t.Erase == EraseRetain && c.Retained > 0 {
				if sr.Retained == nil {
					sr.Retained = map[string]string{}
				}
				sr.Retained[name] = t.Reason
			}
		}
	}
	if err := s.finishRun(ctx, a, run); err != nil {
		return nil, err
	}
	if err := s.recordRunErasure(ctx, a, run); err != nil {
		return nil, err
	}
	return run, nil
}

// recordRunErasure records a finished, successful erasure run as the request's erasure. A run that changed
// nothing (a second run after a complete one) leaves a recorded erasure as it is: recording again would restart
// every backup purge for data that is not back. After a restore (reapply_required) it records again.
func (s *Fulfilment) recordRunErasure(ctx context.Context, a Actor, run *Run) error {
	if run.Kind != RunErase || run.Preview || run.Status != RunDone {
		return nil
	}
	changed := false
	for _, sr := range run.Systems {
		changed = changed || sr.Kind == KindHTTP // an http system's report may not count what it did
		for _, c := range sr.Tables {
			changed = changed || c.Deleted > 0 || c.Updated > 0
		}
	}
	if !changed {
		e, err := s.RequestErasure(ctx, run.RequestID)
		if err != nil {
			return err
		}
		if e != nil && e.State != ErasureReapply {
			return nil
		}
	}
	names := make([]string, len(run.Systems))
	for i, sr := range run.Systems {
		names[i] = sr.Name
	}
	_, err := s.RecordErasure(ctx, a, run.RequestID, ErasureCommand{ExecutedAt: *run.FinishedAt, Systems: names})
	return err
}

// Suppress sends a consent withdrawal to every http data system as a suppression job, with the request's
// purposes, so that downstream systems stop processing (the request's officers, admins).
func (s *Fulfilment) Suppress(ctx context.Context, a Actor, id string) (*Run, error) {
	run, r, systems, err := s.startRun(ctx, a, id, RunSuppress, false)
	if err != nil {
		return nil, err
	}
	for i, d := range systems {
		s.sendJob(ctx, run, r, d, run.Systems[i])
	}
	if err := s.finishRun(ctx, a, run); err != nil {
		return nil, err
	}
	return run, nil
}

// Runs lists a request's runs, newest first (the request's officers, auditors, admins).
func (s *Fulfilment) Runs(ctx context.Context, a Actor, id string) ([]*Run, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out []*Run
	err := s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = tx.ListRuns(ctx, r.ID)
		return err
	})
	return out, err
}

// RunOf returns one run of a request.
func (s *Fulfilment) RunOf(ctx context.Context, a Actor, id, runID string) (*Run, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out *Run
	err := s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = tx.FindRun(ctx, r.ID, runID)
		return err
	})
	return out, err
}
