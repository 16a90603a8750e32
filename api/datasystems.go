package api

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// fromAPIMap converts a dataset map from its API shape.
func fromAPIMap(m *DatasetMap) *service.DatasetMap {
	if m == nil {
		return nil
	}
	out := &service.DatasetMap{Tables: make([]service.MapTable, len(m.Tables))}
	for i, t := range m.Tables {
		mt := service.MapTable{Name: t.Name, Erase: service.TableErasure(t.Erase), Reason: str(t.Reason)}
		if t.Identity != nil {
			mt.Identity = map[string]string{}
			for kind, col := range map[string]*string{"email": t.Identity.Email, "phone": t.Identity.Phone,
				"account_id": t.Identity.AccountId} {
				if col != nil {
					mt.Identity[kind] = *col
				}
			}
		}
		if t.References != nil {
			mt.References = *t.References
		}
		if t.Columns != nil {
			mt.Columns = map[string]service.MapColumn{}
			for name, c := range *t.Columns {
				mc := service.MapColumn{Category: str(c.Category), Replacement: str(c.Replacement)}
				if c.Erase != nil {
					mc.Erase = service.ColumnErasure(*c.Erase)
				}
				if c.Hash != nil {
					mc.Hash = *c.Hash
				}
				mt.Columns[name] = mc
			}
		}
		out.Tables[i] = mt
	}
	return out
}

// toAPIMap renders a dataset map.
func toAPIMap(m *service.DatasetMap) DatasetMap {
	out := DatasetMap{Tables: make([]MapTable, len(m.Tables))}
	for i, t := range m.Tables {
		at := MapTable{Name: t.Name, Erase: MapTableErase(t.Erase), Reason: strPtr(t.Reason)}
		if len(t.Identity) > 0 {
			at.Identity = &struct {
				AccountId *string `json:"account_id,omitempty"`
				Email     *string `json:"email,omitempty"`
				Phone     *string `json:"phone,omitempty"`
			}{AccountId: strPtr(t.Identity["account_id"]), Email: strPtr(t.Identity["email"]), Phone: strPtr(t.Identity["phone"])}
		}
		if len(t.References) > 0 {
			refs := t.References
			at.References = &refs
		}
		if len(t.Columns) > 0 {
			cols := map[string]MapColumn{}
			for name, c := range t.Columns {
				ac := MapColumn{Category: strPtr(c.Category), Replacement: strPtr(c.Replacement)}
				if c.Erase != service.ColumnKeep {
					e := MapColumnErase(c.Erase)
					ac.Erase = &e
				}
				if c.Hash {
					h := true
					ac.Hash = &h
				}
				cols[name] = ac
			}
			at.Columns = &cols
		}
		out.Tables[i] = at
	}
	return out
}

