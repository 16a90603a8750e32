package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web/console"
)

const consolePassword = "correct horse battery staple"

// location answers the tab's path and query.
func location(t *testing.T, ctx context.Context, e *env) string {
	t.Helper()
	var url string
	run(t, ctx, chromedp.Location(&url))
	return strings.TrimPrefix(url, e.URL)
}

// fillLogin signs in through the form.
func fillLogin(t *testing.T, ctx context.Context, e *env, email, password string) {
	t.Helper()
	e.console(t, ctx, "/console/login")
	navigate(t, ctx, chromedp.SendKeys("#f-email", email, chromedp.ByID), chromedp.SendKeys("#f-password", password, chromedp.ByID),
		chromedp.Submit("#f-password", chromedp.ByID), chromedp.WaitReady("main", chromedp.ByQuery))
}

// TestConsoleInvitationToSecondFactor: Olivia gets her invitation by e-mail, chooses a password (a weak one is
// refused beside the field), signs in, sets up a second factor, signs out, and signs in with a code. Every
// page passes axe.
func TestConsoleInvitationToSecondFactor(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	if _, err := e.svc.InviteUser(context.Background(), adminActor, e.officer.UserID); err != nil {
		t.Fatal(err)
	}
	m := e.mailTo(t, "olivia@acme.example", "invited")
	link := e.link(t, m, `/console/invitations/rd_[A-Za-z0-9_-]+`)
	e.console(t, ctx, strings.TrimPrefix(link, e.URL))
	audit(t, ctx, "console invitation")

	navigate(t, ctx, chromedp.SendKeys("#f-password", "password12345678", chromedp.ByID),
		chromedp.SendKeys("#f-password-again", "password12345678", chromedp.ByID),
		chromedp.Submit("#f-password", chromedp.ByID))
	if got := text(t, ctx, "#f-password-error"); !strings.Contains(got, "very often") {
		t.Errorf("a common password: %q beside the field", got)
	}
	audit(t, ctx, "console invitation with an error")
	navigate(t, ctx, chromedp.Evaluate(`document.getElementById('f-password').value = ''; document.getElementById('f-password-again').value = ''`, nil),
		chromedp.SendKeys("#f-password", consolePassword, chromedp.ByID),
		chromedp.SendKeys("#f-password-again", consolePassword, chromedp.ByID),
		chromedp.Submit("#f-password", chromedp.ByID))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "password is set") {
		t.Errorf("after setting the password: %q", got)
	}
	audit(t, ctx, "console login")

	navigate(t, ctx, chromedp.SendKeys("#f-email", "olivia@acme.example", chromedp.ByID),
		chromedp.SendKeys("#f-password", consolePassword, chromedp.ByID), chromedp.Submit("#f-password", chromedp.ByID),
		chromedp.WaitVisible("nav", chromedp.ByQuery))
	if got := location(t, ctx, e); got != "/console/" {
		t.Errorf("signed in at %s", got)
	}
	consoleScreenshot(t, ctx, "home")

	e.console(t, ctx, "/console/account")
	audit(t, ctx, "console account")
	navigate(t, ctx, chromedp.Click(`form[action="/console/account/totp"] button`, chromedp.ByQuery))
	secret := text(t, ctx, "#totp-secret")
	var qrLoaded bool
	run(t, ctx, chromedp.Evaluate(`document.querySelector('img[src="/console/account/totp.png"]').naturalWidth > 0`, &qrLoaded))
	if !qrLoaded {
		t.Error("the QR code did not load")
	}
	audit(t, ctx, "console second factor enrolment")
	consoleScreenshot(t, ctx, "account-enrol")
	fitsPhone(t, ctx, "the account page")
	code, _ := totp.GenerateCode(secret, e.clock.Now())
	navigate(t, ctx, chromedp.SendKeys("#f-code", code, chromedp.ByID), chromedp.Submit("#f-code", chromedp.ByID))
	if got := text(t, ctx, ".codes"); strings.Count(got, "-") != service.RecoveryCodeCount {
		t.Errorf("recovery codes: %q", got)
	}
	audit(t, ctx, "console recovery codes")
	navigate(t, ctx, chromedp.Click("button.linkish", chromedp.ByQuery))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "signed out") {
		t.Errorf("after signing out: %q", got)
	}

	e.clock.Set(testNow.Add(time.Minute))
	fillLogin(t, ctx, e, "olivia@acme.example", consolePassword)
	if got := location(t, ctx, e); !strings.HasPrefix(got, "/console/login/code") {
		t.Fatalf("after the password, at %s, want the second factor's page", got)
	}
	audit(t, ctx, "console second factor")
	code, _ = totp.GenerateCode(secret, e.clock.Now())
	navigate(t, ctx, chromedp.SendKeys("#f-code", code, chromedp.ByID), chromedp.Submit("#f-code", chromedp.ByID),
		chromedp.WaitVisible("nav", chromedp.ByQuery))
	if got := location(t, ctx, e); got != "/console/" {
		t.Errorf("signed in with the code at %s", got)
	}
}

