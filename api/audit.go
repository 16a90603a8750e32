package api

import (
	"bytes"
	"context"

	"github.com/rightsdesk/rightsdesk/service"
)

// VerifyAudit checks the audit chain.
func (s *Server) VerifyAudit(ctx context.Context, _ VerifyAuditRequestObject) (VerifyAuditResponseObject, error) {
	v, err := s.svc.VerifyAudit(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := VerifyAudit200JSONResponse{Ok: v.OK, Checked: v.Checked, Head: &AuditHead{Seq: v.Head.Seq, Hash: v.Head.Hash}}
	if f := v.FirstBad; f != nil {
		out.FirstBad = &AuditFault{Seq: f.Seq, EventId: strPtr(f.EventID), Reason: AuditFaultReason(f.Reason)}
	}
	return out, nil
}

// GetSummaryReport answers the compliance summary, as JSON or CSV.
func (s *Server) GetSummaryReport(ctx context.Context, req GetSummaryReportRequestObject) (GetSummaryReportResponseObject, error) {
	sum, err := s.svc.Summary(ctx, actorFrom(ctx), service.SummaryQuery{From: fromAPIDate(req.Params.From),
		To: fromAPIDate(req.Params.To)})
	if err != nil {
		return nil, err
	}
	if req.Params.Format != nil && *req.Params.Format == GetSummaryReportParamsFormatCsv {
		var b bytes.Buffer
		if err := sum.WriteCSV(&b); err != nil {
			return nil, err
		}
		return GetSummaryReport200TextcsvResponse{Body: &b, ContentLength: int64(b.Len())}, nil
	}
	out := GetSummaryReport200JSONResponse{From: toAPIDate(sum.From), To: toAPIDate(sum.To),
		GeneratedAt: sum.GeneratedAt, Total: toAPITypeSummary(sum.Total)}
	for _, t := range sum.Types {
		out.Types = append(out.Types, toAPITypeSummary(t))
	}
	return out, nil
}

func toAPITypeSummary(t service.TypeSummary) TypeSummary {
	name := string(t.Type)
	if name == "" {
		name = "total"
	}
	byReason := make(map[string]int, len(t.DeniedByReason))
	for k, v := range t.DeniedByReason {
		byReason[string(k)] = v
	}
	return TypeSummary{Type: name, Received: t.Received, Fulfilled: t.Fulfilled, Denied: t.Denied,
		DeniedByReason: byReason, Withdrawn: t.Withdrawn, Expired: t.Expired, Duplicate: t.Duplicate,
		Replied: t.Replied, RepliedOnTime: t.RepliedOnTime, OnTimeRate: t.OnTimeRate,
		MedianWorkingDaysToReply: t.MedianDaysToReply, P90WorkingDaysToReply: t.P90DaysToReply,
		OpenNow: t.OpenNow, OverdueNow: t.OverdueNow}
}

// ListAuditEvents answers the events that concern no request, with their actors named.
func (s *Server) ListAuditEvents(ctx context.Context, req ListAuditEventsRequestObject) (ListAuditEventsResponseObject, error) {
	var after int64
	if req.Params.After != nil {
		after = *req.Params.After
	}
	limit := 0
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	page, err := s.svc.AuditEvents(ctx, actorFrom(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	out := ListAuditEvents200JSONResponse{Items: make([]AuditEvent, 0, len(page.Items))}
	for _, it := range page.Items {
		e := it.Event
		data := make(map[string]interface{}, len(e.Data))
		for k, v := range e.Data {
			data[k] = v
		}
		out.Items = append(out.Items, AuditEvent{Id: parseUUID(e.ID), Seq: e.Seq, At: e.At, Action: e.Action,
			Data: data, Actor: AuditActor{Id: it.Actor.ID, Name: it.Actor.Name, Role: AuditActorRole(it.Actor.Role)}})
	}
	if page.NextAfter > 0 {
		out.NextAfter = &page.NextAfter
	}
	return out, nil
}
