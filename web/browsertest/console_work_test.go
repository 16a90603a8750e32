package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/service"
)

// sampleDesk files the sample requests of a day's work in Olivia's queue, received on different days so that
// some are overdue, some due soon and some not; the subjects' addresses are example.com ones. It answers the
// requests by a short name.
func (e *env) sampleDesk(t *testing.T) map[string]*service.Request {
	t.Helper()
	ctx := context.Background()
	out := map[string]*service.Request{}
	file := func(name string, typ service.RequestType, ch service.Channel, daysAgo int, email string) *service.Request {
		t.Helper()
		at := testNow.AddDate(0, 0, -daysAgo)
		cmd := service.FileRequestCommand{Type: typ, Channel: ch, ReceivedAt: &at,
			Subject: service.Subject{Name: "Sample Person " + strings.ToUpper(name[:1]), Email: email}}
		switch typ {
		case service.TypeDeletion:
			cmd.Details.Ground = service.GroundNoLongerUsingService
		case service.TypeRectification:
			cmd.Details.Corrections = []service.Correction{{Field: "address", CorrectedValue: "1 Sample Road"}}
		case service.TypeAccountCancellation:
			cmd.Details.AccountID = "acct-0001"
		case service.TypePortability:
			cmd.Details.Format = "json"
		}
		r, _, err := e.svc.FileRequest(ctx, adminActor, cmd)
		if err != nil {
			t.Fatalf("file %s: %v (%v)", name, err, service.ErrorFields(err))
		}
		out[name] = r
		return r
	}
	file("late", service.TypeDeletion, service.ChannelEmail, 30, "late.subject@example.com")
	file("soon", service.TypeRectification, service.ChannelLetter, 18, "soon.subject@example.com")
	file("access", service.TypeAccess, service.ChannelWebForm, 2, "access.subject@example.com")
	file("deny", service.TypeAccountCancellation, service.ChannelPhone, 5, "deny.subject@example.com")
	file("port", service.TypePortability, service.ChannelWebForm, 1, "port.subject@example.com")
	held := file("held", service.TypeDeletion, service.ChannelWebForm, 8, "held.subject@example.com")
	for _, step := range []service.TransitionCommand{{To: service.StatusInProgress},
		{To: service.StatusOnHold, Reason: service.PauseAwaitingSubjectInformation}} {
		if _, err := e.svc.Transition(ctx, adminActor, held.ID, step); err != nil {
			t.Fatal(err)
		}
	}
	e.mustAssign(t, out["late"].ID)
	return out
}

// hasEvent reports whether a request's trail has an event of action by actor.
func (e *env) hasEvent(t *testing.T, id, action, actor string) bool {
	t.Helper()
	evs, err := e.svc.RequestEvents(context.Background(), adminActor, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Action == action && ev.ActorID == actor {
			return true
		}
	}
	return false
}

// status reads a request's status as the service stores it.
func (e *env) status(t *testing.T, id string) service.Status {
	t.Helper()
	v, err := e.svc.RequestView(context.Background(), adminActor, id)
	if err != nil {
		t.Fatal(err)
	}
	return v.Request.Status
}

