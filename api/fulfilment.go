package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rightsdesk/rightsdesk/service"
)

func toAPIBackupSystem(b *service.BackupSystem) BackupSystem {
	return BackupSystem{Id: parseUUID(b.ID), Name: b.Name, OwnerEmail: b.OwnerEmail, RefreshSchedule: b.RefreshSchedule,
		Generations: b.Generations, GraceHours: b.GraceHours, CreatedAt: b.CreatedAt}
}

// CreateBackupSystem registers a backup.
func (s *Server) CreateBackupSystem(ctx context.Context, req CreateBackupSystemRequestObject) (CreateBackupSystemResponseObject, error) {
	b := req.Body
	in := service.NewBackupSystem{Name: b.Name, OwnerEmail: b.OwnerEmail, RefreshSchedule: b.RefreshSchedule,
		Generations: b.Generations}
	if b.GraceHours != nil {
		in.GraceHours = *b.GraceHours
	}
	sys, err := s.svc.CreateBackupSystem(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return CreateBackupSystem201JSONResponse(toAPIBackupSystem(sys)), nil
}

// ListBackupSystems answers the backups.
func (s *Server) ListBackupSystems(ctx context.Context, _ ListBackupSystemsRequestObject) (ListBackupSystemsResponseObject, error) {
	list, err := s.svc.BackupSystems(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListBackupSystems200JSONResponse{Items: make([]BackupSystem, 0, len(list))}
	for _, b := range list {
		out.Items = append(out.Items, toAPIBackupSystem(b))
	}
	return out, nil
}

// ListRestores answers a backup system's recorded restores, newest first.
func (s *Server) ListRestores(ctx context.Context, req ListRestoresRequestObject) (ListRestoresResponseObject, error) {
	list, err := s.svc.Restores(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := ListRestores200JSONResponse{Items: make([]Restore, 0, len(list))}
	for _, r := range list {
		out.Items = append(out.Items, Restore{Id: parseUUID(r.ID), BackupSystemId: parseUUID(r.BackupSystemID),
			SnapshotTakenAt: r.SnapshotTakenAt, RecordedAt: r.RecordedAt, RecordedBy: r.RecordedBy})
	}
	return out, nil
}

// RecordRefresh records a backup refresh.
func (s *Server) RecordRefresh(ctx context.Context, req RecordRefreshRequestObject) (RecordRefreshResponseObject, error) {
	res, err := s.svc.RecordRefresh(ctx, actorFrom(ctx), req.Id.String(), req.Body.SnapshotTakenAt)
	if err != nil {
		return nil, err
	}
	out := RecordRefresh201JSONResponse{}
	for _, id := range res.Purged {
		out.Purged = append(out.Purged, parseUUID(id))
	}
	for _, id := range res.Completed {
		out.Completed = append(out.Completed, parseUUID(id))
	}
	if out.Purged == nil {
		out.Purged = []openapi_types.UUID{}
	}
	if out.Completed == nil {
		out.Completed = []openapi_types.UUID{}
	}
	return out, nil
}

// RecordRestore records a restore.
func (s *Server) RecordRestore(ctx context.Context, req RecordRestoreRequestObject) (RecordRestoreResponseObject, error) {
	restored, err := s.svc.RecordRestore(ctx, actorFrom(ctx), req.Id.String(), req.Body.SnapshotTakenAt)
	if err != nil {
		return nil, err
	}
	out := RecordRestore201JSONResponse{ReapplyRequired: make([]RestoredRequest, 0, len(restored))}
	for _, r := range restored {
		out.ReapplyRequired = append(out.ReapplyRequired, RestoredRequest{RequestId: parseUUID(r.RequestID), Reference: r.Reference})
	}
	return out, nil
}

// ListOverduePurges answers the overdue view.
func (s *Server) ListOverduePurges(ctx context.Context, _ ListOverduePurgesRequestObject) (ListOverduePurgesResponseObject, error) {
	list, err := s.svc.OverduePurges(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListOverduePurges200JSONResponse{Items: make([]OverduePurge, 0, len(list))}
	for _, o := range list {
		out.Items = append(out.Items, OverduePurge{RequestId: parseUUID(o.Purge.RequestID), Reference: o.Reference,
			BackupSystemId: parseUUID(o.Purge.BackupSystemID), Name: o.Purge.BackupName, ExecutedAt: o.Purge.ExecutedAt,
			Deadline: o.Deadline, ChasedAt: o.Purge.OverdueNotifiedAt})
	}
	return out, nil
}

func toAPIErasure(e *service.Erasure) *Erasure {
	if e == nil {
		return nil
	}
	out := &Erasure{State: ErasureState(e.State), ExecutedAt: e.ExecutedAt, Systems: e.Systems, CompletedAt: e.CompletedAt,
		Backups: make([]BackupPurge, 0, len(e.Purges))}
	for _, p := range e.Purges {
		out.Backups = append(out.Backups, BackupPurge{BackupSystemId: parseUUID(p.BackupSystemID), Name: p.BackupName,
			State: BackupPurgeState(p.State), PurgedAt: p.PurgedAt})
	}
	return out
}

// RecordErasure records a deletion on the live systems.
func (s *Server) RecordErasure(ctx context.Context, req RecordErasureRequestObject) (RecordErasureResponseObject, error) {
	e, err := s.svc.RecordErasure(ctx, actorFrom(ctx), req.Id.String(), service.ErasureCommand{
		ExecutedAt: req.Body.ExecutedAt, Systems: req.Body.Systems})
	if err != nil {
		return nil, err
	}
	return RecordErasure200JSONResponse(*toAPIErasure(e)), nil
}

// CheckSuppression answers a suppression check.
func (s *Server) CheckSuppression(ctx context.Context, req CheckSuppressionRequestObject) (CheckSuppressionResponseObject, error) {
	p := req.Params
	c, err := s.svc.CheckSuppression(ctx, actorFrom(ctx), str(p.Email), str(p.Phone), p.Purpose)
	if err != nil {
		return nil, err
	}
	return CheckSuppression200JSONResponse{Suppressed: c.Suppressed, Since: c.Since, Reference: strPtr(c.Reference)}, nil
}

func toAPIExport(e *service.Export) Export {
	return Export{Id: parseUUID(e.ID), Name: e.Name, Size: e.Size, Sha256: e.SHA256, CreatedAt: e.CreatedAt, DeletedAt: e.DeletedAt}
}

// errUploadsBusy refuses an upload while Config.MaxConcurrentUploads others are being read.
var errUploadsBusy = service.Errorf(service.EUNAVAILABLE, "too many uploads are being received; retry in a few seconds")

// tooLarge reports whether err is the body limit's: the upload is over the limit, not malformed. A body
// without Content-Length is cut off by the limit while the multipart reader reads it.
func tooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || errors.As(err, &maxErr)
}

// AttachExport reads the "file" part of a multipart upload, at most service.MaxExportSize bytes. The caller's
// right to attach a file to the request is checked before a byte of the body is read, and only so many uploads
// are read at once (Config.MaxConcurrentUploads), so that memory stays bounded whatever clients send.
func (s *Server) AttachExport(ctx context.Context, req AttachExportRequestObject) (AttachExportResponseObject, error) {
	if err := s.svc.CheckExportTarget(ctx, actorFrom(ctx), req.Id.String()); err != nil {
		return nil, err
	}
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		return nil, errUploadsBusy
	}
	for {
		part, err := req.Body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, service.Invalid(service.FieldError{Field: "file", Message: "is required: a multipart part named file"})
		} else if tooLarge(err) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		} else if err != nil {
			return nil, &malformedError{detail: "the multipart body could not be read"}
		}
		if part.FormName() != "file" {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, service.MaxExportSize+1))
		if tooLarge(err) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		} else if err != nil {
			return nil, &malformedError{detail: "the file could not be read"}
		}
		e, err := s.svc.AttachExport(ctx, actorFrom(ctx), req.Id.String(), part.FileName(), content)
		if err != nil {
			return nil, err
		}
		return AttachExport201JSONResponse(toAPIExport(e)), nil
	}
}

