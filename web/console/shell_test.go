package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

func TestCatalogueHasEveryKeyInBothLanguages(t *testing.T) {
	// New loads the catalogue and refuses a key missing in a language or defined twice.
	tc := newTestConsole(t, nil)
	for _, lang := range web.Languages {
		l := tc.con.cat.Localizer(lang)
		for _, key := range []string{"layout.product", "login.title", "error.not_found.title"} {
			if got := l.T(key); got == key {
				t.Errorf("%s: %s has no message", lang, key)
			}
		}
	}
}

func TestSignedOutIsSentToLogin(t *testing.T) {
	tc := newTestConsole(t, nil)
	c := tc.anonymous(t)
	for path, want := range map[string]string{
		"/console/":                 "/console/login",
		"/console/requests/x?tab=a": "/console/login?next=%2Fconsole%2Frequests%2Fx%3Ftab%3Da",
		"/console/no-such-page":     "/console/login?next=%2Fconsole%2Fno-such-page",
	} {
		status, loc := tc.get(t, c, path)
		if status != http.StatusSeeOther || loc != want {
			t.Errorf("GET %s: %d %s, want 303 to %s", path, status, loc, want)
		}
	}
	if status, body := tc.get(t, c, "/console/login"); status != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Errorf("login page: %d\n%s", status, body)
	}
}

func TestSignedInSeesNavOfHerRole(t *testing.T) {
	tc := newTestConsole(t, nil)
	for role, want := range map[service.Role][]string{
		service.RoleOfficer: {"/console/", "/console/dashboard"},
		service.RoleAuditor: {"/console/", "/console/dashboard", "/console/audit/"},
		service.RoleAdmin:   {"/console/", "/console/dashboard", "/console/audit/", "/console/admin/"},
	} {
		c, _ := tc.client(t, role)
		status, body := tc.get(t, c, "/console/")
		if status != http.StatusOK {
			t.Fatalf("%s: GET /console/: %d %s", role, status, body)
		}
		for _, n := range nav {
			has := strings.Contains(body, `href="`+n.path+`"`)
			if has != contains(want, n.path) {
				t.Errorf("%s: nav link %s shown %v, want %v", role, n.path, has, !has)
			}
		}
	}
}

func TestSystemRolesCannotSignIn(t *testing.T) {
	tc := newTestConsole(t, nil)
	for _, role := range []service.Role{service.RoleIntake, service.RoleIntegration} {
		u := tc.mustUser(t, "system "+string(role), role)
		if _, err := tc.svc.StartSession(context.Background(), u.ID); service.ErrorCode(err) != service.EFORBIDDEN {
			t.Errorf("%s: StartSession: %v, want forbidden", role, err)
		}
	}
}

func TestSessionExpiresWhenIdleAndAfterItsMaximum(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, _ := tc.client(t, service.RoleOfficer)
	tc.clock.Set(testNow.Add(29 * time.Minute))
	if status, _ := tc.get(t, c, "/console/"); status != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d, want 200", status)
	}
	// Used every 29 minutes, the session still ends 12 hours after sign-in.
	at := testNow.Add(29 * time.Minute)
	for at.Sub(testNow) < 12*time.Hour-29*time.Minute {
		at = at.Add(29 * time.Minute)
		tc.clock.Set(at)
		if status, _ := tc.get(t, c, "/console/"); status != http.StatusOK {
			t.Fatalf("at %s after sign-in: %d, want 200", at.Sub(testNow), status)
		}
	}
	tc.clock.Set(testNow.Add(12*time.Hour + time.Minute))
	if status, loc := tc.get(t, c, "/console/"); status != http.StatusSeeOther || loc != "/console/login" {
		t.Errorf("after 12 hours: %d %s, want 303 to the sign-in page", status, loc)
	}

	c2, _ := tc.client(t, service.RoleOfficer)
	tc.clock.Set(testNow.Add(12*time.Hour + 31*time.Minute + time.Second))
	if status, _ := tc.get(t, c2, "/console/"); status != http.StatusSeeOther {
		t.Errorf("after 30 idle minutes: %d, want 303 to the sign-in page", status)
	}
}

func TestLogoutEndsTheSessionEverywhere(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, u := tc.client(t, service.RoleOfficer)
	// The same cookie in a second browser (copied) opens nothing after the first signs out.
	other := tc.anonymous(t)
	cu, _ := url.Parse(tc.URL + "/console/")
	other.Jar.SetCookies(cu, c.Jar.Cookies(cu))
	if status, loc := tc.post(t, c, "/console/", "/console/logout", url.Values{}); status != http.StatusSeeOther || loc != "/console/login?done=signed_out" {
		t.Fatalf("logout: %d %s", status, loc)
	}
	if status, _ := tc.get(t, other, "/console/"); status != http.StatusSeeOther {
		t.Errorf("the copied cookie after logout: %d, want 303 to sign in", status)
	}
	_ = u
}