// toAPIDataSystem renders a data system; its DSNs are never answered.
func toAPIDataSystem(d *service.DataSystem) DataSystem {
	return DataSystem{Id: parseUUID(d.ID), Name: d.Name, Kind: DataSystemKind(d.Kind), Endpoint: strPtr(d.Endpoint),
		OwnerEmail: strPtr(d.OwnerEmail), HasEraseDsn: d.EraseDSN != "", Map: toAPIMap(&d.Map), RowCap: d.RowCap,
		StatementTimeoutMs: int(d.StatementTimeout.Milliseconds()), CallbackTimeoutHours: int(d.CallbackTimeout.Hours()),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func fromAPIDataSystemInput(b *DataSystemInput) service.DataSystemInput {
	return service.DataSystemInput{Name: b.Name, Kind: service.DataSystemKind(b.Kind), DSN: str(b.Dsn),
		EraseDSN: str(b.EraseDsn), Endpoint: str(b.Endpoint), OwnerEmail: str(b.OwnerEmail), Map: fromAPIMap(b.Map),
		MapYAML: str(b.MapYaml), RowCap: b.RowCap, StatementTimeoutMS: b.StatementTimeoutMs,
		CallbackTimeoutH: b.CallbackTimeoutHours}
}

// toAPIRun renders a run as the service saw it at now: an http system's pending part past its due time shows
// as overdue.
func toAPIRun(r *service.Run, now time.Time) Run {
	out := Run{Id: parseUUID(r.ID), Kind: RunKind(r.Kind), Preview: r.Preview, Status: RunStatus(r.Status),
		CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt, Systems: make([]SystemRun, len(r.Systems))}
	for i, sr := range r.Systems {
		as := SystemRun{SystemId: parseUUID(sr.SystemID), Name: sr.Name, Kind: DataSystemKind(sr.Kind),
			Status: SystemRunStatus(sr.Status), Error: strPtr(sr.Error), Tables: map[string]TableCounts{},
			ExportId: uuidPtr(sr.ExportID), DueAt: sr.DueAt, FinishedAt: sr.FinishedAt}
		for name, c := range sr.Tables {
			as.Tables[name] = TableCounts{Rows: c.Rows, Deleted: c.Deleted, Updated: c.Updated, Retained: c.Retained}
		}
		if len(sr.Retained) > 0 {
			retained := sr.Retained
			as.Retained = &retained
		}
		if sr.Overdue(now) {
			overdue := true
			as.Overdue = &overdue
		}
		out.Systems[i] = as
	}
	return out
}

// CreateDataSystem registers a data system.
func (s *Server) CreateDataSystem(ctx context.Context, req CreateDataSystemRequestObject) (CreateDataSystemResponseObject, error) {
	d, err := s.svc.RegisterDataSystem(ctx, actorFrom(ctx), fromAPIDataSystemInput(req.Body))
	if err != nil {
		return nil, err
	}
	return CreateDataSystem201JSONResponse(toAPIDataSystem(d)), nil
}

// ListDataSystems answers the data systems.
func (s *Server) ListDataSystems(ctx context.Context, _ ListDataSystemsRequestObject) (ListDataSystemsResponseObject, error) {
	all, err := s.svc.DataSystems(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListDataSystems200JSONResponse{Items: make([]DataSystem, len(all))}
	for i, d := range all {
		out.Items[i] = toAPIDataSystem(d)
	}
	return out, nil
}

// GetDataSystem answers one data system.
func (s *Server) GetDataSystem(ctx context.Context, req GetDataSystemRequestObject) (GetDataSystemResponseObject, error) {
	d, err := s.svc.DataSystem(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return GetDataSystem200JSONResponse(toAPIDataSystem(d)), nil
}

// UpdateDataSystem replaces a data system's settings and map.
func (s *Server) UpdateDataSystem(ctx context.Context, req UpdateDataSystemRequestObject) (UpdateDataSystemResponseObject, error) {
	d, err := s.svc.UpdateDataSystem(ctx, actorFrom(ctx), req.Id.String(), fromAPIDataSystemInput(req.Body))
	if err != nil {
		return nil, err
	}
	return UpdateDataSystem200JSONResponse(toAPIDataSystem(d)), nil
}

// DeleteDataSystem removes a data system.
func (s *Server) DeleteDataSystem(ctx context.Context, req DeleteDataSystemRequestObject) (DeleteDataSystemResponseObject, error) {
	if err := s.svc.DeleteDataSystem(ctx, actorFrom(ctx), req.Id.String()); err != nil {
		return nil, err
	}
	return DeleteDataSystem204Response{}, nil
}

// CollectRequestData runs a collection: 201 when finished, 202 while http systems have the job.
func (s *Server) CollectRequestData(ctx context.Context, req CollectRequestDataRequestObject) (CollectRequestDataResponseObject, error) {
	run, err := s.svc.Collect(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	if run.Status == service.RunRunning {
		return CollectRequestData202JSONResponse(toAPIRun(run, s.svc.Now())), nil
	}
	return CollectRequestData201JSONResponse(toAPIRun(run, s.svc.Now())), nil
}

// RunErasure previews or runs an erasure: 201 when finished, 202 while http systems have the job.
func (s *Server) RunErasure(ctx context.Context, req RunErasureRequestObject) (RunErasureResponseObject, error) {
	run, err := s.svc.Erase(ctx, actorFrom(ctx), req.Id.String(), req.Body.Preview)
	if err != nil {
		return nil, err
	}
	if run.Status == service.RunRunning {
		return RunErasure202JSONResponse(toAPIRun(run, s.svc.Now())), nil
	}
	return RunErasure201JSONResponse(toAPIRun(run, s.svc.Now())), nil
}

// RunSuppression sends a consent withdrawal to the http systems: 202 while they have the job.
func (s *Server) RunSuppression(ctx context.Context, req RunSuppressionRequestObject) (RunSuppressionResponseObject, error) {
	run, err := s.svc.Suppress(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	if run.Status == service.RunRunning {
		return RunSuppression202JSONResponse(toAPIRun(run, s.svc.Now())), nil
	}
	return RunSuppression201JSONResponse(toAPIRun(run, s.svc.Now())), nil
}

// ListRuns answers a request's runs.
func (s *Server) ListRuns(ctx context.Context, req ListRunsRequestObject) (ListRunsResponseObject, error) {
	runs, err := s.svc.Runs(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	out := ListRuns200JSONResponse{Items: make([]Run, len(runs))}
	for i, r := range runs {
		out.Items[i] = toAPIRun(r, now)
	}
	return out, nil
}

// GetRun answers one run of a request.
func (s *Server) GetRun(ctx context.Context, req GetRunRequestObject) (GetRunResponseObject, error) {
	run, err := s.svc.RunOf(ctx, actorFrom(ctx), req.Id.String(), req.RunId.String())
	if err != nil {
		return nil, err
	}
	return GetRun200JSONResponse(toAPIRun(run, s.svc.Now())), nil
}

// ReportDataJob records an http data system's result for a job it was sent.
func (s *Server) ReportDataJob(ctx context.Context, req ReportDataJobRequestObject) (ReportDataJobResponseObject, error) {
	res := service.DataJobReport{Status: service.RunStatus(req.Body.Status), Error: str(req.Body.Error)}
	if req.Body.Tables != nil {
		res.Tables = map[string]service.TableCounts{}
		for name, c := range *req.Body.Tables {
			res.Tables[name] = service.TableCounts{Rows: c.Rows, Deleted: c.Deleted, Updated: c.Updated, Retained: c.Retained}
		}
	}
	if req.Body.Rows != nil {
		res.Rows = *req.Body.Rows
	}
	if err := s.svc.ReportDataJob(ctx, req.Body.CallbackToken, res); err != nil {
		return nil, err
	}
	return ReportDataJob204Response{}, nil
}
