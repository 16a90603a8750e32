package api

import (
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

// TransitionRequest moves a request.
func (s *Server) TransitionRequest(ctx context.Context, req TransitionRequestRequestObject) (TransitionRequestResponseObject, error) {
	r, err := s.svc.Transition(ctx, actorFrom(ctx), req.Id.String(), service.TransitionCommand{
		To: service.Status(req.Body.To), Reason: str(req.Body.Reason), Message: str(req.Body.Message)})
	if err != nil {
		return nil, err
	}
	return TransitionRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}

// AssignRequest assigns a request.
func (s *Server) AssignRequest(ctx context.Context, req AssignRequestRequestObject) (AssignRequestResponseObject, error) {
	var cmd service.AssignCommand
	if req.Body.AssigneeId != nil {
		cmd.AssigneeID = req.Body.AssigneeId.String()
	}
	r, err := s.svc.Assign(ctx, actorFrom(ctx), req.Id.String(), cmd)
	if err != nil {
		return nil, err
	}
	return AssignRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}

// ReplyToRequest records the reply.
func (s *Server) ReplyToRequest(ctx context.Context, req ReplyToRequestRequestObject) (ReplyToRequestResponseObject, error) {
	cmd := service.ReplyCommand{Outcome: service.Status(req.Body.Outcome), Message: str(req.Body.Message)}
	if req.Body.FollowUpDeletion != nil {
		cmd.FollowUpDeletion = *req.Body.FollowUpDeletion
	}
	if req.Body.Corrections != nil {
		for _, c := range *req.Body.Corrections {
			cmd.Corrections = append(cmd.Corrections, service.CorrectionOutcome{Index: c.Index,
				Outcome: string(c.Outcome), Reason: str(c.Reason)})
		}
	}
	if req.Body.DenialReason != nil {
		cmd.DenialReason = service.DenialReason(*req.Body.DenialReason)
	}
	r, err := s.svc.Reply(ctx, actorFrom(ctx), req.Id.String(), cmd)
	if err != nil {
		return nil, err
	}
	return ReplyToRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}

// MergeRequest closes a duplicate.
func (s *Server) MergeRequest(ctx context.Context, req MergeRequestRequestObject) (MergeRequestResponseObject, error) {
	r, err := s.svc.Merge(ctx, actorFrom(ctx), req.Id.String(), req.Body.Into.String())
	if err != nil {
		return nil, err
	}
	return MergeRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}

// ExtendRequest extends a deadline.
func (s *Server) ExtendRequest(ctx context.Context, req ExtendRequestRequestObject) (ExtendRequestResponseObject, error) {
	cmd := service.ExtendCommand{Reason: req.Body.Reason}
	if req.Body.Count != nil {
		cmd.Count = *req.Body.Count
	}
	r, err := s.svc.Extend(ctx, actorFrom(ctx), req.Id.String(), cmd)
	if err != nil {
		return nil, err
	}
	return ExtendRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}

func toAPINote(n *service.Note) Note {
	return Note{Id: parseUUID(n.ID), Author: parseUUID(n.AuthorID), Body: n.Body, CreatedAt: n.CreatedAt}
}

// AddRequestNote adds a note.
func (s *Server) AddRequestNote(ctx context.Context, req AddRequestNoteRequestObject) (AddRequestNoteResponseObject, error) {
	n, err := s.svc.AddNote(ctx, actorFrom(ctx), req.Id.String(), req.Body.Body)
	if err != nil {
		return nil, err
	}
	return AddRequestNote201JSONResponse(toAPINote(n)), nil
}

// ListRequestNotes answers a request's notes.
func (s *Server) ListRequestNotes(ctx context.Context, req ListRequestNotesRequestObject) (ListRequestNotesResponseObject, error) {
	notes, err := s.svc.Notes(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := ListRequestNotes200JSONResponse{Items: make([]Note, 0, len(notes))}
	for _, n := range notes {
		out.Items = append(out.Items, toAPINote(n))
	}
	return out, nil
}
