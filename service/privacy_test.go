package service_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

var statusLinkRe = regexp.MustCompile(`/privacy/status/([A-Za-z0-9_-]{43})`)

// mustStatusToken finds the status link's token in the newest mail of a kind sent for a request.
func mustStatusToken(tb testing.TB, e *env, id, kind string) (token, text string) {
	tb.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range mails { // newest first
		if m.Kind == kind && m.RequestID == id {
			if sub := statusLinkRe.FindStringSubmatch(m.Text); sub != nil {
				return sub[1], m.Text
			}
			tb.Fatalf("the %s mail of %s carries no status link:\n%s", kind, id, m.Text)
		}
	}
	tb.Fatalf("no %s mail for %s", kind, id)
	return "", ""
}

// mustOfficerWithEmail creates an officer with an address and a default queue of theirs.
func mustOfficerWithEmail(tb testing.TB, e *env) service.Actor {
	tb.Helper()
	ctx := context.Background()
	p, err := e.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Olivia Chen",
		Email: "olivia@example.com", Role: service.RoleOfficer})
	if err != nil {
		tb.Fatal(err)
	}
	name, def, ids := "privacy", true, []string{p.User.ID}
	if _, err := e.svc.CreateQueue(ctx, admin, service.QueueInput{Name: &name, Members: &ids, Default: &def}); err != nil {
		tb.Fatal(err)
	}
	return service.Actor{UserID: p.User.ID, Name: "Olivia Chen", Role: service.RoleOfficer}
}

// TestSubjectAnswersFromStatusPage: a request filed on the privacy center is confirmed, put on hold with a
// question that is e-mailed with the status link, and answered with a file there: the clock resumes on the
// day of the answer (the due date moves by exactly the days on hold), the request is in progress, the assignee
// is told, and the subject is the audited actor. A second answer is refused.
func TestSubjectAnswersFromStatusPage(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		olivia := mustOfficerWithEmail(t, e)
		// Monday 1 March 2027; 15 working days after it (2027 is provisional: weekdays) is Monday 22 March.
		r, err := e.svc.FileFromPrivacyCenter(ctx, deletionCmd(), "")
		if err != nil {
			t.Fatalf("FileFromPrivacyCenter: %v %v", err, service.ErrorFields(err))
		}
		if r.Status != service.StatusUnverified || r.Channel != service.ChannelWebForm || r.Due.Date.String() != "2027-03-22" {
			t.Fatalf("filed %s by %s due %s, want unverified web_form due 2027-03-22", r.Status, r.Channel, r.Due.Date)
		}
		ackStatus, _ := mustStatusToken(t, e, r.ID, "acknowledgement")
		if _, err := e.svc.VerifyBySubject(ctx, mustLinkToken(t, e, r.ID, "acknowledgement", "verify")); err != nil {
			t.Fatal(err)
		}
		e.mustAssign(t, r.ID, olivia.UserID)
		if _, err := e.svc.Transition(ctx, olivia, r.ID, service.TransitionCommand{To: service.StatusInProgress}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddNote(ctx, olivia, r.ID, "internal: the caller sounded unsure"); err != nil {
			t.Fatal(err)
		}
		// Wednesday 3 March: two working days used (2 and 3 March).
		e.clock.Set(time.Date(2027, 3, 3, 11, 0, 0, 0, shanghai))
		question := "Please send a copy of the letter we sent you."
		if _, err := e.svc.Transition(ctx, olivia, r.ID, service.TransitionCommand{To: service.StatusOnHold,
			Reason: service.PauseAwaitingSubjectInformation, Message: question}); err != nil {
			t.Fatal(err)
		}
		token, text := mustStatusToken(t, e, r.ID, "question")
		if !strings.Contains(text, question) {
			t.Errorf("the question mail lacks the question:\n%s", text)
		}
		v, err := e.svc.SubjectStatus(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if !v.AwaitingAnswer || v.Question != question || !v.ClockPaused || !v.CanWithdraw {
			t.Errorf("status view %+v, want awaiting the answer to the question, clock paused", v)
		}
		var kinds []string
		for _, ev := range v.Timeline {
			kinds = append(kinds, ev.Kind)
		}
		if got, want := strings.Join(kinds, ","), "filed,verified,in_progress,awaiting_information"; got != want {
			t.Errorf("timeline %s, want %s (no note, no assignment)", got, want)
		}
		// A refused answer changes nothing.
		if _, err := e.svc.AnswerBySubject(ctx, token, service.AnswerCommand{Text: "here",
			Files: []service.AnswerFile{{Name: "letter.pdf", Content: []byte("not a pdf")}}}); service.ErrorCode(err) != service.EINVALID ||
			service.ErrorFields(err)[0].Field != "files[0]" {
			t.Errorf("a text file named .pdf: %v %v, want invalid files[0]", err, service.ErrorFields(err))
		}
		four := make([]service.AnswerFile, 4)
		for i := range four {
			four[i] = service.AnswerFile{Name: "a.txt", Content: []byte("hello")}
		}
		if _, err := e.svc.AnswerBySubject(ctx, token, service.AnswerCommand{Files: four}); service.ErrorCode(err) != service.EINVALID {
			t.Errorf("four files: %v, want invalid", err)
		}
		if st := e.mustStored(t, r.ID); st.Status != service.StatusOnHold {
			t.Fatalf("after refused answers: %s, want on_hold", st.Status)
		}
		// Wednesday 10 March: 13 working days remain, counted after today: Monday 29 March.
		e.clock.Set(time.Date(2027, 3, 10, 15, 0, 0, 0, shanghai))
		pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
		got, err := e.svc.AnswerBySubject(ctx, ackStatus, service.AnswerCommand{Text: "Attached.",
			Files: []service.AnswerFile{{Name: "letter.pdf", Content: pdf}}})
		if err != nil {
			t.Fatalf("AnswerBySubject: %v %v", err, service.ErrorFields(err))
		}
		if got.Status != service.StatusInProgress || got.Due.Date.String() != "2027-03-29" || got.Clock.Paused != nil {
			t.Errorf("after the answer: %s due %s paused %v, want in_progress due 2027-03-29 running", got.Status, got.Due.Date, got.Clock.Paused)
		}
		if st := e.mustStored(t, r.ID); st.Due.Date.String() != "2027-03-29" {
			t.Errorf("stored due %s, want 2027-03-29", st.Due.Date)
		}
		evs := e.mustEvents(t, admin, r.ID)
		last := evs[len(evs)-1]
		if last.Action != "request.answered" || last.ActorID != service.SubjectActor.UserID || last.Data["files"] != "1" {
			t.Errorf("last event %s by %s %v, want request.answered by the subject with 1 file", last.Action, last.ActorID, last.Data)
		}
		mails, _ := e.store.ListMail(ctx, "", 1000)
		told := false
		for _, m := range mails {
			if m.Kind == "subject_answered" && m.To == "olivia@example.com" && strings.Contains(m.Text, r.Reference) &&
				!strings.Contains(m.Text, "Attached.") {
				told = true
			}
		}
		if !told {
			t.Error("the assignee was not told of the answer (or the mail carries the answer's text)")
		}
		msgs, err := e.svc.SubjectMessages(ctx, olivia, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].Body != question || msgs[1].Body != "Attached." || len(msgs[1].Files) != 1 ||
			msgs[1].Files[0].ContentType != "application/pdf" {
			t.Fatalf("messages %+v, want the question and the answer with its PDF", msgs)
		}
		f, err := e.svc.SubjectFileOf(ctx, olivia, r.ID, msgs[1].Files[0].ID)
		if err != nil || string(f.Content) != string(pdf) {
			t.Errorf("SubjectFileOf: %v, want the PDF as sent", err)
		}
		if _, err := e.svc.AnswerBySubject(ctx, token, service.AnswerCommand{Text: "again"}); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("a second answer: %v, want conflict", err)
		}
	})
}

