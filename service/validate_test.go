package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

// validFiling returns a valid filing of type t.
func validFiling(t service.RequestType) service.FileRequestCommand {
	cmd := service.FileRequestCommand{
		Type:    t,
		Subject: service.Subject{Name: "Li Wei", Email: "li.wei@example.com", Phone: "+86 138 0000 0000"},
		Channel: service.ChannelEmail,
	}
	switch t {
	case service.TypeAccess:
		cmd.Details.Categories = []string{"profile", "chat history"}
	case service.TypeRectification:
		cmd.Details.Corrections = []service.Correction{
			{Field: "email", CurrentValue: "old@example.com", CorrectedValue: "li.wei@example.com"},
			{Field: "name", CorrectedValue: "李伟"},
		}
	case service.TypeDeletion:
		cmd.Details.Ground = service.GroundCollectedWithoutConsent
		cmd.Details.Explanation = "I never agreed.\nPlease delete it all."
	case service.TypeConsentWithdrawal:
		cmd.Details.Purposes = []string{"marketing", "model training"}
	case service.TypeAccountCancellation:
		cmd.Details.AccountID = "acct-7781"
	case service.TypePortability:
		cmd.Details.Format = "json"
		cmd.Details.Recipient = &service.Recipient{Name: "Other Co", Endpoint: "https://other.example/import?x=1"}
	}
	return cmd
}

func minorSubject() service.Subject {
	return service.Subject{Name: "Xiao Ming", Phone: "13800000000", IsMinor: true,
		Guardian: &service.Guardian{Name: "Wang Fang", Email: "wang.fang@example.com", Relationship: "mother"}}
}

