package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestHoldReasons: on_hold takes only the coded reasons; a missing or unknown one is EINVALID on "reason" with
// a message that lists every reason and says which stops the clock; each coded reason holds, and only
// awaiting_subject_information pauses the clock under the default policy.
func TestHoldReasons(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.mustFileInProgress(t, deletionCmd())
		for _, reason := range []string{"", "Waiting for HR to answer."} {
			_, err := e.svc.Transition(ctx, admin, r.ID, service.TransitionCommand{To: service.StatusOnHold, Reason: reason})
			wantError(t, err, service.EINVALID, "reason")
			msg := service.ErrorFields(err)[0].Message
			for _, want := range append([]string{"the clock stops until work resumes for awaiting_subject_information",
				"it runs on for awaiting_identity_verification, awaiting_third_party, legal_review"}, service.HoldReasons...) {
				if !strings.Contains(msg, want) {
					t.Errorf("reason %q: message %q lacks %q", reason, msg, want)
				}
			}
			if got := e.mustStored(t, r.ID).Status; got != service.StatusInProgress {
				t.Errorf("reason %q: status %s, want in_progress", reason, got)
			}
		}
		for _, reason := range service.HoldReasons {
			r := e.mustFileInProgress(t, deletionCmd())
			held, err := e.svc.Transition(ctx, admin, r.ID, service.TransitionCommand{To: service.StatusOnHold, Reason: reason})
			if err != nil {
				t.Fatalf("hold for %s: %v", reason, err)
			}
			if paused := held.Clock.Paused != nil; paused != (reason == service.PauseAwaitingSubjectInformation) {
				t.Errorf("hold for %s: clock paused %v", reason, paused)
			}
		}
	})
}

// TestRectificationReplyCoversEveryCorrection: a fulfilled rectification reply without an outcome for each
// correction is EINVALID naming each missing index; the reply mail then lists each correction with its outcome
// in words, in the request's language.
func TestRectificationReplyCoversEveryCorrection(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		applied := service.CorrectionOutcome{Index: 0, Outcome: "applied"}
		refused := service.CorrectionOutcome{Index: 1, Outcome: "refused", Reason: "The ID card gives another name."}
		r := e.mustFileInProgress(t, validFiling(service.TypeRectification)) // two corrections
		for _, tt := range []struct {
			name    string
			outcome service.Status
			given   []service.CorrectionOutcome
			missing []string
		}{
			{"the second missing", service.StatusFulfilled, []service.CorrectionOutcome{applied}, []string{"corrections[1]"}},
			{"the first missing", service.StatusFulfilled, []service.CorrectionOutcome{refused}, []string{"corrections[0]"}},
			{"none", service.StatusFulfilled, nil, []string{"corrections[0]", "corrections[1]"}},
			{"a denial listing some", service.StatusDenied, []service.CorrectionOutcome{applied}, []string{"corrections[1]"}},
		} {
			cmd := service.ReplyCommand{Outcome: tt.outcome, Message: "Done.", Corrections: tt.given}
			if tt.outcome == service.StatusDenied {
				cmd.DenialReason = service.DenialReason("other")
			}
			_, err := e.svc.Reply(ctx, admin, r.ID, cmd)
			wantError(t, err, service.EINVALID, tt.missing...)
		}
		e.mustReply(t, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Done.",
			Corrections: []service.CorrectionOutcome{refused, applied}})

		zh := validFiling(service.TypeRectification)
		zh.Locale = "zh-CN"
		rz := e.mustFileInProgress(t, zh)
		e.mustReply(t, rz.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "已处理。",
			Corrections: []service.CorrectionOutcome{applied, refused}})

		// A denial may list none: it covers them all.
		denied := e.mustFileInProgress(t, validFiling(service.TypeRectification))
		e.mustReply(t, denied.ID, service.ReplyCommand{Outcome: service.StatusDenied, Message: "We cannot verify you.",
			DenialReason: service.DenialReason("insufficient_verification")})

		for id, want := range map[string][]string{
			r.ID: {"The corrections you asked for:",
				`  - email, to "li.wei@example.com": corrected.`,
				`  - name, to "李伟": not corrected. The ID card gives another name.`},
			rz.ID: {"您申请更正的各项信息：", "  - email（更正为“li.wei@example.com”）：已更正。",
				"  - name（更正为“李伟”）：不予更正。The ID card gives another name."},
		} {
			text := replyMail(t, e, id)
			for _, line := range want {
				if !strings.Contains(text, line+"\n") {
					t.Errorf("reply mail of %s lacks the line %q:\n%s", id, line, text)
				}
			}
		}
		if text := replyMail(t, e, denied.ID); strings.Contains(text, "correction you asked for") {
			t.Errorf("a denial without outcomes lists corrections:\n%s", text)
		}
	})
}

// replyMail is the text of the reply mail of request id.
func replyMail(tb testing.TB, e *env, id string) string {
	tb.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range mails {
		if m.Kind == "reply" && m.RequestID == id {
			return m.Text
		}
	}
	tb.Fatalf("no reply mail for %s", id)
	return ""
}

// TestIdempotentReplayIsAnAuditedRead: a retried filing answered with the stored request (and so the subject's
// personal data) appends a request.read event by the caller, as any read of it does.
func TestIdempotentReplayIsAnAuditedRead(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cmd := deletionCmd()
		cmd.IdempotencyKey = "letter-2026-0915"
		first, _, err := e.svc.FileRequest(ctx, officer, cmd)
		if err != nil {
			t.Fatal(err)
		}
		before := e.mustState(t, first.ID)
		e.clock.Set(testNow.Add(time.Minute))
		if _, replayed, err := e.svc.FileRequest(ctx, officer, cmd); err != nil || !replayed {
			t.Fatalf("retry: replayed %v, %v", replayed, err)
		}
		added := e.mustState(t, first.ID).Events[len(before.Events):]
		if len(added) != 1 || added[0].Action != "request.read" || added[0].ActorID != officer.UserID ||
			added[0].Data["via"] != "idempotent_replay" {
			t.Errorf("events appended by the replay %v, want one request.read by the officer, via idempotent_replay", actions(added))
		}
	})
}
