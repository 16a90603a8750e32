package api

import (
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

// toAPIAllowedHost renders an allow-list entry; the operator's entries have no note, author or time.
func toAPIAllowedHost(h *service.AllowedHost) AllowedHost {
	out := AllowedHost{Host: h.Host, Source: AllowedHostSource(h.Source), Note: strPtr(h.Note)}
	if h.Source == service.AllowedByAPI {
		out.CreatedBy = uuidPtr(h.CreatedBy)
		out.CreatedAt = &h.CreatedAt
	}
	return out
}

// ListAllowedHosts answers the transmit allow-list.
func (s *Server) ListAllowedHosts(ctx context.Context, _ ListAllowedHostsRequestObject) (ListAllowedHostsResponseObject, error) {
	hosts, err := s.svc.AllowedHosts(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListAllowedHosts200JSONResponse{Items: make([]AllowedHost, 0, len(hosts))}
	for _, h := range hosts {
		out.Items = append(out.Items, toAPIAllowedHost(h))
	}
	return out, nil
}

// PutAllowedHost adds a host to the admins' allow-list: 201 when added, 200 when it was there already.
func (s *Server) PutAllowedHost(ctx context.Context, req PutAllowedHostRequestObject) (PutAllowedHostResponseObject, error) {
	h, created, err := s.svc.AddAllowedHost(ctx, actorFrom(ctx), service.NewAllowedHost{Host: req.Host,
		Note: str(req.Body.Note)})
	if err != nil {
		return nil, err
	}
	if created {
		return PutAllowedHost201JSONResponse(toAPIAllowedHost(h)), nil
	}
	return PutAllowedHost200JSONResponse(toAPIAllowedHost(h)), nil
}

// DeleteAllowedHost takes a host off the admins' allow-list.
func (s *Server) DeleteAllowedHost(ctx context.Context, req DeleteAllowedHostRequestObject) (DeleteAllowedHostResponseObject, error) {
	if err := s.svc.RemoveAllowedHost(ctx, actorFrom(ctx), req.Host); err != nil {
		return nil, err
	}
	return DeleteAllowedHost204Response{}, nil
}
