package api

import (
	"context"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rightsdesk/rightsdesk/service"
)

func toAPIQueue(q *service.Queue) Queue {
	out := Queue{Id: parseUUID(q.ID), Name: q.Name, EscalationEmail: q.EscalationEmail, Locale: Locale(q.Locale),
		Default: q.Default, Members: make([]openapi_types.UUID, 0, len(q.Members)), CreatedAt: q.CreatedAt,
		UpdatedAt: q.UpdatedAt}
	for _, m := range q.Members {
		out.Members = append(out.Members, parseUUID(m))
	}
	types := make([]RequestType, 0, len(q.Routes.Types))
	for _, t := range q.Routes.Types {
		types = append(types, RequestType(t))
	}
	channels := make([]Channel, 0, len(q.Routes.Channels))
	for _, c := range q.Routes.Channels {
		channels = append(channels, Channel(c))
	}
	out.Routes = QueueRoutes{Types: &types, Channels: &channels}
	return out
}

func fromAPIQueue(p QueuePatch) service.QueueInput {
	in := service.QueueInput{Name: p.Name, EscalationEmail: p.EscalationEmail, Default: p.Default}
	if p.Locale != nil {
		l := string(*p.Locale)
		in.Locale = &l
	}
	if p.Members != nil {
		members := make([]string, len(*p.Members))
		for i, m := range *p.Members {
			members[i] = m.String()
		}
		in.Members = &members
	}
	if p.Routes != nil {
		var r service.QueueRoutes
		if p.Routes.Types != nil {
			for _, t := range *p.Routes.Types {
				r.Types = append(r.Types, service.RequestType(t))
			}
		}
		if p.Routes.Channels != nil {
			for _, c := range *p.Routes.Channels {
				r.Channels = append(r.Channels, service.Channel(c))
			}
		}
		in.Routes = &r
	}
	return in
}

// CreateQueue creates a queue.
func (s *Server) CreateQueue(ctx context.Context, req CreateQueueRequestObject) (CreateQueueResponseObject, error) {
	b := req.Body
	q, err := s.svc.CreateQueue(ctx, actorFrom(ctx), fromAPIQueue(QueuePatch{Name: &b.Name,
		EscalationEmail: b.EscalationEmail, Locale: b.Locale, Members: b.Members, Routes: b.Routes, Default: b.Default}))
	if err != nil {
		return nil, err
	}
	return CreateQueue201JSONResponse(toAPIQueue(q)), nil
}

// UpdateQueue changes a queue.
func (s *Server) UpdateQueue(ctx context.Context, req UpdateQueueRequestObject) (UpdateQueueResponseObject, error) {
	q, err := s.svc.UpdateQueue(ctx, actorFrom(ctx), req.Id.String(), fromAPIQueue(*req.Body))
	if err != nil {
		return nil, err
	}
	return UpdateQueue200JSONResponse(toAPIQueue(q)), nil
}

// GetQueue answers one queue.
func (s *Server) GetQueue(ctx context.Context, req GetQueueRequestObject) (GetQueueResponseObject, error) {
	q, err := s.svc.Queue(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return GetQueue200JSONResponse(toAPIQueue(q)), nil
}

// ListQueues answers the queues.
func (s *Server) ListQueues(ctx context.Context, _ ListQueuesRequestObject) (ListQueuesResponseObject, error) {
	qs, err := s.svc.Queues(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListQueues200JSONResponse{Items: make([]Queue, 0, len(qs))}
	for _, q := range qs {
		out.Items = append(out.Items, toAPIQueue(q))
	}
	return out, nil
}

// DeleteQueue deletes an empty queue.
func (s *Server) DeleteQueue(ctx context.Context, req DeleteQueueRequestObject) (DeleteQueueResponseObject, error) {
	if err := s.svc.DeleteQueue(ctx, actorFrom(ctx), req.Id.String()); err != nil {
		return nil, err
	}
	return DeleteQueue204Response{}, nil
}

// MoveRequest moves a request to another queue.
func (s *Server) MoveRequest(ctx context.Context, req MoveRequestRequestObject) (MoveRequestResponseObject, error) {
	r, err := s.svc.MoveRequest(ctx, actorFrom(ctx), req.Id.String(), service.MoveCommand{QueueID: req.Body.QueueId.String()})
	if err != nil {
		return nil, err
	}
	return MoveRequest200JSONResponse(s.toAPIRequest(r, true)), nil
}
