package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"

	"github.com/rightsdesk/rightsdesk/service"
)

const goodPassword = "correct horse battery staple"

var inviteRe = regexp.MustCompile(`/console/invitations/(rd_[A-Za-z0-9_-]+)`)

// invite invites a user and answers the path of the link mailed to her.
func (tc *testConsole) invite(t *testing.T, u *service.User) string {
	t.Helper()
	inv, err := tc.svc.InviteUser(context.Background(), adminActor, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	mails, err := tc.store.ListMail(context.Background(), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == u.Email && strings.Contains(m.Text, inv.Link) {
			return "/console/invitations/" + inviteRe.FindStringSubmatch(m.Text)[1]
		}
	}
	t.Fatalf("no invitation mailed to %s", u.Email)
	return ""
}

// withPassword creates a user of role who has set goodPassword through her invitation.
func (tc *testConsole) withPassword(t *testing.T, name string, role service.Role) *service.User {
	t.Helper()
	u := tc.mustUser(t, name, role)
	c := tc.anonymous(t)
	link := tc.invite(t, u)
	if status, loc := tc.post(t, c, link, link, url.Values{"password": {goodPassword}, "password_again": {goodPassword}}); status != http.StatusSeeOther || loc != "/console/login?done=password" {
		t.Fatalf("set the password: %d %s", status, loc)
	}
	return u
}

// signInForm signs in through the form and answers the status and where it leads.
func (tc *testConsole) signInForm(t *testing.T, c *http.Client, email, password string) (int, string) {
	t.Helper()
	return tc.post(t, c, "/console/login", "/console/login", url.Values{"email": {email}, "password": {password},
		"next": {"/console/"}})
}

func TestInvitationPasswordAndSignIn(t *testing.T) {
	tc := newTestConsole(t, nil)
	u := tc.mustUser(t, "Olivia Chen", service.RoleOfficer)
	link := tc.invite(t, u)
	c := tc.anonymous(t)
	status, body := tc.get(t, c, link)
	if status != http.StatusOK || !strings.Contains(body, "olivia.chen@acme.example") {
		t.Fatalf("the invitation page: %d\n%s", status, body)
	}
	for _, tt := range []struct{ pw, again, want string }{
		{"short", "short", "at least 12 characters"},
		{"password12345678", "password12345678", "people use very often"},
		{goodPassword, goodPassword + "x", "not the same"},
	} {
		status, body := tc.post(t, c, link, link, url.Values{"password": {tt.pw}, "password_again": {tt.again}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("password %q: %d, want 422 with %q beside the field", tt.pw, status, tt.want)
		}
	}
	if status, loc := tc.post(t, c, link, link, url.Values{"password": {goodPassword}, "password_again": {goodPassword}}); status != http.StatusSeeOther {
		t.Fatalf("set the password: %d %s", status, loc)
	}
	if status, _ := tc.get(t, c, link); status != http.StatusNotFound {
		t.Errorf("the link used: %d, want 404", status)
	}
	status, body = tc.signInForm(t, c, u.Email, "wrong password, surely")
	if status != http.StatusUnauthorized || !strings.Contains(body, "wrong") {
		t.Errorf("wrong password: %d", status)
	}
	if status, loc := tc.signInForm(t, c, "OLIVIA.CHEN@acme.example", goodPassword); status != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("sign in: %d %s", status, loc)
	}
	if status, body := tc.get(t, c, "/console/"); status != http.StatusOK || !strings.Contains(body, "Olivia Chen") {
		t.Errorf("signed in: %d", status)
	}
}

func TestSignInIsRateLimitedPerAccountAndAddress(t *testing.T) {
	tc := newTestConsole(t, nil)
	u := tc.withPassword(t, "Olivia Chen", service.RoleOfficer)
	c := tc.anonymous(t)
	for i := 0; i < loginBurstPerAccount; i++ {
		if status, _ := tc.signInForm(t, c, u.Email, "wrong password, surely"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, status)
		}
	}
	if status, _ := tc.signInForm(t, c, u.Email, goodPassword); status != http.StatusTooManyRequests {
		t.Errorf("over the account's limit, even the right password: %d, want 429", status)
	}
	tc.clock.Set(testNow.Add(loginEveryPerAccount))
	if status, _ := tc.signInForm(t, c, u.Email, goodPassword); status != http.StatusSeeOther {
		t.Errorf("after the wait: %d, want 303", status)
	}
	// Many accounts from one address.
	for i := 0; i < loginBurstPerAddress; i++ {
		tc.signInForm(t, tc.anonymous(t), "someone"+string(rune('a'+i))+"@acme.example", "a password of no one")
	}
	if status, _ := tc.signInForm(t, tc.anonymous(t), "another@acme.example", "a password of no one"); status != http.StatusTooManyRequests {
		t.Errorf("over the address's limit: %d, want 429", status)
	}
}

