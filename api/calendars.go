package api

import (
	"context"
	"encoding/json"
	"fmt"
)

// ListPolicies answers the deadline policies.
func (s *Server) ListPolicies(ctx context.Context, _ ListPoliciesRequestObject) (ListPoliciesResponseObject, error) {
	ps, err := s.svc.Policies(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListPolicies200JSONResponse{Items: make([]Policy, 0, len(ps))}
	for i, p := range ps {
		item := Policy{Name: p.Name, Description: strPtr(p.Description), Calendar: p.Calendar,
			TimeZone: p.Location.String(), Period: Period{Count: p.Period.Count, Unit: PeriodUnit(p.Period.Unit)},
			PauseReasons: make([]HoldReason, len(p.PauseReasons)), Default: i == 0}
		for j, r := range p.PauseReasons {
			item.PauseReasons[j] = HoldReason(r)
		}
		if p.Extension.Count > 0 {
			item.Extension = &Period{Count: p.Extension.Count, Unit: PeriodUnit(p.Extension.Unit)}
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// ListCalendars answers the calendars and their published years.
func (s *Server) ListCalendars(ctx context.Context, _ ListCalendarsRequestObject) (ListCalendarsResponseObject, error) {
	cals, err := s.svc.Calendars(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListCalendars200JSONResponse{Items: make([]Calendar, 0, len(cals))}
	for _, c := range cals {
		out.Items = append(out.Items, Calendar{Name: c.Name, PublishedYears: c.PublishedYears})
	}
	return out, nil
}

// PreviewDeadline answers the n-th working day after a date.
func (s *Server) PreviewDeadline(ctx context.Context, req PreviewDeadlineRequestObject) (PreviewDeadlineResponseObject, error) {
	p, err := s.svc.PreviewDeadline(ctx, actorFrom(ctx), req.Name, fromAPIDate(req.Params.From), req.Params.WorkingDays)
	if err != nil {
		return nil, err
	}
	return PreviewDeadline200JSONResponse{DueDate: toAPIDate(p.DueDate), Provisional: p.Provisional}, nil
}

// GetCalendarYear answers a published schedule.
func (s *Server) GetCalendarYear(ctx context.Context, req GetCalendarYearRequestObject) (GetCalendarYearResponseObject, error) {
	sch, err := s.svc.CalendarYear(ctx, actorFrom(ctx), req.Name, req.Year)
	if err != nil {
		return nil, err
	}
	out := GetCalendarYear200JSONResponse{Year: sch.Year, Days: make([]CalendarDay, 0, len(sch.Days))}
	for _, d := range sch.Days {
		out.Days = append(out.Days, CalendarDay{Name: strPtr(d.Name), Date: toAPIDate(d.Date), IsOffDay: d.OffDay})
	}
	return out, nil
}

// PutCalendarYear loads a newly published schedule.
func (s *Server) PutCalendarYear(ctx context.Context, req PutCalendarYearRequestObject) (PutCalendarYearResponseObject, error) {
	doc, err := json.Marshal(req.Body)
	if err != nil {
		return nil, fmt.Errorf("re-encode schedule: %w", err)
	}
	res, err := s.svc.LoadCalendarYear(ctx, actorFrom(ctx), req.Name, req.Year, doc)
	if err != nil {
		return nil, err
	}
	return PutCalendarYear200JSONResponse{Year: res.Year, Days: res.Days, RecomputedRequests: res.Recomputed}, nil
}