// TestStatusLinkEndsWithRetention: a status link works after the request closes, until the retention ends;
// then it is refused like an unknown link. Withdrawal by the status link is audited as the subject's.
func TestStatusLinkEndsWithRetention(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r, err := e.svc.FileFromPrivacyCenter(ctx, deletionCmd(), "")
		if err != nil {
			t.Fatal(err)
		}
		token, _ := mustStatusToken(t, e, r.ID, "acknowledgement")
		if _, err := e.svc.SubjectStatus(ctx, "x"+token[1:]); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("a wrong token: %v, want not found", err)
		}
		w, err := e.svc.WithdrawByStatusLink(ctx, token)
		if err != nil || w.Status != service.StatusWithdrawn {
			t.Fatalf("WithdrawByStatusLink: %v", err)
		}
		if _, err := e.svc.WithdrawByStatusLink(ctx, token); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("withdrawing twice: %v, want conflict", err)
		}
		// The withdrawal mail carries a link of its own, which works as well.
		later, _ := mustStatusToken(t, e, r.ID, "withdrawn")
		e.clock.Set(testNow.Add(service.DefaultRetention - time.Hour))
		v, err := e.svc.SubjectStatus(ctx, later)
		if err != nil || v.Status != service.StatusWithdrawn || v.CanWithdraw {
			t.Fatalf("before retention ends: %v %+v", err, v)
		}
		e.clock.Set(testNow.Add(service.DefaultRetention + time.Hour))
		if _, err := e.svc.SubjectStatus(ctx, later); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("after retention: %v, want not found", err)
		}
	})
}
