package api

import (
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// parseUUID converts a service ID; IDs are UUIDs by construction, except the "system" actor's.
func parseUUID(id string) openapi_types.UUID {
	u, _ := uuid.Parse(id)
	return u
}

func uuidPtr(id string) *openapi_types.UUID {
	if id == "" {
		return nil
	}
	u := parseUUID(id)
	return &u
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func toAPIDate(d calendar.Date) openapi_types.Date {
	return openapi_types.Date{Time: d.Start(time.UTC)}
}

func fromAPIDate(d openapi_types.Date) calendar.Date {
	return calendar.DateOf(d.Time)
}

// toAPIRequest renders a request; times are shown in its policy's time zone. withSubject false leaves out the
// subject's personal data (listings).
func (s *Server) toAPIRequest(r *service.Request, withSubject bool) Request {
	loc := s.svc.Location(r.Policy)
	out := Request{
		Id: parseUUID(r.ID), Reference: r.Reference, Type: RequestType(r.Type), Status: Status(r.Status),
		Channel: Channel(r.Channel), Policy: r.Policy, ExternalId: strPtr(r.ExternalID),
		ReceivedAt: r.ReceivedAt.In(loc), DueDate: toAPIDate(r.Due.Date), DueAt: r.Due.At.In(loc),
		DueProvisional: r.Due.Provisional,
		Clock:          Clock{Paused: r.Clock.Paused != nil, WorkingDaysUsed: s.svc.DaysUsed(r)},
		Queue:          uuidPtr(r.QueueID), Assignee: uuidPtr(r.AssigneeID),
		CreatedAt: r.CreatedAt.In(loc), UpdatedAt: r.UpdatedAt.In(loc),
		Details: toAPIDetails(r.Details),
	}
	if r.EscalationLevel != "" {
		l := RequestEscalationLevel(r.EscalationLevel)
		out.EscalationLevel = &l
	}
	out.RepliedAt = timeIn(r.RepliedAt, loc)
	if r.Outcome != "" {
		o := RequestOutcome(r.Outcome)
		out.Outcome = &o
	}
	if r.DenialReason != "" {
		d := RequestDenialReason(r.DenialReason)
		out.DenialReason = &d
	}
	out.ClosedAt = timeIn(r.ClosedAt, loc)
	out.VerifiedAt = timeIn(r.VerifiedAt, loc)
	out.DuplicateOf = uuidPtr(r.DuplicateOf)
	out.PossibleDuplicateOf = uuidPtr(r.PossibleDuplicateOf)
	out.Locale = Locale(r.Locale)
	out.LinkedRequest = uuidPtr(r.LinkedRequestID)
	out.RedactedAt = timeIn(r.RedactedAt, loc)
	if withSubject {
		sub := toAPISubject(r.Subject)
		out.Subject = &sub
		out.ReplyMessage = strPtr(r.ReplyMessage)
		if len(r.CorrectionOutcomes) > 0 {
			outcomes := make([]CorrectionOutcome, len(r.CorrectionOutcomes))
			for i, c := range r.CorrectionOutcomes {
				outcomes[i] = CorrectionOutcome{Index: c.Index, Outcome: CorrectionOutcomeOutcome(c.Outcome), Reason: strPtr(c.Reason)}
			}
			out.CorrectionOutcomes = &outcomes
		}
	} else {
		out.Details = Details{}
	}
	return out
}

func timeIn(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

func toAPISubject(s service.Subject) Subject {
	out := Subject{Name: strPtr(s.Name), Email: strPtr(s.Email), Phone: strPtr(s.Phone),
		AccountId: strPtr(s.AccountID)}
	minor := s.IsMinor
	out.IsMinor = &minor
	if g := s.Guardian; g != nil {
		out.Guardian = &Guardian{Name: strPtr(g.Name), Email: strPtr(g.Email), Relationship: strPtr(g.Relationship)}
	}
	return out
}

func toAPIDetails(d service.Details) Details {
	out := Details{Explanation: strPtr(d.Explanation), AccountId: strPtr(d.AccountID)}
	if d.Categories != nil {
		out.Categories = &d.Categories
	}
	if d.Purposes != nil {
		out.Purposes = &d.Purposes
	}
	if d.Ground != "" {
		g := DeletionGround(d.Ground)
		out.Ground = &g
	}
	if d.Format != "" {
		f := DetailsFormat(d.Format)
		out.Format = &f
	}
	if d.Corrections != nil {
		cs := make([]Correction, len(d.Corrections))
		for i, c := range d.Corrections {
			cs[i] = Correction{Field: strPtr(c.Field), CurrentValue: strPtr(c.CurrentValue),
				CorrectedValue: strPtr(c.CorrectedValue)}
		}
		out.Corrections = &cs
	}
	if r := d.Recipient; r != nil {
		out.Recipient = &Recipient{Name: strPtr(r.Name), Endpoint: strPtr(r.Endpoint)}
	}
	return out
}

func fromAPINewRequest(b *NewRequest, key *string) service.FileRequestCommand {
	cmd := service.FileRequestCommand{
		Type: service.RequestType(b.Type), Channel: service.Channel(b.Channel), ReceivedAt: b.ReceivedAt,
		Policy: str(b.Policy), ExternalID: str(b.ExternalId), IdempotencyKey: str(key),
		Subject: service.Subject{Name: str(b.Subject.Name), Email: str(b.Subject.Email),
			Phone: str(b.Subject.Phone), AccountID: str(b.Subject.AccountId)},
	}
	if b.Locale != nil {
		cmd.Locale = string(*b.Locale)
	}
	if b.Subject.IsMinor != nil {
		cmd.Subject.IsMinor = *b.Subject.IsMinor
	}
	if g := b.Subject.Guardian; g != nil {
		cmd.Subject.Guardian = &service.Guardian{Name: str(g.Name), Email: str(g.Email), Relationship: str(g.Relationship)}
	}
	if d := b.Details; d != nil {
		cmd.Details = service.Details{Explanation: str(d.Explanation), AccountID: str(d.AccountId)}
		if d.Categories != nil {
			cmd.Details.Categories = *d.Categories
		}
		if d.Purposes != nil {
			cmd.Details.Purposes = *d.Purposes
		}
		if d.Ground != nil {
			cmd.Details.Ground = service.DeletionGround(*d.Ground)
		}
		if d.Format != nil {
			cmd.Details.Format = string(*d.Format)
		}
		if d.Corrections != nil {
			cmd.Details.Corrections = make([]service.Correction, len(*d.Corrections))
			for i, c := range *d.Corrections {
				cmd.Details.Corrections[i] = service.Correction{Field: str(c.Field),
					CurrentValue: str(c.CurrentValue), CorrectedValue: str(c.CorrectedValue)}
			}
		}
		if r := d.Recipient; r != nil {
			cmd.Details.Recipient = &service.Recipient{Name: str(r.Name), Endpoint: str(r.Endpoint)}
		}
	}
	return cmd
}

func toAPIEvent(e *service.Event) Event {
	out := Event{Id: parseUUID(e.ID), Seq: e.Seq, At: e.At, Actor: e.ActorID, Action: e.Action}
	if e.RequestID != "" {
		id := parseUUID(e.RequestID)
		out.RequestId = &id
	}
	if len(e.Data) > 0 {
		data := make(map[string]interface{}, len(e.Data))
		for k, v := range e.Data {
			data[k] = v
		}
		out.Data = &data
	}
	return out
}
