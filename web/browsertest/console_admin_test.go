package browsertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// TestConsoleAdmin: an admin issues a token (its secret shown once) and revokes it, creates a queue, retries a
// failed mail and runs a job, in the browser; every admin page passes axe.
func TestConsoleAdmin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	bg := context.Background()
	crm, err := e.svc.CreateUser(bg, adminActor, service.NewUser{Name: "crm sync", Role: service.RoleIntegration})
	if err != nil {
		t.Fatal(err)
	}
	tape, err := e.svc.CreateBackupSystem(bg, adminActor, service.NewBackupSystem{Name: "tape",
		OwnerEmail: "backups@example.com", RefreshSchedule: "0 3 * * 0", Generations: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordRestore(bg, adminActor, tape.ID, testNow.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.signIn(t, ctx, service.RoleAdmin)

	e.console(t, ctx, "/console/admin/")
	audit(t, ctx, "console admin")
	e.console(t, ctx, "/console/admin/tokens")
	audit(t, ctx, "console admin tokens")
	run(t, ctx, chromedp.SetValue("#f-user-id", crm.ID, chromedp.ByID),
		chromedp.SendKeys("#f-name", "nightly export", chromedp.ByID))
	submit(t, ctx, `form[action="/console/admin/tokens"] button[type=submit]`)
	secret := text(t, ctx, "#secret")
	if a, err := e.svc.Authenticate(bg, secret); err != nil || a.UserID != crm.ID {
		t.Fatalf("the secret shown does not authenticate crm sync: %v", err)
	}
	audit(t, ctx, "console admin token issued")
	e.console(t, ctx, "/console/admin/tokens")
	var list string
	run(t, ctx, chromedp.Text("#tokens", &list, chromedp.ByID))
	if !strings.Contains(list, "nightly export") || strings.Contains(list, secret) {
		t.Fatalf("the tokens list: %q", list)
	}
	tokens, err := e.svc.Tokens(bg, adminActor)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tk := range tokens {
		if tk.Name == "nightly export" {
			id = tk.ID
		}
	}
	submit(t, ctx, `form[action="/console/admin/tokens/`+id+`/revoke"] button`)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "revoked") {
		t.Errorf("after revoking: %q", got)
	}
	if _, err := e.svc.Authenticate(bg, secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
		t.Errorf("the revoked secret still works: %v", err)
	}

	e.console(t, ctx, "/console/admin/queues")
	audit(t, ctx, "console admin queues")
	run(t, ctx, chromedp.SendKeys("#f-name", "Portability", chromedp.ByID),
		chromedp.SendKeys("#f-escalation-email", "dpo@example.com", chromedp.ByID))
	submit(t, ctx, `form[action="/console/admin/queues"] button[type=submit]`)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "created") {
		t.Errorf("after creating the queue: %q", got)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "Portability") {
		t.Errorf("the new queue is not listed")
	}
	adminShot(t, ctx, "admin-queues")

	m := &service.Mail{ID: "mail-failed", DedupeKey: "test:mail-failed", Kind: "subject.reply", To: "li.wei@example.com",
		Subject: "Your request", Text: "text", Status: service.MailPending, NextAttemptAt: testNow, CreatedAt: testNow}
	if _, err := e.store.EnqueueMail(bg, m); err != nil {
		t.Fatal(err)
	}
	m.Status, m.Attempts, m.LastError = service.MailFailed, 8, "550 mailbox unavailable"
	if err := e.store.SaveMailDelivery(bg, m); err != nil {
		t.Fatal(err)
	}
	e.console(t, ctx, "/console/admin/outbox")
	audit(t, ctx, "console admin outbox")
	submit(t, ctx, `form[action="/console/admin/outbox/mail-failed/retry"] button`)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "queued again") {
		t.Errorf("after the retry: %q", got)
	}
	if got, err := e.store.FindMail(bg, "mail-failed"); err != nil || got.Status != service.MailPending {
		t.Errorf("the mail after the retry: %+v, %v", got, err)
	}

	e.console(t, ctx, "/console/admin/jobs")
	audit(t, ctx, "console admin jobs")
	job := service.JobTable[0].Name
	submit(t, ctx, fmt.Sprintf(`form[action="/console/admin/jobs/%s/runs"] button`, job))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "The job ran") {
		t.Errorf("after running %s: %q", job, got)
	}
	if got := text(t, ctx, "#jobs"); !strings.Contains(got, "done") {
		t.Errorf("the jobs table after the run: %q", got)
	}
	adminShot(t, ctx, "admin-jobs")

	for _, page := range []string{"users", "backups", "calendars", "allowed-hosts", "settings"} {
		e.console(t, ctx, "/console/admin/"+page)
		audit(t, ctx, "console admin "+page)
		if page == "backups" {
			if got := text(t, ctx, "#restores"); !strings.Contains(got, "tape") {
				t.Errorf("the restores on the backups page: %q", got)
			}
		}
	}
	// In Chinese too.
	run(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="zh-CN"]`, chromedp.ByQuery))
	for _, page := range []string{"", "users", "tokens", "queues", "backups", "calendars", "jobs", "outbox",
		"allowed-hosts", "settings"} {
		e.console(t, ctx, "/console/admin/"+page)
		if got := text(t, ctx, "h1"); strings.ContainsAny(got, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("/console/admin/%s in Chinese: heading %q", page, got)
		}
		audit(t, ctx, "console admin "+page+" zh-CN")
	}
}

// TestConsoleAdminChangesARole: an admin changes an officer to auditor with the role select on the users
// page; the officer's session ends; trying to step down as the last admin shows why beside her own role.
func TestConsoleAdminChangesARole(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	bg := context.Background()
	o, err := e.svc.CreateUser(bg, adminActor, service.NewUser{Name: "Wang Fang", Email: "wang.fang@acme.example",
		Role: service.RoleOfficer})
	if err != nil {
		t.Fatal(err)
	}
	session, err := e.svc.StartSession(bg, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	me := e.signIn(t, ctx, service.RoleAdmin)

	e.console(t, ctx, "/console/admin/users")
	run(t, ctx, chromedp.SetValue("#role-"+o.ID, "auditor", chromedp.ByID))
	submit(t, ctx, `form[action="/console/admin/users/`+o.ID+`/role"] button`)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "role was changed") {
		t.Errorf("after the change: %q", got)
	}
	if u, err := e.store.FindUser(bg, o.ID); err != nil || u.Role != service.RoleAuditor {
		t.Fatalf("Wang Fang's role: %+v %v", u, err)
	}
	if _, err := e.svc.LookupSession(bg, session.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
		t.Errorf("her session after the change: %v, want ended", err)
	}
	var selected string
	run(t, ctx, chromedp.Value("#role-"+o.ID, &selected, chromedp.ByID))
	if selected != "auditor" {
		t.Errorf("the select after the change: %q", selected)
	}
	audit(t, ctx, "console admin users role changed")

	run(t, ctx, chromedp.SetValue("#role-"+me.UserID, "auditor", chromedp.ByID))
	submit(t, ctx, `form[action="/console/admin/users/`+me.UserID+`/role"] button`)
	if got := text(t, ctx, "#role-"+me.UserID+"-error"); !strings.Contains(got, "the last admin who can sign in") {
		t.Errorf("the last admin steps down: %q", got)
	}
	audit(t, ctx, "console admin users role refused")
	adminShot(t, ctx, "admin-users")
}

// TestConsoleAuditor: the auditor sees the dashboard (in English and Chinese) and the audit verification in
// words, is offered no action, and a POST she forges from the page is refused and changes nothing.
func TestConsoleAuditor(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	seedDashboard(t, e)
	e.signIn(t, ctx, service.RoleAuditor)

	e.console(t, ctx, "/console/dashboard")
	var charts int
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll('svg.chart[role="img"]').length`, &charts))
	if charts != 5 {
		t.Errorf("%d charts on the dashboard, want 5", charts)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "Open and overdue requests per queue") {
		t.Errorf("the dashboard: %q", got)
	}
	assertNoActions(t, ctx, "the dashboard")
	audit(t, ctx, "console dashboard")
	adminShot(t, ctx, "dashboard-en")
	fitsPhone(t, ctx, "the dashboard")

	run(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="zh-CN"]`, chromedp.ByQuery))
	if got := text(t, ctx, "main"); !strings.Contains(got, "各队列未办结及逾期的申请") || !strings.Contains(got, "删除个人信息") {
		t.Errorf("the zh-CN dashboard: %q", got)
	}
	audit(t, ctx, "console dashboard zh-CN")
	adminShot(t, ctx, "dashboard-zh-CN")
	fitsPhone(t, ctx, "the dashboard in Chinese")

	e.console(t, ctx, "/console/audit/verify")
	if got := text(t, ctx, "#verdict"); !strings.Contains(got, "审计记录完整") {
		t.Errorf("the verification in Chinese: %q", got)
	}
	audit(t, ctx, "console audit verify zh-CN")
	run(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="en"]`, chromedp.ByQuery))
	if got := text(t, ctx, "#verdict"); !strings.Contains(got, "The audit trail is intact") {
		t.Errorf("the verification: %q", got)
	}
	assertNoActions(t, ctx, "the verification")
	audit(t, ctx, "console audit verify")
	for _, page := range []string{"/console/audit/", "/console/audit/events", "/console/audit/report"} {
		e.console(t, ctx, page)
		assertNoActions(t, ctx, page)
		audit(t, ctx, "console "+page)
	}

	// A POST forged from the page, with the page's own CSRF token: the service refuses it.
	before, err := e.svc.Queues(context.Background(), adminActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/console/admin/queues", "/console/admin/jobs/" + service.JobTable[0].Name + "/runs"} {
		var status int
		run(t, ctx, chromedp.Evaluate(fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type":
			"application/x-www-form-urlencoded"}, body: new URLSearchParams({csrf: document.querySelector(
			'input[name=csrf]').value, name: "forged"})}).then(r => r.status)`, path), &status,
			func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		if status != 403 {
			t.Errorf("the auditor's forged POST %s: %d, want 403", path, status)
		}
	}
	after, _ := e.svc.Queues(context.Background(), adminActor)
	if len(after) != len(before) {
		t.Errorf("the forged POST created a queue")
	}
	runs, _ := e.svc.JobStatuses(context.Background(), adminActor)
	if runs[0].LastRun != nil {
		t.Errorf("the forged POST ran %s", runs[0].Name)
	}
}

// assertNoActions fails when the page offers a form that posts, besides the layout's language switch and
// sign-out.
func assertNoActions(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var actions []string
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll('form[method=post]')].map(f => f.getAttribute('action'))
		.filter(a => a !== "/console/lang" && a !== "/console/logout")`, &actions))
	if len(actions) > 0 {
		t.Errorf("%s offers the auditor %v", page, actions)
	}
}

