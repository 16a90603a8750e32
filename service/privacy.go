package service

import (
	"context"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// The privacy center (`/privacy/`) is the subject's own way in: it files requests as a web form with an intake
// token would, and shows the subject their request through a status link e-mailed to them. Its use cases live
// here; the pages only translate form values and results.

// PrivacyCenterActor files requests from the privacy center's form. It is an intake: its requests start
// unverified, the per-subject cap applies, and the subject confirms by e-mail, exactly as for a web form's
// intake token.
var PrivacyCenterActor = Actor{UserID: "privacy-center", Name: "privacy center", Role: RoleIntake}

// linkStatus is the purpose of the status link every e-mail to the subject carries.
const linkStatus = "status"

// statusLinkLife bounds a status link before the request's retention ends it (see statusLinkExpired): a link
// is never kept longer than an open request could plausibly run plus the retention.
const statusLinkLife = 20 * 365 * 24 * time.Hour

// FileFromPrivacyCenter files a request made on the privacy center's form: a web-form filing, received now,
// under the default policy, validated and limited like any intake's. formKey identifies the served form (""
// for none): the same form sent twice with the same content files one request, as an Idempotency-Key would.
func (s *Intake) FileFromPrivacyCenter(ctx context.Context, cmd FileRequestCommand, formKey string) (*Request, error) {
	cmd.Channel, cmd.ReceivedAt, cmd.Policy, cmd.IdempotencyKey = ChannelWebForm, nil, "", formKey
	r, _, err := s.FileRequest(ctx, PrivacyCenterActor, cmd)
	return r, err
}

// DueSpan is how long the organisation has to reply, counted in the request's policy unit: "15 working days".
type DueSpan struct {
	Count int
	Unit  PeriodUnit
}

// DueSpanOf answers the reply period a request was given when filed, in its policy's unit (months as days).
func (s *core) DueSpanOf(r *Request) DueSpan {
	unit := UnitDays
	if p, err := s.policy(r.Policy); err == nil && p.Period.Unit == UnitWorkingDays {
		unit = UnitWorkingDays
	}
	return DueSpan{Count: r.Clock.Budget - r.Clock.Used, Unit: unit}
}

// SubjectEvent is one step of a request as its subject sees it: never an internal note, never who did it.
type SubjectEvent struct {
	At   time.Time
	Kind string // filed, verified, in_progress, awaiting_information, on_hold, answered, extended, fulfilled, denied, withdrawn, expired, duplicate
}

// SubjectView is what the status page shows: the request's progress and the actions open to its subject. It
// holds nothing of the subject's personal data.
type SubjectView struct {
	Reference      string
	Type           RequestType
	Status         Status
	Locale         string
	ForMinor       bool
	ReceivedAt     time.Time
	DueDate        calendar.Date
	DueProvisional bool
	ClockPaused    bool
	Span           DueSpan
	// AwaitingAnswer: on hold awaiting the subject's information, with the officer's question.
	AwaitingAnswer bool
	Question       string
	CanWithdraw    bool
	// CanDownload: fulfilled with export files, within the download window that ends at DownloadUntil.
	CanDownload   bool
	DownloadUntil time.Time
	Timeline      []SubjectEvent
}

// statusLinkReader is what finding the request behind a status link reads.
type statusLinkReader interface {
	FindSubjectLink(ctx context.Context, hash string) (*SubjectLink, error)
	FindRequest(ctx context.Context, id string) (*Request, error)
}

// statusLink finds the request behind a status link. ENOTFOUND for an unknown token and for a link whose
// request is past its retention (the link expires with the request's personal data).
func (s *core) statusLink(ctx context.Context, tx statusLinkReader, token string) (*Request, error) {
	if err := validLinkToken(token); err != nil {
		return nil, err
	}
	l, err := tx.FindSubjectLink(ctx, HashTokenSecret(token))
	if ErrorCode(err) == ENOTFOUND || (err == nil && l.Purpose != linkStatus) {
		return nil, Errorf(ENOTFOUND, "this link is not valid")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	r, err := tx.FindRequest(ctx, l.RequestID)
	if err != nil {
		return nil, err
	}
	if now.After(l.ExpiresAt) || r.RedactedAt != nil || (r.ClosedAt != nil && now.After(r.ClosedAt.Add(s.retention))) {
		return nil, Errorf(ENOTFOUND, "this link is not valid")
	}
	return r, nil
}

// newStatusLink makes a new status link for r and its URL, without storing it. Every e-mail to the subject gets
// its own.
func (s *core) newStatusLink(r *Request) (*SubjectLink, string) {
	token := newLinkToken()
	now := s.now()
	return &SubjectLink{TokenHash: HashTokenSecret(token), RequestID: r.ID, Purpose: linkStatus,
		ExpiresAt: now.Add(statusLinkLife), CreatedAt: now}, s.publicURL + "/privacy/status/" + token
}

// SubjectStatus answers what the status page shows for a status link.
func (s *Intake) SubjectStatus(ctx context.Context, token string) (*SubjectView, error) {
	var v *SubjectView
	err := s.begin(ctx, func(tx intakeStore) error {
		r, err := s.statusLink(ctx, tx, token)
		if err != nil {
			return err
		}
		events, err := tx.RequestEvents(ctx, r.ID)
		if err != nil {
			return err
		}
		v = &SubjectView{Reference: r.Reference, Type: r.Type, Status: r.Status, Locale: r.Locale,
			ForMinor: r.Subject.IsMinor, ReceivedAt: r.ReceivedAt, DueDate: r.Due.Date,
			DueProvisional: r.Due.Provisional, ClockPaused: r.Clock.Paused != nil, Span: s.DueSpanOf(r),
			CanWithdraw: CanMove(r.Status, StatusWithdrawn), Timeline: subjectTimeline(events)}
		if r.Status == StatusOnHold && holdReason(events) == PauseAwaitingSubjectInformation {
			v.AwaitingAnswer = true
			q, err := tx.LatestSubjectMessage(ctx, r.ID, MessageQuestion)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return err
			}
			if q != nil {
				v.Question = q.Body
			}
		}
		if r.Status == StatusFulfilled && r.RepliedAt != nil {
			exports, err := tx.RequestExports(ctx, r.ID, false)
			if err != nil {
				return err
			}
			v.DownloadUntil = r.RepliedAt.Add(downloadLife)
			v.CanDownload = len(exports) > 0 && !s.now().After(v.DownloadUntil)
		}
		return nil
	})
	return v, err
}

// holdReason is the coded reason of the request's latest move to on_hold ("" if free text or none).
func holdReason(events []*Event) string {
	reason := ""
	for _, e := range events {
		if e.Action == "request.transitioned" && e.Data["to"] == string(StatusOnHold) {
			reason = e.Data["reason"]
		}
	}
	return reason
}

// subjectTimeline turns the audit trail into the steps a subject may see, oldest first.
func subjectTimeline(events []*Event) []SubjectEvent {
	var out []SubjectEvent
	for _, e := range events {
		kind := ""
		switch e.Action {
		case "request.filed":
			kind = "filed"
		case "request.verified":
			kind = "verified"
		case "request.extended":
			kind = "extended"
		case "request.answered":
			kind = "answered"
		case "request.expired":
			kind = "expired"
		case "request.merged":
			kind = "duplicate"
		case "request.replied":
			kind = e.Data["outcome"]
		case "request.transitioned":
			switch to := Status(e.Data["to"]); {
			case to == StatusOnHold && e.Data["reason"] == PauseAwaitingSubjectInformation:
				kind = "awaiting_information"
			case to == StatusOpen && e.Data["from"] == string(StatusUnverified):
				kind = "verified"
			case to == StatusOnHold, to == StatusInProgress, to == StatusWithdrawn:
				kind = string(to)
			}
		}
		if kind != "" && !(kind == string(StatusInProgress) && len(out) > 0 && out[len(out)-1].Kind == "answered") {
			out = append(out, SubjectEvent{At: e.At, Kind: kind})
		}
	}
	return out
}

// WithdrawByStatusLink withdraws a request from its status page.
func (s *Intake) WithdrawByStatusLink(ctx context.Context, token string) (*Request, error) {
	var out *Request
	err := s.begin(ctx, func(tx intakeStore) error {
		r, err := s.statusLink(ctx, tx, token)
		if err != nil {
			return err
		}
		if err := s.withdrawForSubject(ctx, tx, r, "status_link"); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// DownloadByStatusLink answers the export package of a fulfilled request from its status page, within the
// same window as the download link in the reply, and audits the download.
func (s *Intake) DownloadByStatusLink(ctx context.Context, token string) (*Download, error) {
	var out *Download
	err := s.begin(ctx, func(tx intakeStore) error {
		r, err := s.statusLink(ctx, tx, token)
		if err != nil {
			return err
		}
		now := s.now()
		if r.Status != StatusFulfilled || r.RepliedAt == nil || now.After(r.RepliedAt.Add(downloadLife)) {
			return Errorf(ECONFLICT, "there is nothing to download for this request now")
		}
		exports, err := tx.RequestExports(ctx, r.ID, true)
		if err != nil {
			return err
		}
		if len(exports) == 0 {
			return Errorf(ECONFLICT, "there is nothing to download for this request now")
		}
		zipped, err := packageExports(r, exports, now)
		if err != nil {
			return err
		}
		out = &Download{FileName: r.Reference + ".zip", Content: zipped}
		return s.appendEvent(ctx, tx, SubjectActor, "export.downloaded", r.ID, map[string]string{
			"size": fmt.Sprint(len(zipped)), "by": "status_link"})
	})
	return out, err
}

// PageSecret is the key the pages sign their form tokens with: derived from the index secret, which every
// replica shares and which never rotates, so a form served by one replica is accepted by another.
func (s *core) PageSecret() []byte {
	return derive(s.keys.index, "rightsdesk pages v1")
}
