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

	"github.com/rightsdesk/rightsdesk/service"
)

// postForms lists the actions of the forms that post on a page, leaving out the layout's (language, sign-out).
func postForms(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if m[1] != "/console/lang" && m[1] != "/console/logout" {
			out = append(out, m[1])
		}
	}
	return out
}

// An auditor reads the admin pages' lists but is offered no action, and each action she forges is refused by
// the service, as the API refuses it, and changes nothing.
func TestAuditorSeesNoActionAndForgedPostsAreRefused(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	auditor, _ := tc.client(t, service.RoleAuditor)
	officer, _ := tc.client(t, service.RoleOfficer)
	for _, path := range []string{"/console/dashboard", "/console/audit/", "/console/audit/verify",
		"/console/audit/events", "/console/audit/report", "/console/admin/tokens", "/console/admin/jobs",
		"/console/admin/queues", "/console/admin/users", "/console/admin/allowed-hosts",
		"/console/admin/backups", "/console/admin/calendars"} {
		status, body := tc.get(t, auditor, path)
		if status != http.StatusOK {
			t.Errorf("auditor GET %s: %d", path, status)
			continue
		}
		if forms := postForms(body); len(forms) > 0 {
			t.Errorf("auditor GET %s offers actions %v", path, forms)
		}
	}
	// The admin is offered them.
	for _, path := range []string{"/console/admin/tokens", "/console/admin/jobs", "/console/admin/queues"} {
		if _, body := tc.get(t, admin, path); len(postForms(body)) == 0 {
			t.Errorf("admin GET %s offers no action", path)
		}
	}
	before := tc.mustCount(t)
	eventsBefore := tc.mustEvents(t)
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/console/admin/tokens", url.Values{"user_id": {"system"}, "name": {"stolen"}}},
		{"/console/admin/users", url.Values{"name": {"Mallory"}, "email": {"m@example.com"}, "role": {"admin"}}},
		{"/console/admin/queues", url.Values{"name": {"mine"}}},
		{"/console/admin/jobs/outbox/runs", url.Values{}},
		{"/console/admin/outbox/nope/retry", url.Values{}},
		{"/console/admin/allowed-hosts", url.Values{"host": {"db.internal"}}},
		{"/console/admin/backups", url.Values{"name": {"tape"}, "owner_email": {"o@example.com"},
			"refresh_schedule": {"0 3 * * *"}, "generations": {"2"}}},
		{"/console/admin/tokens/whatever/revoke", url.Values{}},
		{"/console/admin/queues/whatever/delete", url.Values{}},
		{"/console/admin/users/system/deactivate", url.Values{}},
		{"/console/admin/users/system/invitations", url.Values{}},
		{"/console/admin/settings/admin-second-factor", url.Values{"required": {"true"}}},
	} {
		status, _ := tc.post(t, auditor, "/console/dashboard", tt.path, tt.form)
		if status != http.StatusForbidden {
			t.Errorf("auditor POST %s: %d, want 403", tt.path, status)
		}
	}
	// An officer's action on a request the auditor may read: refused (404 until the request pages exist, 403 by
	// the service after), never done.
	id := tc.adminFile(t)
	for _, path := range []string{"/console/requests/" + id + "/transitions", "/console/requests/" + id + "/notes"} {
		status, _ := tc.post(t, auditor, "/console/dashboard", path, url.Values{"to": {"in_progress"}, "body": {"x"}})
		if status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("auditor POST %s: %d, want 403 or 404", path, status)
		}
	}
	// The officer may not even open the admin area or the audit views.
	for _, path := range []string{"/console/admin/", "/console/admin/tokens", "/console/audit/verify", "/console/audit/events"} {
		if status, _ := tc.get(t, officer, path); status != http.StatusForbidden {
			t.Errorf("officer GET %s: %d, want 403", path, status)
		}
	}
	if after := tc.mustCount(t); after != before {
		t.Errorf("forged posts changed the state: %+v, then %+v", before, after)
	}
	// A refusal by role is audited as the API audits it: the API answers 403 and writes no event (only a
	// request refused to its reader is an access.denied event), so neither does the console.
	if after := tc.mustEvents(t); after != eventsBefore {
		t.Errorf("the forged posts wrote %d events", after-eventsBefore)
	}
}