func TestSecondFactorEnrolAndSignIn(t *testing.T) {
	tc := newTestConsole(t, nil)
	u := tc.withPassword(t, "Ada Admin", service.RoleAdmin)
	c := tc.anonymous(t)
	if status, _ := tc.signInForm(t, c, u.Email, goodPassword); status != http.StatusSeeOther {
		t.Fatal(status)
	}
	if status, _ := tc.post(t, c, "/console/account", "/console/account/totp", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("begin: %d", status)
	}
	_, body := tc.get(t, c, "/console/account")
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	res, err := c.Get(tc.URL + "/console/account/totp.png")
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("QR: %v %v", res, err)
	}
	res.Body.Close()
	code, _ := totp.GenerateCode(m[1], tc.clock.Now())
	status, body := tc.post(t, c, "/console/account", "/console/account/totp/confirm", url.Values{"code": {code}})
	codes := regexp.MustCompile(`<li class="secret">([a-z2-7]{5}-[a-z2-7]{5})</li>`).FindAllStringSubmatch(body, -1)
	if status != http.StatusOK || len(codes) != service.RecoveryCodeCount {
		t.Fatalf("confirm: %d, %d recovery codes", status, len(codes))
	}
	tc.post(t, c, "/console/account", "/console/logout", url.Values{})

	c = tc.anonymous(t)
	status, loc := tc.signInForm(t, c, u.Email, goodPassword)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login/code") {
		t.Fatalf("password with a second factor: %d %s", status, loc)
	}
	if status, loc := tc.get(t, c, "/console/"); status != http.StatusSeeOther || loc != "/console/login" {
		t.Errorf("between password and code: %d %s, want not signed in", status, loc)
	}
	if status, _ := tc.post(t, c, loc, "/console/login/code", url.Values{"code": {"123456"}}); status != http.StatusUnauthorized {
		t.Errorf("wrong code: %d", status)
	}
	tc.clock.Set(testNow.Add(time.Minute))
	code, _ = totp.GenerateCode(m[1], tc.clock.Now())
	if status, loc := tc.post(t, c, loc, "/console/login/code", url.Values{"code": {code}, "next": {"/console/account"}}); status != http.StatusSeeOther || loc != "/console/account" {
		t.Fatalf("right code: %d %s", status, loc)
	}
	// A recovery code, once.
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		c := tc.anonymous(t)
		_, loc := tc.signInForm(t, c, u.Email, goodPassword)
		if status, _ := tc.post(t, c, loc, "/console/login/code", url.Values{"code": {codes[0][1]}}); status != want {
			t.Errorf("recovery code, use %d: %d, want %d", i+1, status, want)
		}
	}
}

func TestAdminsWithoutSecondFactorAreSentToEnrol(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, _ := tc.client(t, service.RoleAdmin)
	if status, loc := tc.post(t, c, "/console/account", "/console/account/admin-second-factor", url.Values{"required": {"on"}}); status != http.StatusSeeOther {
		t.Fatalf("setting: %d %s", status, loc)
	}
	if status, loc := tc.get(t, c, "/console/"); status != http.StatusSeeOther || loc != "/console/account#second-factor" {
		t.Errorf("an admin without a second factor: %d %s, want sent to enrol", status, loc)
	}
	if status, body := tc.get(t, c, "/console/account"); status != http.StatusOK || !strings.Contains(body, "Admins must sign in with a second factor") {
		t.Errorf("account page: %d", status)
	}
	// Officers are not concerned.
	o, _ := tc.client(t, service.RoleOfficer)
	if status, _ := tc.get(t, o, "/console/"); status != http.StatusOK {
		t.Errorf("an officer: %d", status)
	}
	// Only admins change the setting.
	if status, _ := tc.post(t, o, "/console/account", "/console/account/admin-second-factor", url.Values{}); status != http.StatusForbidden {
		t.Errorf("an officer changes the setting: %d, want 403", status)
	}
}

