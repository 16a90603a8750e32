package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
	"github.com/rightsdesk/rightsdesk/web"
)

// testNow is the service's clock in the console's tests: Monday 1 March 2027, 10:00 in Shanghai.
var testNow = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)

// testConsole is the console on a real HTTP server, over a real SQLite file (or PostgreSQL, per dialect).
type testConsole struct {
	URL   string
	svc   *service.Service
	store *store.Store
	clock *storetest.Clock
	con   *Server
	users int // how many client has made
}

var adminActor = service.Actor{UserID: "system", Name: "system", Role: service.RoleAdmin}

// newTestConsole starts the console on SQLite; mutate may change its Config.
func newTestConsole(t *testing.T, mutate func(*Config)) *testConsole {
	t.Helper()
	return newTestConsoleOn(t, storetest.SQLite(t), mutate)
}

func newTestConsoleOn(t *testing.T, db storetest.DB, mutate func(*Config)) *testConsole {
	t.Helper()
	tc := &testConsole{clock: storetest.NewClock(testNow)}
	tc.store = storetest.MustOpen(t, db, tc.clock.Now)
	srv := httptest.NewUnstartedServer(nil)
	tc.URL = "http://" + srv.Listener.Addr().String()
	var err error
	tc.svc, err = service.New(context.Background(), service.Config{Store: tc.store, Keys: storetest.KeysOf(tc.store), Now: tc.clock.Now, PublicURL: tc.URL})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Service: tc.svc, Logger: zerolog.Nop(), Now: tc.clock.Now,
		Brand: web.Brand{OrgName: "Acme Trading", AccentColor: "#0f766e"}}
	if mutate != nil {
		mutate(&cfg)
	}
	if cfg.OIDC.Issuer != "" && cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = tc.URL + "/console/oidc/callback"
	}
	if tc.con, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = tc.con
	srv.Start()
	t.Cleanup(srv.Close)
	return tc
}

// mustUser creates a user with a role; an officer gets an address and joins a queue of her own.
func (tc *testConsole) mustUser(t *testing.T, name string, role service.Role) *service.User {
	t.Helper()
	ctx := context.Background()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@acme.example"
	u, err := tc.svc.CreateUser(ctx, adminActor, service.NewUser{Name: name, Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if role == service.RoleOfficer {
		qname, ids := "queue of "+name, []string{u.ID}
		if _, err := tc.svc.CreateQueue(ctx, adminActor, service.QueueInput{Name: &qname, Members: &ids}); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// client answers an HTTP client signed in as a new user with role (its session started through the service),
// which does not follow redirects, so that tests see them.
func (tc *testConsole) client(t *testing.T, role service.Role) (*http.Client, *service.User) {
	t.Helper()
	tc.users++
	u := tc.mustUser(t, fmt.Sprintf("%s %d", role, tc.users), role)
	return tc.clientFor(t, u.ID), u
}

// clientFor answers an HTTP client with a session of the user.
func (tc *testConsole) clientFor(t *testing.T, userID string) *http.Client {
	t.Helper()
	started, err := tc.svc.StartSession(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	c := tc.anonymous(t)
	u, _ := url.Parse(tc.URL + "/console/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: started.Secret, Path: "/console/"}})
	return c
}

// anonymous answers an HTTP client with a cookie jar and no session.
func (tc *testConsole) anonymous(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches a page and answers its status and body.
func (tc *testConsole) get(t *testing.T, c *http.Client, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, tc.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc
	}
	return res.StatusCode, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf answers the CSRF token of the forms on a page.
func (tc *testConsole) csrf(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	_, body := tc.get(t, c, page)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s has no form with a CSRF token:\n%s", page, body)
	}
	return m[1]
}

// post sends a form (with the CSRF token of the page it was on, unless form has one) and answers the status
// and the redirect's Location or the body.
func (tc *testConsole) post(t *testing.T, c *http.Client, from, path string, form url.Values) (int, string) {
	t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", tc.csrf(t, c, from))
	}
	res, err := c.PostForm(tc.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc
	}
	return res.StatusCode, string(b)
}