func TestFileRequestValidation(t *testing.T) {
	type edit func(*service.FileRequestCommand)
	tests := []struct {
		name  string
		typ   service.RequestType // default deletion
		actor service.Actor       // default admin
		edit  edit
		want  []string // the fields at fault; nil: valid
	}{
		{name: "access valid", typ: service.TypeAccess},
		{name: "access without categories valid", typ: service.TypeAccess,
			edit: func(c *service.FileRequestCommand) { c.Details.Categories = nil }},
		{name: "rectification valid", typ: service.TypeRectification},
		{name: "deletion valid", typ: service.TypeDeletion},
		{name: "consent_withdrawal valid", typ: service.TypeConsentWithdrawal},
		{name: "account_cancellation valid", typ: service.TypeAccountCancellation},
		{name: "account_cancellation with subject's account valid", typ: service.TypeAccountCancellation,
			edit: func(c *service.FileRequestCommand) { c.Details.AccountID, c.Subject.AccountID = "", "acct-1" }},
		{name: "portability valid", typ: service.TypePortability},
		{name: "portability csv without recipient valid", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Format, c.Details.Recipient = "csv", nil }},
		{name: "phone only valid", edit: func(c *service.FileRequestCommand) { c.Subject.Email = "" }},
		{name: "email only valid", edit: func(c *service.FileRequestCommand) { c.Subject.Phone = "" }},
		{name: "minor with guardian valid", edit: func(c *service.FileRequestCommand) { c.Subject = minorSubject() }},
		{name: "name of 200 characters valid",
			edit: func(c *service.FileRequestCommand) { c.Subject.Name = strings.Repeat("李", 200) }},
		{name: "external_id of 200 characters valid",
			edit: func(c *service.FileRequestCommand) { c.ExternalID = strings.Repeat("x", 200) }},
		{name: "officer may give received_at", actor: officer,
			edit: func(c *service.FileRequestCommand) { c.ReceivedAt = ptr(testNow.Add(-48 * time.Hour)) }},
		{name: "received_at now valid", edit: func(c *service.FileRequestCommand) { c.ReceivedAt = ptr(testNow) }},

		{name: "unknown type", typ: "erasure", want: []string{"type"}},
		{name: "unknown channel", edit: func(c *service.FileRequestCommand) { c.Channel = "fax" },
			want: []string{"channel"}},
		{name: "deletion without ground", edit: func(c *service.FileRequestCommand) { c.Details.Ground = "" },
			want: []string{"details.ground"}},
		{name: "deletion with unknown ground", edit: func(c *service.FileRequestCommand) { c.Details.Ground = "bored" },
			want: []string{"details.ground"}},
		{name: "rectification without corrections", typ: service.TypeRectification,
			edit: func(c *service.FileRequestCommand) { c.Details.Corrections = nil },
			want: []string{"details.corrections"}},
		{name: "rectification with empty corrections", typ: service.TypeRectification,
			edit: func(c *service.FileRequestCommand) { c.Details.Corrections = []service.Correction{} },
			want: []string{"details.corrections"}},
		{name: "correction without corrected value", typ: service.TypeRectification,
			edit: func(c *service.FileRequestCommand) { c.Details.Corrections[0].CorrectedValue = "" },
			want: []string{"details.corrections[0].corrected_value"}},
		{name: "second correction without field", typ: service.TypeRectification,
			edit: func(c *service.FileRequestCommand) { c.Details.Corrections[1].Field = " " },
			want: []string{"details.corrections[1].field"}},
		{name: "consent_withdrawal without purposes", typ: service.TypeConsentWithdrawal,
			edit: func(c *service.FileRequestCommand) { c.Details.Purposes = nil },
			want: []string{"details.purposes"}},
		{name: "consent_withdrawal with an empty purpose", typ: service.TypeConsentWithdrawal,
			edit: func(c *service.FileRequestCommand) { c.Details.Purposes = []string{"marketing", ""} },
			want: []string{"details.purposes[1]"}},
		{name: "account_cancellation without any account", typ: service.TypeAccountCancellation,
			edit: func(c *service.FileRequestCommand) { c.Details.AccountID, c.Subject.AccountID = "", "" },
			want: []string{"details.account_id"}},
		{name: "portability without format", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Format = "" }, want: []string{"details.format"}},
		{name: "portability as xml", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Format = "xml" }, want: []string{"details.format"}},
		{name: "recipient over http", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Recipient.Endpoint = "http://other.example/import" },
			want: []string{"details.recipient.endpoint"}},
		{name: "recipient with credentials", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) {
				c.Details.Recipient.Endpoint = "https://user:secret@other.example/import"
			},
			want: []string{"details.recipient.endpoint"}},
		{name: "recipient without endpoint", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Recipient.Endpoint = "" },
			want: []string{"details.recipient.endpoint"}},
		{name: "recipient relative URL", typ: service.TypePortability,
			edit: func(c *service.FileRequestCommand) { c.Details.Recipient.Endpoint = "/import" },
			want: []string{"details.recipient.endpoint"}},
		{name: "ground on an access request", typ: service.TypeAccess,
			edit: func(c *service.FileRequestCommand) { c.Details.Ground = service.GroundUnlawfulProcessing },
			want: []string{"details.ground"}},
		{name: "categories on a deletion",
			edit: func(c *service.FileRequestCommand) { c.Details.Categories = []string{"profile"} },
			want: []string{"details.categories"}},
		{name: "recipient on an access request", typ: service.TypeAccess,
			edit: func(c *service.FileRequestCommand) {
				c.Details.Recipient = &service.Recipient{Endpoint: "https://other.example"}
			},
			want: []string{"details.recipient"}},
		{name: "no name", edit: func(c *service.FileRequestCommand) { c.Subject.Name = "" },
			want: []string{"subject.name"}},
		{name: "blank name", edit: func(c *service.FileRequestCommand) { c.Subject.Name = "   " },
			want: []string{"subject.name"}},
		{name: "name of 201 characters", edit: func(c *service.FileRequestCommand) { c.Subject.Name = strings.Repeat("李", 201) },
			want: []string{"subject.name"}},
		{name: "NUL in name", edit: func(c *service.FileRequestCommand) { c.Subject.Name = "Li\x00Wei" },
			want: []string{"subject.name"}},
		{name: "line break in name", edit: func(c *service.FileRequestCommand) { c.Subject.Name = "Li\nWei" },
			want: []string{"subject.name"}},
		{name: "escape in correction value", typ: service.TypeRectification,
			edit: func(c *service.FileRequestCommand) { c.Details.Corrections[0].CorrectedValue = "a\x1b[2Jb" },
			want: []string{"details.corrections[0].corrected_value"}},
		{name: "neither email nor phone", edit: func(c *service.FileRequestCommand) { c.Subject.Email, c.Subject.Phone = "", "" },
			want: []string{"subject.email"}},
		{name: "bad email", edit: func(c *service.FileRequestCommand) { c.Subject.Email = "li.wei" },
			want: []string{"subject.email"}},
		{name: "email with display name", edit: func(c *service.FileRequestCommand) { c.Subject.Email = "Li Wei <li@example.com>" },
			want: []string{"subject.email"}},
		{name: "phone with letters", edit: func(c *service.FileRequestCommand) { c.Subject.Phone = "call me" },
			want: []string{"subject.phone"}},
		{name: "phone too short", edit: func(c *service.FileRequestCommand) { c.Subject.Phone = "1234" },
			want: []string{"subject.phone"}},
		{name: "minor without guardian",
			edit: func(c *service.FileRequestCommand) { c.Subject = minorSubject(); c.Subject.Guardian = nil },
			want: []string{"subject.guardian"}},
		{name: "minor with empty guardian",
			edit: func(c *service.FileRequestCommand) {
				c.Subject = minorSubject()
				c.Subject.Guardian = &service.Guardian{}
			},
			want: []string{"subject.guardian"}},
		{name: "minor's guardian without email",
			edit: func(c *service.FileRequestCommand) { c.Subject = minorSubject(); c.Subject.Guardian.Email = "" },
			want: []string{"subject.guardian.email"}},
		{name: "minor's guardian with bad email",
			edit: func(c *service.FileRequestCommand) { c.Subject = minorSubject(); c.Subject.Guardian.Email = "mum" },
			want: []string{"subject.guardian.email"}},
		{name: "minor's guardian without relationship",
			edit: func(c *service.FileRequestCommand) { c.Subject = minorSubject(); c.Subject.Guardian.Relationship = "" },
			want: []string{"subject.guardian.relationship"}},
		{name: "guardian of a non-minor",
			edit: func(c *service.FileRequestCommand) { c.Subject.Guardian = minorSubject().Guardian },
			want: []string{"subject.guardian"}},
		{name: "received_at from intake", actor: intake,
			edit: func(c *service.FileRequestCommand) { c.ReceivedAt = ptr(testNow.Add(-time.Hour)) },
			want: []string{"received_at"}},
		{name: "received_at in the future",
			edit: func(c *service.FileRequestCommand) { c.ReceivedAt = ptr(testNow.Add(time.Second)) },
			want: []string{"received_at"}},
		{name: "received_at before 2000",
			edit: func(c *service.FileRequestCommand) { c.ReceivedAt = ptr(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)) },
			want: []string{"received_at"}},
		{name: "external_id of 201 characters",
			edit: func(c *service.FileRequestCommand) { c.ExternalID = strings.Repeat("x", 201) },
			want: []string{"external_id"}},
		{name: "unknown locale", edit: func(c *service.FileRequestCommand) { c.Locale = "fr" }, want: []string{"locale"}},
		{name: "locale zh-CN valid", edit: func(c *service.FileRequestCommand) { c.Locale = "zh-CN" }},
		{name: "Idempotency-Key with a space",
			edit: func(c *service.FileRequestCommand) { c.IdempotencyKey = "two words" },
			want: []string{"Idempotency-Key"}},
		{name: "Idempotency-Key of 201 characters",
			edit: func(c *service.FileRequestCommand) { c.IdempotencyKey = strings.Repeat("k", 201) },
			want: []string{"Idempotency-Key"}},
		{name: "every bad field is named",
			edit: func(c *service.FileRequestCommand) { c.Subject.Name, c.Subject.Email, c.Details.Ground = "", "x", "" },
			want: []string{"subject.name", "subject.email", "details.ground"}},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		valid := 0
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				typ, a := tt.typ, tt.actor
				if typ == "" {
					typ = service.TypeDeletion
				}
				if a.Role == "" {
					a = admin
				}
				cmd := validFiling(typ)
				if typ == "erasure" {
					cmd = validFiling(service.TypeDeletion)
					cmd.Type, cmd.Details = typ, service.Details{}
				}
				if tt.edit != nil {
					tt.edit(&cmd)
				}
				r, _, err := e.svc.FileRequest(ctx, a, cmd)
				if tt.want != nil {
					wantError(t, err, service.EINVALID, tt.want...)
					if r != nil {
						t.Errorf("refused filing returned a request %s", r.ID)
					}
					return
				}
				if err != nil {
					t.Fatalf("FileRequest: %v (fields %v)", err, service.ErrorFields(err))
				}
				valid++
				got := e.mustRead(t, admin, r.ID)
				if diff := cmp.Diff(cmd.Subject, got.Subject); diff != "" {
					t.Errorf("stored subject (-filed +stored):\n%s", diff)
				}
				if diff := cmp.Diff(cmd.Details, got.Details); diff != "" {
					t.Errorf("stored details (-filed +stored):\n%s", diff)
				}
				if got.Type != cmd.Type || got.Channel != cmd.Channel || got.ExternalID != cmd.ExternalID {
					t.Errorf("stored type, channel, external_id = %s, %s, %q; want %s, %s, %q",
						got.Type, got.Channel, got.ExternalID, cmd.Type, cmd.Channel, cmd.ExternalID)
				}
			})
		}
		// Refused filings stored nothing.
		page, err := e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{Limit: service.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(page.Items); got != valid {
			t.Errorf("%d requests stored, want %d (the valid filings)", got, valid)
		}
	})
}

// An empty guardian object, as a web form sends for an adult, is accepted and dropped.
func TestFileRequestDropsEmptyGuardian(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		cmd := validFiling(service.TypeDeletion)
		cmd.Subject.Guardian = &service.Guardian{}
		filed := e.mustFile(t, intake, cmd)
		for _, got := range []*service.Request{filed, e.mustRead(t, admin, filed.ID)} {
			if got.Subject.Guardian != nil {
				t.Errorf("guardian = %+v, want none", *got.Subject.Guardian)
			}
		}
		if cmd.Subject.Guardian == nil {
			t.Error("FileRequest changed the caller's command")
		}
	})
}

func ptr[T any](v T) *T { return &v }