// TestConsoleWrongPassword: a wrong password shows an error in words, and the failure is audited, without the
// address.
func TestConsoleWrongPassword(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	fillLogin(t, ctx, e, "olivia@acme.example", "not her password at all")
	if got := text(t, ctx, ".alert"); !strings.Contains(got, "wrong") {
		t.Errorf("error: %q", got)
	}
	audit(t, ctx, "console login with an error")
	page, err := e.svc.AuditEvents(context.Background(), adminActor, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range page.Items {
		if it.Event.Action == "auth.failed" {
			found = true
			for k, v := range it.Event.Data {
				if strings.Contains(v, "@") || strings.Contains(v, "not her password") {
					t.Errorf("auth.failed holds %s=%q", k, v)
				}
			}
		}
	}
	if !found {
		t.Error("the failure is not audited")
	}
}

// TestConsoleLoginInChinese: a browser that prefers Chinese gets the login page in Chinese.
func TestConsoleLoginInChinese(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	run(t, ctx, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}))
	e.console(t, ctx, "/console/login")
	if got := text(t, ctx, "h1"); got != "登录" {
		t.Errorf("h1 %q, want 登录", got)
	}
	var lang string
	run(t, ctx, chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery))
	if lang != "zh-CN" {
		t.Errorf("lang %q", lang)
	}
	audit(t, ctx, "console login zh-CN")
	consoleScreenshot(t, ctx, "login-zh-CN")
}

// TestConsoleSessionExpiry: after 30 minutes without use, the next page is the sign-in page, which brings her
// back where she was.
func TestConsoleSessionExpiry(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	e.signIn(t, ctx, service.RoleOfficer)
	e.console(t, ctx, "/console/account")
	if got := location(t, ctx, e); got != "/console/account" {
		t.Fatalf("signed in at %s", got)
	}
	e.clock.Set(testNow.Add(31 * time.Minute))
	e.console(t, ctx, "/console/account")
	if got := location(t, ctx, e); got != "/console/login?next=%2Fconsole%2Faccount" {
		t.Errorf("after 31 idle minutes at %s, want the sign-in page", got)
	}
}

// TestConsoleForgedPosts: a form posted with no CSRF token, with a wrong one, or from another site is refused,
// and changes nothing.
func TestConsoleForgedPosts(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	e.signIn(t, ctx, service.RoleOfficer)
	for name, js := range map[string]string{
		"without a token": `document.querySelector('form[action="/console/logout"] input[name=csrf]').remove()`,
		"a wrong token":   `document.querySelector('form[action="/console/logout"] input[name=csrf]').value = 'forged'`,
	} {
		e.console(t, ctx, "/console/")
		run(t, ctx, chromedp.Evaluate(js, nil), chromedp.Click("button.linkish", chromedp.ByQuery))
		if got := waitH1(t, ctx, "Form refused"); got != "Form refused" {
			t.Errorf("%s: %q, want Form refused", name, got)
		}
		audit(t, ctx, "console form refused")
	}
	// Another site's page posting to the console, with a token it cannot know.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><form method="post" action="` + e.URL + `/console/logout"><input name="csrf" value="x">` +
			`<button id="go">go</button></form>`))
	}))
	t.Cleanup(evil.Close)
	run(t, ctx, chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)),
		chromedp.Click("#go", chromedp.ByID))
	if got := waitH1(t, ctx, "Form refused"); got != "Form refused" {
		t.Errorf("from another site: %q, want Form refused", got)
	}
	e.console(t, ctx, "/console/")
	if got := location(t, ctx, e); got != "/console/" {
		t.Errorf("after the forged posts she is at %s, want still signed in", got)
	}
}

