package console

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// officerDesk is an officer signed in to the console, with her queue, and an admin's client beside her.
type officerDesk struct {
	tc      *testConsole
	c       *http.Client
	officer service.Actor
	queueID string
}

func newOfficerDesk(t *testing.T) *officerDesk {
	t.Helper()
	tc := newTestConsole(t, nil)
	c, u := tc.client(t, service.RoleOfficer)
	a := service.Actor{UserID: u.ID, Name: u.Name, Role: service.RoleOfficer}
	queues, err := tc.svc.Queues(context.Background(), a)
	if err != nil || len(queues) != 1 {
		t.Fatalf("the officer's queues: %v, %v", queues, err)
	}
	return &officerDesk{tc: tc, c: c, officer: a, queueID: queues[0].ID}
}

// mustFile files a request by letter as the admin and moves it to queue ("" leaves it unrouted).
func (d *officerDesk) mustFile(t *testing.T, typ service.RequestType, email, queue string) *service.Request {
	t.Helper()
	ctx := context.Background()
	cmd := service.FileRequestCommand{Type: typ, Channel: service.ChannelLetter,
		Subject: service.Subject{Name: "Sample Subject", Email: email}}
	switch typ {
	case service.TypeDeletion:
		cmd.Details.Ground = service.GroundNoLongerUsingService
	case service.TypeRectification:
		cmd.Details.Corrections = []service.Correction{{Field: "address", CorrectedValue: "1 Sample Road"},
			{Field: "phone", CorrectedValue: "+86 10 0000 0000"}}
	}
	r, _, err := d.tc.svc.FileRequest(ctx, adminActor, cmd)
	if err != nil {
		t.Fatalf("file: %v (%v)", err, service.ErrorFields(err))
	}
	if queue != "" {
		if r, err = d.tc.svc.MoveRequest(ctx, adminActor, r.ID, service.MoveCommand{QueueID: queue}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// otherQueue creates a queue the officer is not in.
func (d *officerDesk) otherQueue(t *testing.T) string {
	t.Helper()
	name, members := "elsewhere", []string{}
	q, err := d.tc.svc.CreateQueue(context.Background(), adminActor, service.QueueInput{Name: &name, Members: &members})
	if err != nil {
		t.Fatal(err)
	}
	return q.ID
}

func (d *officerDesk) lastEvent(t *testing.T, id string) *service.Event {
	t.Helper()
	evs, err := d.tc.svc.RequestEvents(context.Background(), adminActor, id)
	if err != nil {
		t.Fatal(err)
	}
	return evs[len(evs)-1]
}

func (d *officerDesk) hasEvent(t *testing.T, id, action, actor string) bool {
	t.Helper()
	evs, err := d.tc.svc.RequestEvents(context.Background(), adminActor, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == action && e.ActorID == actor {
			return true
		}
	}
	return false
}

func TestWorkListShowsHerQueue(t *testing.T) {
	d := newOfficerDesk(t)
	mine := d.mustFile(t, service.TypeAccess, "first@example.com", d.queueID)
	theirs := d.mustFile(t, service.TypeAccess, "second@example.com", d.otherQueue(t))
	status, body := d.tc.get(t, d.c, "/console/")
	if status != http.StatusOK {
		t.Fatalf("GET /console/: %d\n%s", status, body)
	}
	if !strings.Contains(body, mine.Reference) || strings.Contains(body, theirs.Reference) {
		t.Errorf("the list shows %s: %v, %s: %v; want only hers", mine.Reference, strings.Contains(body, mine.Reference),
			theirs.Reference, strings.Contains(body, theirs.Reference))
	}
	if !strings.Contains(body, "working days left") || !strings.Contains(body, `class="tag ok"`) {
		t.Errorf("the row does not say how many working days are left:\n%s", body)
	}
	if strings.Contains(body, "first@example.com") {
		t.Error("the list shows a subject's e-mail address")
	}
	// Claimed, it leaves the unassigned list and joins hers.
	if _, err := d.tc.svc.Assign(context.Background(), d.officer, mine.ID, service.AssignCommand{AssigneeID: d.officer.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, body := d.tc.get(t, d.c, "/console/?assignee=unassigned"); strings.Contains(body, mine.Reference) {
		t.Error("assignee=unassigned lists her claimed request")
	}
	if _, body := d.tc.get(t, d.c, "/console/?assignee=me"); !strings.Contains(body, mine.Reference) {
		t.Error("assignee=me does not list her claimed request")
	}
	// A search by e-mail finds it, and is audited.
	if _, body := d.tc.get(t, d.c, "/console/?q=first%40example.com"); !strings.Contains(body, mine.Reference) {
		t.Error("searching by the subject's e-mail does not find the request")
	}
	// A filter that breaks a rule is said beside its field.
	status, body = d.tc.get(t, d.c, "/console/?due_within=99")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-due-within-error"`) {
		t.Errorf("due_within=99: %d, want 422 with the message beside the field", status)
	}
}

func TestRequestOfAnotherQueueIsNotFoundAndAudited(t *testing.T) {
	d := newOfficerDesk(t)
	theirs := d.mustFile(t, service.TypeDeletion, "third@example.com", d.otherQueue(t))
	for _, path := range []string{"/console/requests/" + theirs.ID} {
		status, body := d.tc.get(t, d.c, path)
		if status != http.StatusNotFound || !strings.Contains(body, "Not found") {
			t.Errorf("GET %s: %d, want the console's 404 page", path, status)
		}
	}
	if e := d.lastEvent(t, theirs.ID); e.Action != "access.denied" || e.ActorID != d.officer.UserID {
		t.Errorf("last event %s by %s, want access.denied by the officer", e.Action, e.ActorID)
	}
	// Nor may she act on it.
	status, _ := d.tc.post(t, d.c, "/console/", "/console/requests/"+theirs.ID+"/notes", url.Values{"body": {"hello"}})
	if status != http.StatusNotFound {
		t.Errorf("a note on another queue's request: %d, want 404", status)
	}
}

func TestPersonalDataIsShownOnAskingAndAudited(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeDeletion, "fourth@example.com", d.queueID)
	page := "/console/requests/" + r.ID
	status, body := d.tc.get(t, d.c, page)
	if status != http.StatusOK || strings.Contains(body, "fourth@example.com") || !strings.Contains(body, "Show personal data") {
		t.Fatalf("GET %s: %d; personal data shown before asking, or no button", page, status)
	}
	if !strings.Contains(body, `name="csrf"`) {
		t.Error("the request page's forms carry no CSRF token")
	}
	status, body = d.tc.post(t, d.c, page, page+"/personal-data", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, "fourth@example.com") {
		t.Fatalf("show personal data: %d", status)
	}
	if !d.hasEvent(t, r.ID, "request.read", d.officer.UserID) {
		t.Error("showing the personal data left no request.read event of the officer")
	}
	// Without the form's token, nothing is shown.
	status, _ = d.tc.post(t, d.c, page, page+"/personal-data", url.Values{"csrf": {"forged"}})
	if status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", status)
	}
}

func TestOfficerWorksARequest(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeAccess, "fifth@example.com", d.queueID)
	page := "/console/requests/" + r.ID
	post := func(action string, form url.Values) (int, string) {
		t.Helper()
		return d.tc.post(t, d.c, page, page+"/"+action, form)
	}
	// Open: she may claim and start; there is no reply nor export form yet.
	_, body := d.tc.get(t, d.c, page)
	if !strings.Contains(body, "Claim") || !strings.Contains(body, `value="in_progress"`) {
		t.Error("an open request offers no claim or start")
	}
	if strings.Contains(body, page+"/reply") || strings.Contains(body, page+"/exports") {
		t.Error("an open request offers a reply or an upload")
	}
	if status, loc := post("assignment", url.Values{"assignee_id": {d.officer.UserID}}); status != http.StatusSeeOther || loc != page {
		t.Fatalf("claim: %d %s, want 303 to the page", status, loc)
	}
	if status, loc := post("transitions", url.Values{"to": {"in_progress"}}); status != http.StatusSeeOther || loc != page {
		t.Fatalf("start: %d %s", status, loc)
	}
	// A hold without its coded reason is refused beside the field; with it, the request is on hold.
	status, body := post("transitions", url.Values{"to": {"on_hold"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-hold-reason-error"`) {
		t.Fatalf("hold without a reason: %d, want 422 with the message beside the field", status)
	}
	if status, _ := post("transitions", url.Values{"to": {"on_hold"}, "reason": {"awaiting_third_party"}}); status != http.StatusSeeOther {
		t.Fatalf("hold: %d", status)
	}
	if status, _ := post("transitions", url.Values{"to": {"in_progress"}}); status != http.StatusSeeOther {
		t.Fatalf("resume: %d", status)
	}
	// Fulfilling an access request before its export is a conflict, said on the page.
	status, body = post("reply", url.Values{"outcome": {"fulfilled"}, "message": {"Here is your data."}})
	if status != http.StatusConflict || !strings.Contains(body, "attach the export files") {
		t.Fatalf("reply before the export: %d", status)
	}
	// The upload carries its token in its URL; without it, it is refused before the body is read.
	if status := d.upload(t, page, "export.csv", "id,name\n1,sample\n", false); status != http.StatusForbidden {
		t.Errorf("upload without the token: %d, want 403", status)
	}
	if status := d.upload(t, page, "export.csv", "id,name\n1,sample\n", true); status != http.StatusSeeOther {
		t.Fatalf("upload: %d", status)
	}
	// A denial needs its coded reason.
	status, body = post("reply", url.Values{"outcome": {"denied"}, "message": {"We hold none."}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-denial-reason-error"`) {
		t.Fatalf("a denial without its reason: %d", status)
	}
	if status, _ := post("reply", url.Values{"outcome": {"fulfilled"}, "message": {"Here is your data."}}); status != http.StatusSeeOther {
		t.Fatalf("reply: %d", status)
	}
	_, body = d.tc.get(t, d.c, page)
	for _, want := range []string{"Completed", "Status changed from Open to In progress", "Export file attached", "Reply sent: Completed"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page after the reply lacks %q", want)
		}
	}
	if strings.Contains(body, page+"/transitions") || strings.Contains(body, page+"/reply") {
		t.Error("a closed request still offers transitions or a reply")
	}
	// A move the state machine does not allow is a conflict, not a 5xx.
	if status, _ := post("transitions", url.Values{"to": {"in_progress"}}); status != http.StatusConflict {
		t.Errorf("moving a closed request: %d, want 409", status)
	}
}

// messageKeyRe finds a message key shown instead of its message.
var messageKeyRe = regexp.MustCompile(`work\.[a-z_]+\.[a-z_.]+`)

// upload posts an export file as the page's form does, with or without the CSRF token in its URL.
func (d *officerDesk) upload(t *testing.T, page, name, content string, withToken bool) int {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = io.WriteString(fw, content)
	_ = w.Close()
	u := d.tc.URL + page + "/exports"
	if withToken {
		u += "?csrf=" + url.QueryEscape(d.tc.csrf(t, d.c, page))
	}
	req, _ := http.NewRequest(http.MethodPost, u, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := d.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAuditorSeesNoActions(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeDeletion, "sixth@example.com", d.queueID)
	c, _ := d.tc.client(t, service.RoleAuditor)
	status, body := d.tc.get(t, c, "/console/requests/"+r.ID)
	if status != http.StatusOK {
		t.Fatalf("auditor: %d", status)
	}
	for _, action := range []string{"transitions", "assignment", "reply", "notes", "merge", "queue", "erasure"} {
		if strings.Contains(body, "/console/requests/"+r.ID+"/"+action) {
			t.Errorf("an auditor is offered %s", action)
		}
	}
	if status, _ := d.tc.post(t, c, "/console/requests/"+r.ID, "/console/requests/"+r.ID+"/notes", url.Values{"body": {"x"}}); status != http.StatusForbidden {
		t.Errorf("an auditor's note: %d, want 403", status)
	}
}

func TestFileARequestByLetter(t *testing.T) {
	d := newOfficerDesk(t)
	status, body := d.tc.post(t, d.c, "/console/requests/new", "/console/requests/new", url.Values{
		"type": {"deletion"}, "channel": {"letter"}, "details.ground": {"no_longer_using_service"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-subject-name-error"`) {
		t.Fatalf("without a name: %d, want 422 with the message beside subject.name", status)
	}
	status, loc := d.tc.post(t, d.c, "/console/requests/new", "/console/requests/new", url.Values{
		"type": {"deletion"}, "channel": {"letter"}, "details.ground": {"no_longer_using_service"},
		"subject.name": {"Sample Subject"}, "subject.email": {"letter@example.com"}, "received_at": {"2027-02-26T09:30"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/requests/") {
		t.Fatalf("filing: %d %s", status, loc)
	}
	id := strings.TrimPrefix(loc, "/console/requests/")
	// The same served form sent again (a double click) files nothing more.
	_, page := d.tc.get(t, d.c, "/console/requests/new")
	m := regexp.MustCompile(`name="form_id" value="([0-9a-f]{32})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the filing form has no form_id")
	}
	letter := url.Values{"type": {"access"}, "channel": {"letter"}, "subject.name": {"Twice Sent"},
		"subject.email": {"twice@example.com"}, "form_id": {m[1]}}
	_, first := d.tc.post(t, d.c, "/console/requests/new", "/console/requests/new", letter)
	_, second := d.tc.post(t, d.c, "/console/requests/new", "/console/requests/new", letter)
	if !strings.HasPrefix(first, "/console/requests/") || first != second {
		t.Errorf("the same form sent twice went to %s and %s, want the same request", first, second)
	}
	r, err := d.tc.svc.Request(context.Background(), adminActor, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Channel != service.ChannelLetter || r.Subject.Email != "letter@example.com" || r.ReceivedAt.Day() != 26 {
		t.Errorf("filed %s by %s received %s", r.Subject.Email, r.Channel, r.ReceivedAt)
	}
}

func TestZhCNWorkPages(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeDeletion, "seventh@example.com", d.queueID)
	for _, path := range []string{"/console/?lang=zh-CN", "/console/requests/" + r.ID + "?lang=zh-CN", "/console/requests/new?lang=zh-CN"} {
		status, body := d.tc.get(t, d.c, path)
		if status != http.StatusOK || !strings.Contains(body, `lang="zh-CN"`) {
			t.Errorf("GET %s: %d, not in Chinese", path, status)
		}
		if key := messageKeyRe.FindString(body); key != "" {
			t.Errorf("GET %s shows the message key %s", path, key)
		}
	}
}

func TestReplyToARectificationGivesEachCorrectionAnOutcome(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeRectification, "eighth@example.com", d.queueID)
	page := "/console/requests/" + r.ID
	if status, _ := d.tc.post(t, d.c, page, page+"/transitions", url.Values{"to": {"in_progress"}}); status != http.StatusSeeOther {
		t.Fatalf("start: %d", status)
	}
	_, body := d.tc.get(t, d.c, page)
	if !strings.Contains(body, `name="corrections.1.outcome"`) || strings.Contains(body, `name="follow_up_deletion"`) {
		t.Error("the reply form of a rectification of two corrections does not offer two outcomes, or offers a follow-up deletion")
	}
	status, body := d.tc.post(t, d.c, page, page+"/reply", url.Values{"outcome": {"fulfilled"}, "message": {"Done."},
		"corrections.0.outcome": {"applied"}, "corrections.1.outcome": {"refused"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-corrections-1-reason-error"`) ||
		!strings.Contains(body, "A refused correction needs a reason.") {
		t.Fatalf("a refused correction without its reason: %d", status)
	}
	status, body = d.tc.post(t, d.c, page, page+"/reply", url.Values{"outcome": {"fulfilled"}, "message": {"Done."},
		"corrections.0.outcome": {"applied"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-corrections-1-outcome-error"`) {
		t.Fatalf("a correction without an outcome: %d", status)
	}
	status, _ = d.tc.post(t, d.c, page, page+"/reply", url.Values{"outcome": {"fulfilled"}, "message": {"Done."},
		"corrections.0.outcome": {"applied"}, "corrections.1.outcome": {"refused"}, "corrections.1.reason": {"The number is in use."}})
	if status != http.StatusSeeOther {
		t.Fatalf("the reply: %d", status)
	}
	full, err := d.tc.svc.Request(context.Background(), adminActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.CorrectionOutcomes) != 2 || full.CorrectionOutcomes[1].Outcome != "refused" {
		t.Errorf("correction outcomes %+v", full.CorrectionOutcomes)
	}
}

func TestVerifyingByHandNeedsAReason(t *testing.T) {
	d := newOfficerDesk(t)
	ctx := context.Background()
	intake := service.Actor{UserID: "u-intake", Name: "web form", Role: service.RoleIntake}
	r, _, err := d.tc.svc.FileRequest(ctx, intake, service.FileRequestCommand{Type: service.TypeAccess,
		Channel: service.ChannelWebForm, Subject: service.Subject{Name: "Sample Subject", Email: "ninth@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != service.StatusUnverified {
		t.Fatalf("a web form's filing is %s", r.Status)
	}
	if _, err := d.tc.svc.MoveRequest(ctx, adminActor, r.ID, service.MoveCommand{QueueID: d.queueID}); err != nil {
		t.Fatal(err)
	}
	page := "/console/requests/" + r.ID
	status, body := d.tc.post(t, d.c, page, page+"/transitions", url.Values{"to": {"open"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-reason-open-error"`) {
		t.Fatalf("verifying without a reason: %d, want 422 beside the reason", status)
	}
	if status, _ := d.tc.post(t, d.c, page, page+"/transitions", url.Values{"to": {"open"}, "reason": {"Identity checked by phone."}}); status != http.StatusSeeOther {
		t.Fatalf("verifying with a reason: %d", status)
	}
	if _, body := d.tc.get(t, d.c, page); strings.Contains(body, "Identity checked by phone.") {
		t.Error("the notes show before the personal data is asked for")
	}
	if _, body := d.tc.post(t, d.c, page, page+"/personal-data", url.Values{}); !strings.Contains(body, "Identity checked by phone.") {
		t.Error("the reason is not among the notes shown with the personal data")
	}
}

func TestUploadLimits(t *testing.T) {
	d := newOfficerDesk(t)
	r := d.mustFile(t, service.TypeAccess, "tenth@example.com", d.queueID)
	page := "/console/requests/" + r.ID
	// Before work starts, the upload is refused before its body is read.
	if status := d.upload(t, page, "export.csv", "a,b\n", true); status != http.StatusConflict {
		t.Errorf("an upload to an open request: %d, want 409", status)
	}
	if status, _ := d.tc.post(t, d.c, page, page+"/transitions", url.Values{"to": {"in_progress"}}); status != http.StatusSeeOther {
		t.Fatalf("start: %d", status)
	}
	if status := d.upload(t, page, "big.csv", strings.Repeat("x", service.MaxExportSize+1), true); status != http.StatusUnprocessableEntity {
		t.Errorf("a file one byte over the limit: %d, want 422", status)
	}
	if status := d.upload(t, page, "", "a,b\n", true); status != http.StatusUnprocessableEntity {
		t.Errorf("a file without a name: %d, want 422", status)
	}
}

func TestMergeEraseExtendAndMove(t *testing.T) {
	d := newOfficerDesk(t)
	ctx := context.Background()
	keep := d.mustFile(t, service.TypeDeletion, "eleventh@example.com", d.queueID)
	dup := d.mustFile(t, service.TypeDeletion, "eleventh@example.com", d.queueID)
	post := func(r *service.Request, action string, form url.Values) (int, string) {
		t.Helper()
		page := "/console/requests/" + r.ID
		return d.tc.post(t, d.c, page, page+"/"+action, form)
	}
	// Merge, into a request named by its reference; an unknown reference is said beside the field.
	if status, body := post(dup, "merge", url.Values{"into": {"DSR-1999-000001"}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="f-into-error"`) {
		t.Errorf("merge into an unknown reference: %d", status)
	}
	if status, loc := post(dup, "merge", url.Values{"into": {keep.Reference}}); status != http.StatusSeeOther || loc != "/console/requests/"+dup.ID {
		t.Fatalf("merge: %d %s", status, loc)
	}
	if v, err := d.tc.svc.RequestView(ctx, adminActor, dup.ID); err != nil || v.Request.DuplicateOf != keep.ID {
		t.Errorf("after the merge: %+v, %v", v, err)
	}
	// The default policy allows no extension: a conflict, said on the page, and no form offered.
	if _, body := d.tc.get(t, d.c, "/console/requests/"+keep.ID); strings.Contains(body, keep.ID+"/extensions") {
		t.Error("an extension is offered under a policy that allows none")
	}
	if status, body := post(keep, "extensions", url.Values{"reason": {"Many systems to search."}}); status != http.StatusConflict ||
		!strings.Contains(body, "allows no extension") {
		t.Errorf("extension: %d", status)
	}
	// Erasure: once work has started, with the date and time in the policy's zone and the systems.
	if status, _ := post(keep, "erasure", url.Values{"executed_at": {"2027-03-01T09:00"}, "systems": {"crm"}}); status != http.StatusConflict {
		t.Errorf("an erasure before work starts: %d, want 409", status)
	}
	if status, _ := post(keep, "transitions", url.Values{"to": {"in_progress"}}); status != http.StatusSeeOther {
		t.Fatalf("start: %d", status)
	}
	if status, body := post(keep, "erasure", url.Values{"executed_at": {"2027-03-01T09:00"}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="f-systems-error"`) {
		t.Errorf("an erasure without systems: %d", status)
	}
	if status, _ := post(keep, "erasure", url.Values{"executed_at": {"2027-03-01T10:00"}, "systems": {"crm, hr"}}); status != http.StatusSeeOther {
		t.Fatalf("erasure: %d", status)
	}
	e, err := d.tc.svc.RequestErasure(ctx, keep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC); !e.ExecutedAt.Equal(want) || len(e.Systems) != 2 {
		t.Errorf("erasure recorded at %s on %v, want %s (10:00 in Shanghai) on crm and hr", e.ExecutedAt, e.Systems, want)
	}
	// Move: to another queue of hers.
	name, members := "second desk", []string{d.officer.UserID}
	q, err := d.tc.svc.CreateQueue(ctx, adminActor, service.QueueInput{Name: &name, Members: &members})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := post(keep, "queue", url.Values{"queue_id": {q.ID}}); status != http.StatusSeeOther {
		t.Fatalf("move: %d", status)
	}
	if v, err := d.tc.svc.RequestView(ctx, adminActor, keep.ID); err != nil || v.Request.QueueID != q.ID {
		t.Errorf("after the move: %v", err)
	}
}
