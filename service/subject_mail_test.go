package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// subjectMails counts the mails about a request, by kind.
func subjectMails(tb testing.TB, e *env, id string) map[string]int {
	tb.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range mails {
		if m.RequestID == id {
			out[m.Kind]++
		}
	}
	return out
}

// TestAcknowledgementCarriesTheReference: the acknowledgement is rendered and sealed before its request is
// numbered, and reads with the request's reference where the template puts it, in the subject line and the text.
func TestAcknowledgementCarriesTheReference(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		r := e.mustFile(t, intake, deletionCmd())
		acks := mailsOfKind(t, e, "acknowledgement")
		if len(acks) != 1 {
			t.Fatalf("%d acknowledgements, want 1", len(acks))
		}
		m := acks[0]
		for part, text := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTMLPart()} {
			if !strings.Contains(text, r.Reference) || strings.Contains(text, service.ReferenceMark) {
				t.Errorf("acknowledgement's %s lacks %s or keeps the mark:\n%s", part, r.Reference, text)
			}
		}
	})
}

// TestOneMailPerVerificationAttempt: a web-form filing sends its subject one e-mail, the acknowledgement carrying
// both the confirmation and the withdrawal link; confirming sends nothing, nor does trying a link again. There is
// no way to have the link sent again, so nobody can make the service mail a person more than once per filing
// (and filings per subject are capped per day).
func TestOneMailPerVerificationAttempt(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.mustFile(t, intake, deletionCmd())
		if r.Status != service.StatusUnverified {
			t.Fatalf("web-form filing is %s, want unverified", r.Status)
		}
		want := map[string]int{"acknowledgement": 1}
		if got := subjectMails(t, e, r.ID); len(got) != 1 || got["acknowledgement"] != 1 {
			t.Fatalf("mails after filing %v, want %v", got, want)
		}
		verify := mustLinkToken(t, e, r.ID, "acknowledgement", "verify")
		mustLinkToken(t, e, r.ID, "acknowledgement", "withdraw") // in the same mail
		if _, err := e.svc.VerifyBySubject(ctx, verify); err != nil {
			t.Fatalf("VerifyBySubject: %v", err)
		}
		for range 3 {
			_, err := e.svc.VerifyBySubject(ctx, verify)
			wantError(t, err, service.ECONFLICT)
		}
		_, err := e.svc.VerifyBySubject(ctx, "not-a-link-anyone-was-sent")
		wantError(t, err, service.ENOTFOUND)
		if got := subjectMails(t, e, r.ID); len(got) != 1 || got["acknowledgement"] != 1 {
			t.Errorf("mails after confirming and retrying %v, want %v", got, want)
		}
	})
}
