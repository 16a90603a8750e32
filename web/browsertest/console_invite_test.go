package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestConsoleAdminInvitesAnOfficer: an admin adds a privacy officer and sends her an invitation from the users
// page; the officer opens the link in her e-mail, chooses her password, signs in and lands on her work list.
func TestConsoleAdminInvitesAnOfficer(t *testing.T) {
	e := newEnv(t, nil)
	admin := tab(t)
	e.signIn(t, admin, service.RoleAdmin)
	e.console(t, admin, "/console/admin/users")
	run(t, admin, chromedp.SendKeys("#f-name", "Grace Officer", chromedp.ByID),
		chromedp.SendKeys("#f-email", "grace@acme.example", chromedp.ByID),
		chromedp.SetValue("#f-role", "officer", chromedp.ByID))
	submit(t, admin, `form[action="/console/admin/users"] button[type=submit]`)
	var grace *service.User
	users, err := e.svc.Users(context.Background(), adminActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == "grace@acme.example" {
			grace = u
		}
	}
	if grace == nil || grace.Role != service.RoleOfficer {
		t.Fatalf("the officer added: %+v", grace)
	}
	submit(t, admin, `form[action="/console/admin/users/`+grace.ID+`/invitations"] button`)
	if got := text(t, admin, ".notice"); !strings.Contains(got, "sent by e-mail") {
		t.Errorf("after sending the invitation: %q", got)
	}

	link := e.link(t, e.mailTo(t, "grace@acme.example", "invited"), `/console/invitations/[A-Za-z0-9_-]+`)
	officer := tab(t)
	e.console(t, officer, strings.TrimPrefix(link, e.URL))
	run(t, officer, chromedp.SendKeys("#f-password", consolePassword, chromedp.ByID),
		chromedp.SendKeys("#f-password-again", consolePassword, chromedp.ByID))
	submit(t, officer, `form[action^="/console/invitations/"] button[type=submit]`)
	fillLogin(t, officer, e, "grace@acme.example", consolePassword)
	if got := location(t, officer, e); got != "/console/" {
		var body string
		run(t, officer, chromedp.Text("main", &body, chromedp.ByQuery))
		t.Errorf("the invited officer signed in at %s, want her work list:\n%s", got, body)
	}
}
