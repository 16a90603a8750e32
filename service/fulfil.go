package service

import (
	"context"
	"fmt"
	"time"
)

// checkReplyFits refuses reply fields that do not fit the request: follow-up deletions belong to fulfilled
// account cancellations, correction outcomes to rectifications, and a fulfilled copy needs its files.
func (s *Workflow) checkReplyFits(r *Request, cmd ReplyCommand) error {
	if cmd.FollowUpDeletion && (r.Type != TypeAccountCancellation || cmd.Outcome != StatusFulfilled) {
		return Invalid(FieldError{"follow_up_deletion", "only a fulfilled account cancellation opens a follow-up deletion"})
	}
	if len(cmd.Corrections) > 0 && r.Type != TypeRectification {
		return Invalid(FieldError{"corrections", "only a rectification records correction outcomes"})
	}
	seen := map[int]bool{}
	for i, c := range cmd.Corrections {
		if c.Index < 0 || c.Index >= len(r.Details.Corrections) || seen[c.Index] {
			return Invalid(FieldError{fmt.Sprintf("corrections[%d].index", i),
				fmt.Sprintf("must name one of the request's %d corrections, once", len(r.Details.Corrections))})
		}
		seen[c.Index] = true
	}
	// A fulfilled rectification says what became of every correction; a denial covers them all, or lists each.
	if r.Type == TypeRectification && (cmd.Outcome == StatusFulfilled || len(cmd.Corrections) > 0) {
		var missing []FieldError
		for i := range r.Details.Corrections {
			if !seen[i] {
				missing = append(missing, FieldError{fmt.Sprintf("corrections[%d]", i),
					fmt.Sprintf("no outcome for the request's correction at index %d: each correction needs one (applied, or refused with a reason)", i)})
			}
		}
		if len(missing) > 0 {
			return Invalid(missing...)
		}
	}
	return nil
}

// fulfil carries out what fulfilling each type of request means beyond the reply, inside the reply's
// transaction, and answers extra data for the reply mail.
func (s *Workflow) fulfil(ctx context.Context, tx workflowStore, a Actor, r *Request, cmd ReplyCommand, now time.Time) (map[string]string, error) {
	if cmd.Outcome != StatusFulfilled {
		return nil, nil
	}
	switch r.Type {
	case TypeConsentWithdrawal:
		return nil, s.suppress(ctx, tx, r, now)
	case TypeAccountCancellation:
		if cmd.FollowUpDeletion {
			return nil, s.openFollowUpDeletion(ctx, tx, a, r, now)
		}
	case TypeAccess, TypePortability:
		exports, err := tx.RequestExports(ctx, r.ID, false)
		if err != nil {
			return nil, err
		}
		if len(exports) == 0 {
			return nil, Errorf(ECONFLICT, "attach the export files (POST /api/v1/requests/%s/exports) before fulfilling", r.ID)
		}
		url, err := s.createLink(ctx, tx, r, linkDownload, downloadLife)
		if err != nil {
			return nil, err
		}
		if rec := r.Details.Recipient; r.Type == TypePortability && rec != nil {
			if err := tx.CreateTransmission(ctx, &Transmission{ID: s.newID(), RequestID: r.ID, Endpoint: rec.Endpoint,
				Status: MailPending, NextAttemptAt: now, CreatedAt: now}); err != nil {
				return nil, err
			}
		}
		return map[string]string{"DownloadURL": url, "Expires": now.Add(downloadLife).Format("2006-01-02")}, nil
	}
	return nil, nil
}

// openFollowUpDeletion files the deletion an account cancellation leads to, linked both ways.
func (s *Workflow) openFollowUpDeletion(ctx context.Context, tx workflowStore, a Actor, r *Request, now time.Time) error {
	p, err := s.policy(r.Policy)
	if err != nil {
		return err
	}
	cmd := &FileRequestCommand{Type: TypeDeletion, Subject: r.Subject, Channel: r.Channel, Policy: r.Policy,
		Locale: r.Locale, Details: Details{Ground: GroundNoLongerUsingService}}
	follow, err := s.intake.newRequest(ctx, tx, Actor{UserID: a.UserID, Role: RoleOfficer}, cmd, p, now, now)
	if err != nil {
		return err
	}
	follow.LinkedRequestID = r.ID
	if err := tx.UpdateRequestParts(ctx, follow, PartLink); err != nil {
		return err
	}
	r.LinkedRequestID = follow.ID
	return s.appendEvent(ctx, tx, a, "request.follow_up_opened", r.ID, map[string]string{"follow_up": follow.ID,
		"follow_up_reference": follow.Reference})
}