// TestConsoleOfficersDay: Olivia works her queue in Chromium: the list by due date with the deadline in colour
// and words, an access request claimed, started, held for a coded reason, resumed, answered with an export; an
// account cancellation refused with its coded reason; the subject's personal data shown (audited); another
// queue's request refused (audited); the pages in Chinese; axe on every page.
func TestConsoleOfficersDay(t *testing.T) {
	e := newEnv(t, nil)
	reqs := e.sampleDesk(t)
	ctx := tab(t)
	e.signIn(t, ctx, service.RoleOfficer)

	e.console(t, ctx, "/console/")
	list := text(t, ctx, "table.work")
	for _, want := range []string{reqs["late"].Reference, reqs["access"].Reference, "Overdue by", "working days left", "Clock paused"} {
		if !strings.Contains(list, want) {
			t.Errorf("the work list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "example.com") {
		t.Error("the work list shows a subject's address")
	}
	audit(t, ctx, "console work list")
	consoleScreenshot(t, ctx, "worklist-en")
	fitsPhone(t, ctx, "the work list")
	e.console(t, ctx, "/console/?lang=zh-CN")
	if got := text(t, ctx, "table.work"); !strings.Contains(got, "已逾期") || !strings.Contains(got, "个工作日") {
		t.Errorf("the work list in Chinese:\n%s", got)
	}
	audit(t, ctx, "console work list zh-CN")
	consoleScreenshot(t, ctx, "worklist-zh-CN")
	fitsPhone(t, ctx, "the work list in Chinese")
	e.console(t, ctx, "/console/")

	// Filters: hers only.
	run(t, ctx, chromedp.SetValue("#f-assignee", "me", chromedp.ByQuery))
	submit(t, ctx, ".filters button[type=submit]")
	if mine := text(t, ctx, "table.work"); !strings.Contains(mine, reqs["late"].Reference) || strings.Contains(mine, reqs["access"].Reference) {
		t.Errorf("assignee=me lists:\n%s", mine)
	}

	// The access request: claim, start, hold for a coded reason, resume, upload the export, reply.
	access := reqs["access"]
	page := "/console/requests/" + access.ID
	e.console(t, ctx, page)
	audit(t, ctx, "console request page")
	submit(t, ctx, `form[action$="/assignment"] button.button:not(.secondary)`)
	if got := text(t, ctx, ".facts"); !strings.Contains(got, "you") {
		t.Errorf("after claiming, the facts say:\n%s", got)
	}
	submit(t, ctx, `form.move:has(input[value="in_progress"]) button`)
	if got := e.status(t, access.ID); got != service.StatusInProgress {
		t.Fatalf("after starting, the request is %s", got)
	}
	// A hold without a reason is refused beside the field, then held for a coded reason.
	run(t, ctx, chromedp.Evaluate(`document.querySelector("#f-hold-reason").removeAttribute("required")`, nil))
	submit(t, ctx, `form:has(#f-hold-reason) button`)
	if msg := text(t, ctx, "#f-hold-reason-error"); msg == "" {
		t.Error("no message beside the hold's reason")
	}
	audit(t, ctx, "console request page with an error")
	run(t, ctx, chromedp.SetValue("#f-hold-reason", "awaiting_third_party", chromedp.ByQuery))
	submit(t, ctx, `form:has(#f-hold-reason) button`)
	if got := e.status(t, access.ID); got != service.StatusOnHold {
		t.Fatalf("after the hold, the request is %s", got)
	}
	submit(t, ctx, `form.move:has(input[value="in_progress"]) button`)
	if got := e.status(t, access.ID); got != service.StatusInProgress {
		t.Fatalf("after resuming, the request is %s", got)
	}
	export := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(export, []byte("order,date\nA-1001,2027-01-12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.SetUploadFiles("#f-file", []string{export}, chromedp.ByQuery))
	submit(t, ctx, `form[enctype="multipart/form-data"] button`)
	if files := text(t, ctx, "ul.files"); !strings.Contains(files, "orders.csv") {
		t.Errorf("after the upload, the files are %q", files)
	}
	run(t, ctx, chromedp.SetValue("#f-outcome", "fulfilled", chromedp.ByQuery),
		chromedp.SetValue("#f-reply-message", "Your data is attached; the link is valid for 7 days.", chromedp.ByQuery))
	submit(t, ctx, `form[action$="/reply"] button`)
	if got := e.status(t, access.ID); got != service.StatusFulfilled {
		t.Fatalf("after the reply, the request is %s", got)
	}
	history := text(t, ctx, "#h-history + ol")
	for _, want := range []string{"Status changed from Open to In progress", "Waiting for a third party", "Export file attached", "Reply sent: Completed"} {
		if !strings.Contains(history, want) {
			t.Errorf("the history lacks %q:\n%s", want, history)
		}
	}

	// A refusal, with its coded reason.
	deny := reqs["deny"]
	e.console(t, ctx, "/console/requests/"+deny.ID)
	submit(t, ctx, `form.move:has(input[value="in_progress"]) button`)
	run(t, ctx, chromedp.SetValue("#f-outcome", "denied", chromedp.ByQuery),
		chromedp.SetValue("#f-denial-reason", "no_match", chromedp.ByQuery),
		chromedp.SetValue("#f-reply-message", "We found no account with this number.", chromedp.ByQuery))
	submit(t, ctx, `form[action$="/reply"] button`)
	if got := e.status(t, deny.ID); got != service.StatusDenied {
		t.Fatalf("after the denial, the request is %s", got)
	}
	if h := text(t, ctx, "#h-history + ol"); !strings.Contains(h, "No data found for this person") {
		t.Errorf("the history does not give the denial's reason:\n%s", h)
	}

	// Personal data, on asking; the read is audited.
	late := reqs["late"]
	e.console(t, ctx, "/console/requests/"+late.ID)
	if strings.Contains(text(t, ctx, "main"), "late.subject@example.com") {
		t.Error("the subject's address shows before asking")
	}
	submit(t, ctx, `form[action$="/personal-data"] button`)
	if got := text(t, ctx, ".facts.personal"); !strings.Contains(got, "late.subject@example.com") {
		t.Errorf("after asking, the personal data shows %q", got)
	}
	if !e.hasEvent(t, late.ID, "request.read", e.officer.UserID) {
		t.Error("showing the personal data was not audited")
	}
	audit(t, ctx, "console request page with personal data")
	consoleScreenshot(t, ctx, "request-en")
	fitsPhone(t, ctx, "a request's page")

	// Another queue's request: the console's 404, the refusal audited.
	name, members := "elsewhere", []string{}
	q, err := e.svc.CreateQueue(context.Background(), adminActor, service.QueueInput{Name: &name, Members: &members})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MoveRequest(context.Background(), adminActor, reqs["port"].ID, service.MoveCommand{QueueID: q.ID}); err != nil {
		t.Fatal(err)
	}
	e.console(t, ctx, "/console/requests/"+reqs["port"].ID)
	if h := text(t, ctx, "h1"); h != "Not found" {
		t.Errorf("another queue's request shows %q, want the 404 page", h)
	}
	if !e.hasEvent(t, reqs["port"].ID, "access.denied", e.officer.UserID) {
		t.Error("the refusal was not audited")
	}

	// The new request form, and the pages in Chinese.
	e.console(t, ctx, "/console/requests/new")
	audit(t, ctx, "console new request")
	run(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="zh-CN"]`, chromedp.ByQuery))
	if h := text(t, ctx, "h1"); h != "登记申请" {
		t.Errorf("the new request form in Chinese is titled %q", h)
	}
	audit(t, ctx, "console new request zh-CN")
	e.console(t, ctx, "/console/")
	if got := text(t, ctx, "table.work"); !strings.Contains(got, "已逾期") {
		t.Errorf("after the switch, the work list is not in Chinese:\n%s", got)
	}
	e.console(t, ctx, "/console/requests/"+late.ID)
	if got := text(t, ctx, "#h-history + ol"); !strings.Contains(got, "申请已登记") {
		t.Errorf("the history in Chinese:\n%s", got)
	}
	audit(t, ctx, "console request page zh-CN")
	consoleScreenshot(t, ctx, "request-zh-CN")
	fitsPhone(t, ctx, "a request's page in Chinese")
}

// TestConsoleFileByLetter: an officer files a request received by letter, with the form's errors beside
// their fields first.
func TestConsoleFileByLetter(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	e.signIn(t, ctx, service.RoleOfficer)
	e.console(t, ctx, "/console/requests/new")
	run(t, ctx, chromedp.SetValue("#f-type", "deletion", chromedp.ByQuery),
		chromedp.SetValue("#f-details-ground", "no_longer_using_service", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#f-subject-name").removeAttribute("required")`, nil))
	submit(t, ctx, "form.filing button[type=submit]")
	if msg := text(t, ctx, "#f-subject-name-error"); msg == "" {
		t.Error("no message beside the subject's name")
	}
	audit(t, ctx, "console new request with errors")
	received := testNow.In(shanghai).AddDate(0, 0, -2).Format("2006-01-02T15:04")
	run(t, ctx, chromedp.SetValue("#f-subject-name", "Sample Letter Writer", chromedp.ByQuery),
		chromedp.SetValue("#f-subject-email", "letter.writer@example.com", chromedp.ByQuery),
		chromedp.SetValue("#f-received-at", received, chromedp.ByQuery))
	submit(t, ctx, "form.filing button[type=submit]")
	var url string
	run(t, ctx, chromedp.Location(&url))
	id := url[strings.LastIndex(url, "/")+1:]
	r, err := e.svc.Request(context.Background(), adminActor, id)
	if err != nil {
		t.Fatalf("after filing, the tab is at %s: %v", url, err)
	}
	if r.Channel != service.ChannelLetter || r.Type != service.TypeDeletion ||
		!r.ReceivedAt.Equal(testNow.Add(-48*time.Hour).Truncate(time.Minute)) {
		t.Errorf("filed a %s by %s received %s", r.Type, r.Channel, r.ReceivedAt.In(shanghai))
	}
}
