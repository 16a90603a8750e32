package api

import (
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

// CreateRequest files a request.
func (s *Server) CreateRequest(ctx context.Context, req CreateRequestRequestObject) (CreateRequestResponseObject, error) {
	r, replayed, err := s.svc.FileRequest(ctx, actorFrom(ctx), fromAPINewRequest(req.Body, req.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	body := s.toAPIRequest(r, true)
	if replayed {
		yes := "true"
		return CreateRequest200JSONResponse{Body: body, Headers: CreateRequest200ResponseHeaders{IdempotentReplayed: &yes}}, nil
	}
	loc := "/api/v1/requests/" + r.ID
	return CreateRequest201JSONResponse{Body: body, Headers: CreateRequest201ResponseHeaders{Location: &loc}}, nil
}

// GetRequest reads a request, with its subject; an audited read.
func (s *Server) GetRequest(ctx context.Context, req GetRequestRequestObject) (GetRequestResponseObject, error) {
	r, err := s.svc.Request(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := s.toAPIRequest(r, true)
	if r.Type == service.TypeDeletion {
		e, err := s.svc.RequestErasure(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out.Erasure = toAPIErasure(e)
	}
	return GetRequest200JSONResponse(out), nil
}

// ListRequests lists requests by due time.
func (s *Server) ListRequests(ctx context.Context, req ListRequestsRequestObject) (ListRequestsResponseObject, error) {
	p := req.Params
	q := service.ListRequestsQuery{AssigneeID: p.Assignee, Cursor: str(p.Cursor), Reference: p.Reference,
		SubjectEmail: p.SubjectEmail, SubjectPhone: p.SubjectPhone}
	if p.Status != nil {
		st := service.Status(*p.Status)
		q.Status = &st
	}
	if p.Type != nil {
		t := service.RequestType(*p.Type)
		q.Type = &t
	}
	if p.Queue != nil {
		id := p.Queue.String()
		q.QueueID = &id
	}
	if p.Overdue != nil {
		q.Overdue = *p.Overdue
	}
	if p.DueBefore != nil {
		d := fromAPIDate(*p.DueBefore).String()
		q.DueBefore = &d
	}
	if p.Limit != nil {
		q.Limit = *p.Limit
	}
	q.DueWithin = p.DueWithin
	page, err := s.svc.ListRequests(ctx, actorFrom(ctx), q)
	if err != nil {
		return nil, err
	}
	out := ListRequests200JSONResponse{Items: make([]Request, 0, len(page.Items)), NextCursor: strPtr(page.NextCursor)}
	for _, r := range page.Items {
		out.Items = append(out.Items, s.toAPIRequest(r, false))
	}
	return out, nil
}

// ListRequestEvents answers a request's audit trail.
func (s *Server) ListRequestEvents(ctx context.Context, req ListRequestEventsRequestObject) (ListRequestEventsResponseObject, error) {
	events, err := s.svc.RequestEvents(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	out := ListRequestEvents200JSONResponse{Items: make([]Event, 0, len(events))}
	for _, e := range events {
		out.Items = append(out.Items, toAPIEvent(e))
	}
	return out, nil
}