// ListExports answers a request's export files.
func (s *Server) ListExports(ctx context.Context, req ListExportsRequestObject) (ListExportsResponseObject, error) {
	list, err := s.svc.Exports(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := ListExports200JSONResponse{Items: make([]Export, 0, len(list))}
	for _, e := range list {
		out.Items = append(out.Items, toAPIExport(e))
	}
	return out, nil
}

// DownloadExport serves the subject's zip, or a page saying why not.
func (s *Server) DownloadExport(ctx context.Context, req DownloadExportRequestObject) (DownloadExportResponseObject, error) {
	d, err := s.svc.DownloadExport(ctx, req.Params.Token)
	if err == nil {
		return downloadResponse{d: d}, nil
	}
	b, n := outcomePage(nil, err, "", "")
	switch service.ErrorCode(err) {
	case service.ENOTFOUND:
		return DownloadExport404TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.ECONFLICT:
		return DownloadExport409TexthtmlResponse{Body: b, ContentLength: n}, nil
	case service.EINVALID:
		return DownloadExport422TexthtmlResponse{Body: b, ContentLength: n}, nil
	}
	return nil, err
}

// downloadResponse sends the zip as an attachment named after the reference.
type downloadResponse struct{ d *service.Download }

func (r downloadResponse) VisitDownloadExportResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.d.FileName+`"`)
	w.Header().Set("Cache-Control", "no-store")
	return DownloadExport200ApplicationzipResponse{Body: bytes.NewReader(r.d.Content),
		ContentLength: int64(len(r.d.Content))}.VisitDownloadExportResponse(w)
}