func TestForgedPostsAreRefused(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, _ := tc.client(t, service.RoleOfficer)
	for name, form := range map[string]url.Values{
		"without a token": {"lang": {"zh-CN"}, "back": {"/console/"}},
		"with a wrong token": {"lang": {"zh-CN"}, "back": {"/console/"},
			"csrf": {tc.csrfFor("another session's secret")}},
	} {
		if form.Get("csrf") == "" {
			form["csrf"] = []string{""}
		}
		status, body := tc.post(t, c, "/console/", "/console/lang", form)
		if status != http.StatusForbidden || !strings.Contains(body, "Form refused") {
			t.Errorf("%s: %d, want 403 Form refused\n%s", name, status, body)
		}
	}
	// From another site, even with the right token.
	token := tc.csrf(t, c, "/console/")
	req, _ := http.NewRequest(http.MethodPost, tc.URL+"/console/logout", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site logout: %d, want 403", res.StatusCode)
	}
	if status, _ := tc.get(t, c, "/console/"); status != http.StatusOK {
		t.Errorf("the session after the forged posts: %d, want still signed in", status)
	}
}

// csrfFor exposes the token of a binding to tests.
func (tc *testConsole) csrfFor(bound string) string { return tc.con.csrfFor(bound) }

func TestLanguage(t *testing.T) {
	tc := newTestConsole(t, nil)
	anon := tc.anonymous(t)
	if _, body := tc.get(t, anon, "/console/login", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"); !strings.Contains(body, `<html lang="zh-CN">`) || !strings.Contains(body, "登录") {
		t.Errorf("Accept-Language zh-CN: the login page is not in Chinese\n%s", body)
	}
	if _, body := tc.get(t, anon, "/console/login?lang=zh-CN"); !strings.Contains(body, "登录") {
		t.Errorf("?lang=zh-CN: the login page is not in Chinese")
	}
	// The switch before sign-in is a cookie.
	if status, loc := tc.post(t, anon, "/console/login", "/console/lang", url.Values{"lang": {"zh-CN"}, "back": {"/console/login"}}); status != http.StatusSeeOther || loc != "/console/login" {
		t.Fatalf("switch: %d %s", status, loc)
	}
	if _, body := tc.get(t, anon, "/console/login"); !strings.Contains(body, "登录") {
		t.Errorf("after the switch: the login page is not in Chinese")
	}
	// Signed in, the switch is her preference, in every browser; an outside "back" is not followed.
	c, u := tc.client(t, service.RoleOfficer)
	if status, loc := tc.post(t, c, "/console/", "/console/lang", url.Values{"lang": {"zh-CN"}, "back": {"https://evil.example/"}}); status != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("switch: %d %s", status, loc)
	}
	if _, body := tc.get(t, tc.clientFor(t, u.ID), "/console/", "Accept-Language", "en"); !strings.Contains(body, `<html lang="zh-CN">`) {
		t.Errorf("her preference is not kept for her next session")
	}
}

func TestPagesCarrySecurityHeadersAndCookieFlags(t *testing.T) {
	tc := newTestConsole(t, func(c *Config) { c.TLS = true })
	res, err := http.Get(tc.URL + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	var form *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-"+formCookie {
			form = ck
		}
	}
	if form == nil || !form.Secure || !form.HttpOnly || form.SameSite != http.SameSiteLaxMode || form.Path != "/" {
		t.Errorf("over TLS the form cookie is %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/", form)
	}
}

func TestUnknownPagesAnswerTheConsoles404(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, _ := tc.client(t, service.RoleOfficer)
	status, body := tc.get(t, c, "/console/no-such-page")
	if status != http.StatusNotFound || !strings.Contains(body, "Not found") || !strings.Contains(body, `href="/console/"`) {
		t.Errorf("%d\n%s", status, body)
	}
}

func TestBodiesAreLimited(t *testing.T) {
	tc := newTestConsole(t, nil)
	c, _ := tc.client(t, service.RoleOfficer)
	token := tc.csrf(t, c, "/console/")
	body := url.Values{"csrf": {token}, "lang": {"zh-CN"}, "back": {strings.Repeat("x", formLimit)}}.Encode()
	res, err := c.Post(tc.URL+"/console/lang", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over %d bytes: %d, want 413", formLimit, res.StatusCode)
	}
}