// mustEvents counts the events that concern no request.
func (tc *testConsole) mustEvents(t *testing.T) int {
	t.Helper()
	n := 0
	for after := int64(0); ; {
		page, err := tc.svc.AuditEvents(context.Background(), adminActor, after, service.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if page.NextAfter == 0 {
			return n
		}
		after = page.NextAfter
	}
}

// counts is what the forged posts could have changed.
type counts struct{ users, tokens, queues, hosts, backups int }

func (tc *testConsole) mustCount(t *testing.T) counts {
	t.Helper()
	ctx := context.Background()
	users, err := tc.svc.Users(ctx, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := tc.svc.Tokens(ctx, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	queues, err := tc.svc.Queues(ctx, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := tc.svc.AllowedHosts(ctx, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	backups, err := tc.svc.BackupSystems(ctx, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	return counts{len(users), len(tokens), len(queues), len(hosts), len(backups)}
}

// adminFile files a deletion request through the service, as the web form would, and answers its ID.
func (tc *testConsole) adminFile(t *testing.T) string {
	t.Helper()
	r, _, err := tc.svc.FileRequest(context.Background(), service.Actor{UserID: "web", Name: "web form",
		Role: service.RoleIntake}, service.FileRequestCommand{Type: service.TypeDeletion,
		Subject: service.Subject{Name: "Li Wei", Email: "li.wei@example.com"},
		Details: service.Details{Ground: service.GroundNoLongerUsingService}, Channel: service.ChannelWebForm})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// A token's secret is shown once, in the answer to the form, and works; revoking it (PRG) ends it.
func TestAdminIssuesAndRevokesAToken(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	crm, err := tc.svc.CreateUser(context.Background(), adminActor, service.NewUser{Name: "crm sync",
		Role: service.RoleIntegration})
	if err != nil {
		t.Fatal(err)
	}
	status, body := tc.post(t, admin, "/console/admin/tokens", "/console/admin/tokens",
		url.Values{"user_id": {crm.ID}, "name": {"nightly"}})
	if status != http.StatusCreated {
		t.Fatalf("issue: %d\n%s", status, body)
	}
	m := regexp.MustCompile(`<p class="secret" id="secret">([^<]+)</p>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret shown:\n%s", body)
	}
	secret := m[1]
	if a, err := tc.svc.Authenticate(context.Background(), secret); err != nil || a.UserID != crm.ID {
		t.Fatalf("the shown secret does not authenticate crm sync: %+v, %v", a, err)
	}
	// The list shows the token, never its secret.
	_, list := tc.get(t, admin, "/console/admin/tokens")
	if !strings.Contains(list, "nightly") || strings.Contains(list, secret) {
		t.Fatalf("token list: has name %v, has secret %v", strings.Contains(list, "nightly"), strings.Contains(list, secret))
	}
	tokens, _ := tc.svc.Tokens(context.Background(), adminActor)
	var id string
	for _, tk := range tokens {
		if tk.Name == "nightly" {
			id = tk.ID
		}
	}
	status, loc := tc.post(t, admin, "/console/admin/tokens", "/console/admin/tokens/"+id+"/revoke", url.Values{})
	if status != http.StatusSeeOther || loc != "/console/admin/tokens?done=token_revoked" {
		t.Fatalf("revoke: %d %s", status, loc)
	}
	if _, err := tc.svc.Authenticate(context.Background(), secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
		t.Errorf("the revoked secret still authenticates: %v", err)
	}
	if _, page := tc.get(t, admin, loc); !strings.Contains(page, "The token was revoked") {
		t.Errorf("no notice after the redirect")
	}
	// A missing user and a missing name are errors beside their fields, the name kept.
	status, body = tc.post(t, admin, "/console/admin/tokens", "/console/admin/tokens", url.Values{"user_id": {""}, "name": {"kept"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-user-id-error"`) ||
		!strings.Contains(body, `value="kept"`) {
		t.Errorf("token without user: %d\n%s", status, body)
	}
	status, body = tc.post(t, admin, "/console/admin/tokens", "/console/admin/tokens", url.Values{"user_id": {crm.ID}, "name": {""}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-name-error"`) ||
		!strings.Contains(body, `aria-describedby="f-name-error"`) {
		t.Errorf("token without name: %d\n%s", status, body)
	}
}

// Queues: a broken rule comes back beside its field with the values kept; creation, members, default and
// deletion go through the service and redirect.
func TestAdminManagesQueues(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	_, olivia := tc.client(t, service.RoleOfficer)
	status, body := tc.post(t, admin, "/console/admin/queues", "/console/admin/queues",
		url.Values{"name": {""}, "escalation_email": {"dpo@acme.example"}, "locale": {"en"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-name-error"`) ||
		!strings.Contains(body, `value="dpo@acme.example"`) {
		t.Fatalf("queue without a name: %d\n%s", status, body)
	}
	status, loc := tc.post(t, admin, "/console/admin/queues", "/console/admin/queues", url.Values{"name": {"Deletions"},
		"escalation_email": {"dpo@acme.example"}, "locale": {"zh-CN"}, "members_set": {"1"}, "members": {olivia.ID},
		"routes_set": {"1"}, "routes.types": {"deletion", "account_cancellation"}, "routes.channels": {"letter"}})
	if status != http.StatusSeeOther || loc != "/console/admin/queues?done=queue_created" {
		t.Fatalf("create: %d %s", status, loc)
	}
	q := tc.mustQueue(t, "Deletions")
	if len(q.Members) != 1 || q.Members[0] != olivia.ID || q.Locale != "zh-CN" || q.Default ||
		len(q.Routes.Types) != 2 || len(q.Routes.Channels) != 1 || q.Routes.Channels[0] != service.ChannelLetter {
		t.Fatalf("created %+v", q)
	}
	// An unknown type in the routes is the service's refusal, beside no field of the form: above it.
	status, body = tc.post(t, admin, "/console/admin/queues", "/console/admin/queues/"+q.ID,
		url.Values{"routes_set": {"1"}, "routes.types": {"fax"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `class="alert"`) {
		t.Fatalf("a route of no type: %d\n%s", status, body)
	}
	// Default; then no members, which a default queue may not have: the rule, in the catalogue's words, above
	// the forms.
	if status, _ := tc.post(t, admin, "/console/admin/queues", "/console/admin/queues/"+q.ID, url.Values{"default": {"true"}}); status != http.StatusSeeOther {
		t.Fatalf("default: %d", status)
	}
	status, body = tc.post(t, admin, "/console/admin/queues", "/console/admin/queues/"+q.ID, url.Values{"members_set": {"1"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "members: Choose privacy officers only (at most 500); a default queue needs at least one.") {
		t.Fatalf("no members in the default queue: %d\n%s", status, body)
	}
	if q = tc.mustQueue(t, "Deletions"); !q.Default || len(q.Members) != 1 {
		t.Fatalf("updated %+v", q)
	}
	// Another queue is deleted.
	if status, _ := tc.post(t, admin, "/console/admin/queues", "/console/admin/queues", url.Values{"name": {"Spare"}}); status != http.StatusSeeOther {
		t.Fatalf("create Spare: %d", status)
	}
	q = tc.mustQueue(t, "Spare")
	status, loc = tc.post(t, admin, "/console/admin/queues", "/console/admin/queues/"+q.ID+"/delete", url.Values{})
	if status != http.StatusSeeOther || loc != "/console/admin/queues?done=queue_deleted" {
		t.Fatalf("delete: %d %s", status, loc)
	}
	// Another queue's ID that does not exist: the console's 404.
	if status, _ := tc.post(t, admin, "/console/admin/queues", "/console/admin/queues/nope/delete", url.Values{}); status != http.StatusNotFound {
		t.Errorf("delete of no queue: %d", status)
	}
}

// The queue forms offer as members only those the service accepts as members: officers, not admins.
func TestQueueFormsOfferOfficersOnly(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, adminUser := tc.client(t, service.RoleAdmin)
	_, olivia := tc.client(t, service.RoleOfficer)
	status, body := tc.get(t, admin, "/console/admin/queues")
	if status != http.StatusOK || !strings.Contains(body, `name="members" value="`+olivia.ID+`"`) {
		t.Fatalf("the queues page does not offer the officer: %d\n%s", status, body)
	}
	if strings.Contains(body, `name="members" value="`+adminUser.ID+`"`) {
		t.Errorf("the queues page offers an admin as a member, whom the service refuses")
	}
}

func (tc *testConsole) mustQueue(t *testing.T, name string) *service.Queue {
	t.Helper()
	qs, err := tc.svc.Queues(context.Background(), adminActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("no queue %s", name)
	return nil
}

// A job runs now from the jobs page and its run shows; a failed mail is retried from the outbox page.
func TestAdminRunsAJobAndRetriesAMail(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	status, loc := tc.post(t, admin, "/console/admin/jobs", "/console/admin/jobs/"+service.JobTable[0].Name+"/runs", url.Values{})
	if status != http.StatusSeeOther || loc != "/console/admin/jobs?done=job_ran" {
		t.Fatalf("run: %d %s", status, loc)
	}
	if _, body := tc.get(t, admin, loc); !strings.Contains(body, "The job ran") || !strings.Contains(body, `class="tag good"`) {
		t.Errorf("jobs page after the run:\n%s", body)
	}
	if status, _ := tc.post(t, admin, "/console/admin/jobs", "/console/admin/jobs/no-such-job/runs", url.Values{}); status != http.StatusNotFound {
		t.Errorf("unknown job: %d", status)
	}

	ctx := context.Background()
	m := &service.Mail{ID: "m-1", DedupeKey: "test:m-1", Kind: "subject.acknowledgement", To: "li.wei@example.com",
		Subject: "s", Text: "t", Status: service.MailPending, NextAttemptAt: testNow, CreatedAt: testNow}
	if _, err := tc.store.EnqueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Status, m.Attempts, m.LastError = service.MailFailed, 8, "550 mailbox unavailable"
	if err := tc.store.SaveMailDelivery(ctx, m); err != nil {
		t.Fatal(err)
	}
	_, body := tc.get(t, admin, "/console/admin/outbox")
	if !strings.Contains(body, "550 mailbox unavailable") || strings.Contains(body, "li.wei@example.com") {
		t.Fatalf("outbox page: the failure shown %v, the address shown %v", strings.Contains(body, "550 mailbox"),
			strings.Contains(body, "li.wei@example.com"))
	}
	status, loc = tc.post(t, admin, "/console/admin/outbox", "/console/admin/outbox/m-1/retry", url.Values{})
	if status != http.StatusSeeOther || loc != "/console/admin/outbox?done=mail_retried" {
		t.Fatalf("retry: %d %s", status, loc)
	}
	if got, err := tc.store.FindMail(ctx, "m-1"); err != nil || got.Status != service.MailPending {
		t.Errorf("after the retry: %+v, %v", got, err)
	}
}

// A calendar year loads from an uploaded file; a bad year or no file comes back beside its field.
func TestAdminLoadsACalendarYear(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	upload := func(year, doc string) (int, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("year", year)
		if doc != "" {
			f, _ := w.CreateFormFile("file", "cn-2030.json")
			_, _ = f.Write([]byte(doc))
		}
		w.Close()
		// An upload carries its CSRF token in its URL, so that its body is read only once it is authorised.
		res, err := admin.Post(tc.URL+"/console/admin/calendars/cn/years?csrf="+url.QueryEscape(tc.csrf(t, admin, "/console/admin/calendars")),
			w.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if loc := res.Header.Get("Location"); loc != "" {
			return res.StatusCode, loc
		}
		return res.StatusCode, string(body)
	}
	if status, body := upload("twenty", `{}`); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-year-error"`) {
		t.Errorf("bad year: %d", status)
	}
	if status, body := upload("2030", ""); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-file-error"`) {
		t.Errorf("no file: %d", status)
	}
	if status, body := upload("2030", `{"year": 2030, "days": "nope"}`); status != http.StatusUnprocessableEntity {
		t.Errorf("bad document: %d\n%s", status, body)
	}
	doc := `{"year": 2030, "days": [{"name": "元旦", "date": "2030-01-01", "isOffDay": true}]}`
	status, loc := upload("2030", doc)
	if status != http.StatusSeeOther || loc != "/console/admin/calendars?done=calendar_loaded" {
		t.Fatalf("load: %d %s", status, loc)
	}
	cals, _ := tc.svc.Calendars(context.Background(), adminActor)
	found := false
	for _, c := range cals {
		for _, y := range c.PublishedYears {
			found = found || (c.Name == "cn" && y == 2030)
		}
	}
	if !found {
		t.Errorf("2030 not published after the load: %+v", cals)
	}
	// A file over the limit is refused beside its field.
	if status, body := upload("2031", `{"year": 2031, "days": [], "pad": "`+strings.Repeat("x", maxCalendarUpload)+`"}`); status != http.StatusUnprocessableEntity && status != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over the limit: %d\n%.300s", status, body)
	}
}

// Users: added by the form (an officer without an address comes back with the error beside the field),
// invited by e-mail, deactivated and reactivated, each through the service, each ending in a redirect.
func TestAdminManagesUsers(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, me := tc.client(t, service.RoleAdmin)
	status, body := tc.post(t, admin, "/console/admin/users", "/console/admin/users",
		url.Values{"name": {"Olivia Chen"}, "email": {""}, "role": {"officer"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-email-error"`) ||
		!strings.Contains(body, `value="Olivia Chen"`) {
		t.Fatalf("officer without an address: %d\n%s", status, body)
	}
	status, loc := tc.post(t, admin, "/console/admin/users", "/console/admin/users",
		url.Values{"name": {"Olivia Chen"}, "email": {"olivia.chen@example.com"}, "role": {"officer"}})
	if status != http.StatusSeeOther || loc != "/console/admin/users?done=user_created" {
		t.Fatalf("create: %d %s", status, loc)
	}
	var olivia *service.User
	users, _ := tc.svc.Users(context.Background(), adminActor)
	for _, u := range users {
		if u.Email == "olivia.chen@example.com" {
			olivia = u
		}
	}
	if olivia == nil || olivia.Role != service.RoleOfficer {
		t.Fatalf("created: %+v", olivia)
	}
	_, page := tc.get(t, admin, "/console/admin/users")
	if !strings.Contains(page, "/console/admin/users/"+olivia.ID+"/invitations") ||
		strings.Contains(page, "/console/admin/users/"+me.ID+"/deactivate") {
		t.Errorf("the users page offers an invitation to Olivia %v, deactivation of the admin herself %v",
			strings.Contains(page, olivia.ID+"/invitations"), strings.Contains(page, me.ID+"/deactivate"))
	}
	// No mail server here: the invitation waits in the outbox, and the answer shows the admin its link, once.
	status, body = tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+olivia.ID+"/invitations", url.Values{})
	link := regexp.MustCompile(regexp.QuoteMeta(tc.URL) + `/console/invitations/[A-Za-z0-9_-]+`).FindString(body)
	if status != http.StatusCreated || link == "" || !strings.Contains(body, "RIGHTSDESK_SMTP_URL") {
		t.Fatalf("an invitation without a mail server: %d\n%s", status, body)
	}
	if status, page := tc.get(t, tc.anonymous(t), strings.TrimPrefix(link, tc.URL)); status != http.StatusOK ||
		!strings.Contains(page, `id="f-password"`) {
		t.Errorf("the link shown does not open the password page: %d", status)
	}
	for _, step := range []struct{ path, done string }{
		{"/deactivate", "user_deactivated"}, {"/reactivate", "user_reactivated"},
	} {
		status, loc := tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+olivia.ID+step.path, url.Values{})
		if status != http.StatusSeeOther || loc != "/console/admin/users?done="+step.done {
			t.Fatalf("%s: %d %s", step.path, status, loc)
		}
		if step.done == "user_deactivated" {
			if _, page := tc.get(t, admin, loc); !strings.Contains(page, "/console/admin/users/"+olivia.ID+"/reactivate") {
				t.Error("a deactivated user is not offered reactivation")
			}
		}
	}
	pending, err := tc.svc.OutboxMail(context.Background(), adminActor, service.MailPending, 10)
	if err != nil || len(pending) != 1 {
		t.Errorf("the invitation's mail: %d mails, %v", len(pending), err)
	}
	// Settings: the second factor for admins, on.
	status, loc = tc.post(t, admin, "/console/admin/settings", "/console/admin/settings/admin-second-factor",
		url.Values{"required": {"true"}})
	if on, _ := tc.svc.AdminSecondFactorRequired(context.Background()); status != http.StatusSeeOther || !on {
		t.Errorf("second factor: %d %s, required %v", status, loc, on)
	}
}

// A restore is recorded from the backups page: a bad time comes back beside its field; a good one redirects
// with the number of deletions it undid.
func TestAdminRecordsARestore(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	b, err := tc.svc.CreateBackupSystem(context.Background(), adminActor, service.NewBackupSystem{Name: "tape",
		OwnerEmail: "backups@example.com", RefreshSchedule: "0 3 * * 0", Generations: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/admin/backups/" + b.ID + "/restores"
	status, body := tc.post(t, admin, "/console/admin/backups", path, url.Values{"snapshot_taken_at": {"yesterday"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-snapshot-taken-at-`+b.ID+`-error"`) {
		t.Fatalf("bad time: %d\n%s", status, body)
	}
	status, body = tc.post(t, admin, "/console/admin/backups", path, url.Values{"snapshot_taken_at": {"2027-03-05T09:00"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-snapshot-taken-at-`+b.ID+`-error"`) {
		t.Fatalf("a snapshot in the future: %d\n%s", status, body)
	}
	status, loc := tc.post(t, admin, "/console/admin/backups", path, url.Values{"snapshot_taken_at": {"2027-02-20T03:00"}})
	if status != http.StatusSeeOther || loc != "/console/admin/backups?done=restore_recorded&n=0" {
		t.Fatalf("restore: %d %s", status, loc)
	}
	_, page := tc.get(t, admin, loc)
	if !strings.Contains(page, "0 deleted requests came back") {
		t.Errorf("no notice after the restore")
	}
	// The restore is listed, with its snapshot's time in the policy's zone and who recorded it.
	if !strings.Contains(page, `<tr><td>tape</td><td>20 February 2027 03:00</td>`) || !strings.Contains(page, "<td>admin 1</td></tr>") {
		t.Errorf("the restore is not listed:\n%s", page)
	}
}