func TestForgotPasswordSaysTheSameForEveryAddress(t *testing.T) {
	tc := newTestConsole(t, nil)
	u := tc.withPassword(t, "Olivia Chen", service.RoleOfficer)
	var pages []string
	for _, addr := range []string{u.Email, "nobody@acme.example"} {
		c := tc.anonymous(t)
		status, loc := tc.post(t, c, "/console/forgot", "/console/forgot", url.Values{"email": {addr}})
		_, body := tc.get(t, c, loc)
		pages = append(pages, body)
		if status != http.StatusSeeOther || !strings.Contains(body, "If this address belongs to an account") {
			t.Errorf("%s: %d %s", addr, status, loc)
		}
	}
	// The same page but for the forms' tokens, so that nobody learns whether an address has an account.
	if a, b := csrfRe.ReplaceAllString(pages[0], ""), csrfRe.ReplaceAllString(pages[1], ""); a != b {
		t.Errorf("the pages differ:\n%s\n%s", a, b)
	}
	mails, _ := tc.store.ListMail(context.Background(), "", 50)
	n := 0
	for _, m := range mails {
		if m.Kind == service.InvitationPurposeReset {
			n++
			if m.To != u.Email {
				t.Errorf("a reset mail to %s", m.To)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d reset mails, want 1", n)
	}
}

func TestPasswordChangeOnTheAccountPage(t *testing.T) {
	tc := newTestConsole(t, nil)
	u := tc.withPassword(t, "Olivia Chen", service.RoleOfficer)
	c, other := tc.anonymous(t), tc.anonymous(t)
	tc.signInForm(t, c, u.Email, goodPassword)
	tc.signInForm(t, other, u.Email, goodPassword)
	next := "a new and longer passphrase"
	status, body := tc.post(t, c, "/console/account", "/console/account/password", url.Values{"current_password": {"not it at all"},
		"password": {next}, "password_again": {next}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "This is not your password.") {
		t.Errorf("wrong current password: %d", status)
	}
	if status, loc := tc.post(t, c, "/console/account", "/console/account/password", url.Values{"current_password": {goodPassword},
		"password": {next}, "password_again": {next}}); status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", status, loc)
	}
	if status, _ := tc.get(t, c, "/console/"); status != http.StatusOK {
		t.Errorf("this session after the change: %d", status)
	}
	if status, _ := tc.get(t, other, "/console/"); status != http.StatusSeeOther {
		t.Errorf("the other session after the change: %d, want ended", status)
	}
}

func TestSingleSignOnWithARealProvider(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	tc := newTestConsole(t, func(cfg *Config) {
		cfg.OIDC = OIDC{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret}
	})
	old := mockoidc.NowFunc
	mockoidc.NowFunc = tc.clock.Now
	t.Cleanup(func() { mockoidc.NowFunc = old })
	u := tc.mustUser(t, "Olivia Chen", service.RoleOfficer)

	login := func(email string, verified bool) (int, string, *http.Client) {
		m.QueueUser(&mockoidc.MockUser{Subject: "s-" + email, Email: email, EmailVerified: verified})
		c := tc.anonymous(t)
		if _, body := tc.get(t, c, "/console/login"); !strings.Contains(body, "/console/oidc/start") {
			t.Fatal("no single sign-on button on the login page")
		}
		status, loc := tc.get(t, c, "/console/oidc/start?next=/console/account")
		if status != http.StatusFound || !strings.HasPrefix(loc, m.AuthorizationEndpoint()) ||
			!strings.Contains(loc, "code_challenge_method=S256") || !strings.Contains(loc, "nonce=") {
			t.Fatalf("start: %d %s", status, loc)
		}
		res, err := c.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		cb := res.Header.Get("Location")
		if !strings.HasPrefix(cb, tc.URL+"/console/oidc/callback") {
			t.Fatalf("the provider answered %d %s", res.StatusCode, cb)
		}
		status, loc = tc.get(t, c, strings.TrimPrefix(cb, tc.URL))
		return status, loc, c
	}
	status, loc, c := login(u.Email, true)
	if status != http.StatusSeeOther || loc != "/console/account" {
		t.Fatalf("callback: %d %s", status, loc)
	}
	if status, body := tc.get(t, c, "/console/account"); status != http.StatusOK || !strings.Contains(body, "Olivia Chen") {
		t.Errorf("signed in by single sign-on: %d", status)
	}
	if status, body, _ := login(u.Email, false); status != http.StatusUnauthorized || !strings.Contains(body, "matches no one") {
		t.Errorf("an unverified address: %d", status)
	}
	if status, _, _ := login("stranger@acme.example", true); status != http.StatusUnauthorized {
		t.Errorf("an address no user has: %d", status)
	}
	// A callback that is not this browser's is refused.
	if status, _ := tc.get(t, tc.anonymous(t), "/console/oidc/callback?code=x&state=y"); status != http.StatusUnauthorized {
		t.Errorf("a forged callback: %d", status)
	}
}

// TestSessionCookieOverTLS: behind TLS the session cookie is __Host-rd_console: Secure, HttpOnly, SameSite=Lax,
// Path=/.
func TestSessionCookieOverTLS(t *testing.T) {
	tc := newTestConsole(t, func(c *Config) { c.TLS = true })
	u := tc.mustUser(t, "Olivia Chen", service.RoleOfficer)
	link := tc.invite(t, u)
	if _, err := tc.svc.AcceptInvitation(context.Background(), strings.TrimPrefix(link, "/console/invitations/"), goodPassword); err != nil {
		t.Fatal(err)
	}
	// A cookie jar keeps Secure cookies from plain http: the cookies are carried by hand.
	res, err := http.Get(tc.URL + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var form *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-"+formCookie {
			form = ck
		}
	}
	if form == nil {
		t.Fatal("no form cookie")
	}
	body := url.Values{"csrf": {tc.con.csrfFor(form.Value)}, "email": {u.Email}, "password": {goodPassword}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, tc.URL+"/console/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: form.Name, Value: form.Value})
	res, err = tc.anonymous(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-"+sessionCookie {
			session = ck
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly ||
		session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Errorf("sign-in over TLS: %d, session cookie %+v", res.StatusCode, session)
	}
}