// adminShot saves the tab's page, 1280 wide, as console-NAME.png when RIGHTSDESK_SCREENSHOTS names a folder
// (relative to the repository's root).
func adminShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("RIGHTSDESK_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var png []byte
	run(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedDashboard writes a few hundred requests over the twelve weeks before the clock, as a small company's
// privacy team would have them: three queues, most requests answered within the deadline, some late, some
// withdrawn, a backlog with a few overdue, and two backups still holding erased data.
func seedDashboard(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	var queues []string
	for _, name := range []string{"Access and copies", "Deletions", "Corrections"} {
		n, ids := name, []string{e.officer.UserID}
		q, err := e.svc.CreateQueue(ctx, adminActor, service.QueueInput{Name: &n, Members: &ids})
		if err != nil {
			t.Fatal(err)
		}
		queues = append(queues, q.ID)
	}
	queueOf := map[service.RequestType]string{
		service.TypeAccess: queues[0], service.TypePortability: queues[0], service.TypeDeletion: queues[1],
		service.TypeAccountCancellation: queues[1], service.TypeConsentWithdrawal: queues[1],
		service.TypeRectification: queues[2],
	}
	types := []service.RequestType{service.TypeAccess, service.TypeAccess, service.TypeDeletion, service.TypeDeletion,
		service.TypeDeletion, service.TypeRectification, service.TypeConsentWithdrawal, service.TypeAccountCancellation,
		service.TypePortability}
	rng := rand.New(rand.NewPCG(14, 2027))
	start := testNow.Add(-84 * 24 * time.Hour)
	weekdays := func(from time.Time, n int) time.Time {
		d := from
		for n > 0 {
			d = d.Add(24 * time.Hour)
			if wd := d.In(shanghai).Weekday(); wd != time.Saturday && wd != time.Sunday {
				n--
			}
		}
		return d
	}
	var erased []*service.Request
	err := e.store.WithTx(ctx, func(tx service.Store) error {
		for i := range 320 {
			// More requests in the recent weeks than in the first.
			at := start.Add(time.Duration(float64(84*24*time.Hour) * (1 - rng.Float64()*rng.Float64())))
			at = time.Date(at.Year(), at.Month(), at.Day(), 9+rng.IntN(9), rng.IntN(60), 0, 0, at.Location())
			if at.After(testNow) {
				at = testNow.Add(-time.Duration(1+rng.IntN(600)) * time.Minute)
			}
			typ := types[rng.IntN(len(types))]
			due := calendar.DateOf(weekdays(at, 15).In(shanghai))
			r := &service.Request{
				ID: fmt.Sprintf("seed-%04d", i), Reference: fmt.Sprintf("DSR-%d-%06d", at.In(shanghai).Year(), 100+i),
				Type: typ, Status: service.StatusInProgress, Channel: service.ChannelWebForm,
				Subject: service.Subject{Name: fmt.Sprintf("Subject %d", i), Email: fmt.Sprintf("subject%d@example.com", i)},
				Details: service.Details{Ground: service.GroundNoLongerUsingService, Categories: []string{"orders"}, Format: "json", Purposes: []string{"marketing"}, AccountID: "acct"},
				Policy:  service.DefaultPolicy, ReceivedAt: at, QueueID: queueOf[typ], Locale: "en",
				Due:        service.Due{Date: due, At: due.EndOfDay(shanghai)},
				Clock:      service.Clock{Start: calendar.DateOf(at.In(shanghai)), Budget: 15},
				AssigneeID: e.officer.UserID, CreatedBy: "seed", CreatedAt: at, UpdatedAt: at,
			}
			switch p := rng.IntN(100); {
			case p < 70: // replied: mostly in 3 to 14 working days, a few late
				days := 3 + rng.IntN(12)
				if rng.IntN(10) == 0 {
					days = 16 + rng.IntN(5)
				}
				replied := weekdays(at, days).Add(time.Duration(rng.IntN(300)) * time.Minute)
				if replied.After(testNow) {
					break
				}
				r.RepliedAt, r.ClosedAt = &replied, &replied
				r.Status, r.Outcome = service.StatusFulfilled, service.StatusFulfilled
				if rng.IntN(8) == 0 {
					r.Status, r.Outcome, r.DenialReason = service.StatusDenied, service.StatusDenied, service.DenialNoMatch
				}
			case p < 76:
				closed := at.Add(time.Duration(1+rng.IntN(96)) * time.Hour)
				if closed.Before(testNow) {
					r.ClosedAt, r.Status = &closed, service.StatusWithdrawn
				}
			}
			if err := tx.CreateRequest(ctx, r); err != nil {
				return err
			}
			if r.Type == service.TypeDeletion && r.RepliedAt != nil && len(erased) < 9 {
				erased = append(erased, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var systems []*service.BackupSystem
	for _, name := range []string{"nightly database backup", "weekly tape archive"} {
		b, err := e.svc.CreateBackupSystem(ctx, adminActor, service.NewBackupSystem{Name: name,
			OwnerEmail: "backups@example.com", RefreshSchedule: "0 3 * * 0", Generations: 4, GraceHours: 24})
		if err != nil {
			t.Fatal(err)
		}
		systems = append(systems, b)
	}
	for i, r := range erased {
		var purges []*service.Purge
		for j, b := range systems {
			if j == 1 || i%2 == 0 {
				purges = append(purges, &service.Purge{RequestID: r.ID, BackupSystemID: b.ID, BackupName: b.Name,
					State: service.PurgePending, ExecutedAt: *r.RepliedAt})
			}
		}
		if err := e.store.SaveErasure(ctx, &service.Erasure{RequestID: r.ID, ExecutedAt: *r.RepliedAt,
			Systems: []string{"crm"}, State: service.ErasurePending, RecordedAt: *r.RepliedAt, RecordedBy: adminActor.UserID,
			Purges: purges}); err != nil {
			t.Fatal(err)
		}
	}
}