// TestConsoleSingleSignOn: Olivia signs in through a real OpenID Connect provider (in-process).
func TestConsoleSingleSignOn(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	e := newEnv(t, nil, func(c *console.Config) {
		c.OIDC = console.OIDC{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret}
	})
	old := mockoidc.NowFunc
	mockoidc.NowFunc = e.clock.Now
	t.Cleanup(func() { mockoidc.NowFunc = old })
	m.QueueUser(&mockoidc.MockUser{Subject: "olivia", Email: "olivia@acme.example", EmailVerified: true})
	ctx := tab(t)
	e.console(t, ctx, "/console/login")
	audit(t, ctx, "console login with single sign-on")
	navigate(t, ctx, chromedp.Click(`a[href^="/console/oidc/start"]`, chromedp.ByQuery), chromedp.WaitVisible("nav", chromedp.ByQuery))
	if got := text(t, ctx, ".who"); got != "Olivia Chen" {
		t.Errorf("signed in as %q", got)
	}
}

// waitH1 waits until the page's heading is want, a while at most, and answers the heading it has.
func waitH1(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = chromedp.Run(wait, chromedp.Poll(`(document.querySelector("h1") || {}).textContent === `+strconv.Quote(want), nil,
		chromedp.WithPollingInterval(50*time.Millisecond)))
	return text(t, ctx, "h1")
}

// TestConsoleShell: signed out, the console sends to the sign-in page; signed in, an officer sees the nav of
// her role, switches the language (kept as her preference), and signs out.
func TestConsoleShell(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	e.console(t, ctx, "/console/")
	if got := location(t, ctx, e); got != "/console/login" {
		t.Fatalf("signed out, /console/ went to %s, want the sign-in page", got)
	}
	e.signIn(t, ctx, service.RoleOfficer)
	e.console(t, ctx, "/console/")
	if nav := text(t, ctx, "nav"); !strings.Contains(nav, "Work") || strings.Contains(nav, "Admin") {
		t.Errorf("an officer's nav: %q", nav)
	}
	audit(t, ctx, "console work list")
	navigate(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="zh-CN"]`, chromedp.ByQuery))
	if nav := text(t, ctx, "nav"); !strings.Contains(nav, "工作") {
		t.Errorf("after the switch the nav is %q", nav)
	}
	audit(t, ctx, "console work list zh-CN")
	navigate(t, ctx, chromedp.Click("button.linkish", chromedp.ByQuery), chromedp.WaitVisible("#f-password", chromedp.ByID))
	e.console(t, ctx, "/console/")
	if got := location(t, ctx, e); got != "/console/login" {
		t.Errorf("after signing out, /console/ went to %s", got)
	}
}

// TestConsoleSetupLink: the first start's setup link; the first admin types her name, an address another user
// has (refused beside the field), then her own, and a password, and is signed in to the console at once. Each
// page passes axe.
func TestConsoleSetupLink(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	issued, err := e.svc.IssueSetupLink(context.Background())
	if err != nil || issued == nil {
		t.Fatalf("IssueSetupLink: %+v %v", issued, err)
	}
	e.console(t, ctx, strings.TrimPrefix(issued.Link, e.URL))
	if got := text(t, ctx, "h1"); got != "Set up Rightsdesk" {
		t.Fatalf("the setup page: %q", got)
	}
	audit(t, ctx, "console setup")
	run(t, ctx, chromedp.SendKeys("#f-name", "Rosa Admin", chromedp.ByID),
		chromedp.SendKeys("#f-email", "olivia@acme.example", chromedp.ByID),
		chromedp.SendKeys("#f-password", consolePassword, chromedp.ByID),
		chromedp.SendKeys("#f-password-again", consolePassword, chromedp.ByID),
		chromedp.Submit("#f-password", chromedp.ByID), chromedp.WaitReady("main", chromedp.ByQuery))
	if got := text(t, ctx, "#f-email-error"); !strings.Contains(got, "Another user has this e-mail address") {
		t.Errorf("an address in use: %q beside the field", got)
	}
	audit(t, ctx, "console setup with an error")
	consoleScreenshot(t, ctx, "setup-error")
	run(t, ctx, chromedp.Evaluate(`document.getElementById('f-email').value = ''`, nil),
		chromedp.SendKeys("#f-email", "rosa@acme.example", chromedp.ByID),
		chromedp.SendKeys("#f-password", consolePassword, chromedp.ByID),
		chromedp.SendKeys("#f-password-again", consolePassword, chromedp.ByID),
		chromedp.Submit("#f-password", chromedp.ByID), chromedp.WaitVisible("nav", chromedp.ByQuery))
	if got := location(t, ctx, e); got != "/console/" {
		t.Errorf("after the setup, at %s, want /console/", got)
	}
	if got := text(t, ctx, "a.who"); got != "Rosa Admin" {
		t.Errorf("signed in as %q, want Rosa Admin", got)
	}
	audit(t, ctx, "console home of the first admin")
}
