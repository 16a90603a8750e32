package api

import (
	"bytes"
	"context"
	"mime"
	"net/http"

	"github.com/rightsdesk/rightsdesk/service"
)

// ListSubjectMessages answers the questions put to a subject and the subject's answers.
func (s *Server) ListSubjectMessages(ctx context.Context, req ListSubjectMessagesRequestObject) (ListSubjectMessagesResponseObject, error) {
	msgs, err := s.svc.SubjectMessages(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := ListSubjectMessages200JSONResponse{Items: []SubjectMessage{}}
	for _, m := range msgs {
		am := SubjectMessage{Id: parseUUID(m.ID), Kind: SubjectMessageKind(m.Kind), Body: m.Body, CreatedAt: m.CreatedAt,
			Files: []SubjectFile{}}
		for _, f := range m.Files {
			am.Files = append(am.Files, SubjectFile{Id: parseUUID(f.ID), Name: f.Name, ContentType: f.ContentType,
				Size: f.Size, Sha256: f.SHA256, CreatedAt: f.CreatedAt})
		}
		out.Items = append(out.Items, am)
	}
	return out, nil
}

// GetSubjectFile answers one file a subject sent, as an attachment.
func (s *Server) GetSubjectFile(ctx context.Context, req GetSubjectFileRequestObject) (GetSubjectFileResponseObject, error) {
	f, err := s.svc.SubjectFileOf(ctx, actorFrom(ctx), req.Id.String(), req.FileId.String())
	if err != nil {
		return nil, err
	}
	return subjectFileResponse{f: f}, nil
}

// subjectFileResponse sends a subject's file for download, never for display.
type subjectFileResponse struct{ f *service.SubjectFile }

func (r subjectFileResponse) VisitGetSubjectFileResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": r.f.Name}))
	return GetSubjectFile200ApplicationoctetStreamResponse{Body: bytes.NewReader(r.f.Content),
		ContentLength: int64(len(r.f.Content))}.VisitGetSubjectFileResponse(w)
}
