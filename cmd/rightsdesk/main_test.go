package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// output collects what the program prints, safely across goroutines.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// program is the real binary's run, serving on port 0.
type program struct {
	out    *output
	cancel context.CancelFunc
	done   chan error
	url    string
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// start boots the program and waits until it listens.
func start(t *testing.T, vars map[string]string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &program{out: &output{}, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0"}, env(vars), p.out) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if url := listenURL(p.out.String()); url != "" {
			p.url = url
			return p
		}
		select {
		case err := <-p.done:
			p.cancel = nil // nothing left to stop
			t.Fatalf("program exited: %v\n%s", err, p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("program did not listen:\n%s", p.out)
	return nil
}

func (p *program) stop(t *testing.T) {
	t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	if err := <-p.done; err != nil {
		t.Errorf("program exited with %v", err)
	}
}

func listenURL(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct{ Message, URL string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "listening" {
			return line.URL
		}
	}
	return ""
}

var adminTokenLine = regexp.MustCompile(`(?m)^\s+(rd_[A-Za-z0-9_-]{43})$`)

// TestEndToEnd boots the real program on a temporary database of each dialect and drives it over HTTP.
func TestEndToEnd(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) { endToEnd(t, db.DSN) })
	}
}

// testKey is a fixed master key, so that no development key file is written into the source tree.
const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func endToEnd(t *testing.T, db string) {
	p := start(t, map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey})
	m := adminTokenLine.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no admin token printed on an empty database:\n%s", p.out)
	}
	admin := m[1]
	c := apitest.New(t, p.url)

	// An intake token made with the CLI, against the same database, while the service runs.
	var cli bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--role", "intake", "--name", "website-form"},
		env(map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey}), &cli); err != nil {
		t.Fatalf("token create: %v", err)
	}
	intake := strings.Fields(cli.String())[0]
	if !strings.HasPrefix(intake, "rd_") {
		t.Fatalf("token create printed %q", cli.String())
	}

	res := c.Do(t, http.MethodPost, "/api/v1/requests", intake, map[string]any{
		"type": "consent_withdrawal", "channel": "web_form",
		"subject": map[string]any{"name": "Li Wei", "email": "li.wei@example.com"},
		"details": map[string]any{"purposes": []string{"marketing"}},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("intake files: %d %s", res.Status, res.Body)
	}
	filed := res.Map(t)
	if filed["status"] != "unverified" || !strings.HasPrefix(filed["reference"].(string), "DSR-") {
		t.Errorf("filed %v", filed)
	}
	if res := c.Do(t, http.MethodGet, "/api/v1/requests", intake, nil); res.Status != http.StatusForbidden {
		t.Errorf("intake lists: %d, want 403", res.Status)
	}
	list := c.Do(t, http.MethodGet, "/api/v1/requests?status=unverified", admin, nil).Map(t)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != filed["id"] {
		t.Errorf("admin lists %v", list)
	}
	preview := c.Do(t, http.MethodGet, "/api/v1/calendars/cn/deadline?from=2026-09-15&working_days=15", admin, nil).Map(t)
	if preview["due_date"] != "2026-10-12" {
		t.Errorf("preview %v", preview)
	}
	if res := c.Do(t, http.MethodGet, "/readyz", "", nil); res.Status != 200 {
		t.Errorf("readyz %d", res.Status)
	}
	if strings.Contains(p.out.String(), "li.wei@example.com") || strings.Contains(p.out.String(), intake) {
		t.Errorf("the program printed personal data or a token:\n%s", p.out)
	}
	p.stop(t)

	// A restart keeps everything and prints no new admin token.
	p2 := start(t, map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey})
	if adminTokenLine.MatchString(p2.out.String()) {
		t.Errorf("a second admin token was printed:\n%s", p2.out)
	}
	c2 := apitest.New(t, p2.url)
	if res := c2.Do(t, http.MethodGet, "/api/v1/requests/"+filed["id"].(string), admin, nil); res.Status != 200 {
		t.Errorf("after restart: %d %s", res.Status, res.Body)
	}
}

// TestBootstrapToken starts with RIGHTSDESK_BOOTSTRAP_TOKEN: that secret is the admin token, and none is printed.
func TestBootstrapToken(t *testing.T) {
	secret := "bootstrap-secret-for-tests-0123456789"
	p := start(t, map[string]string{"RIGHTSDESK_DB": storetest.SQLite(t).DSN, "RIGHTSDESK_BOOTSTRAP_TOKEN": secret})
	if adminTokenLine.MatchString(p.out.String()) || strings.Contains(p.out.String(), secret) {
		t.Errorf("printed a token:\n%s", p.out)
	}
	c := apitest.New(t, p.url)
	if me := c.Do(t, http.MethodGet, "/api/v1/me", secret, nil).Map(t); me["role"] != "admin" {
		t.Errorf("me = %v", me)
	}
}

// TestFirstAdminInvitation: with RIGHTSDESK_ADMIN_EMAIL, the first start prints an invitation link for the
// first admin on stdout, outside the structured log; the next start, the link still good, prints none; the
// link opens the page to choose a password.
func TestFirstAdminInvitation(t *testing.T) {
	db := storetest.SQLite(t).DSN
	vars := map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ADMIN_EMAIL": "root@acme.example"}
	p := start(t, vars)
	link := regexp.MustCompile(`(?m)^    (http://\S+/console/invitations/rd_[A-Za-z0-9_-]+)$`).FindStringSubmatch(p.out.String())
	if link == nil {
		t.Fatalf("no invitation link printed:\n%s", p.out)
	}
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, "/console/invitations/") {
			t.Errorf("the link is in the structured log: %s", line)
		}
	}
	res, err := http.Get(p.url + link[1][strings.Index(link[1], "/console/"):])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the link: %d, want the page to choose a password", res.StatusCode)
	}
	p.stop(t)
	again := start(t, vars)
	if strings.Contains(again.out.String(), "/console/invitations/") {
		t.Errorf("the second start printed a link again:\n%s", again.out)
	}
	// Without the variable, while the invited admin has no password yet, a setup link.
	third := start(t, map[string]string{"RIGHTSDESK_DB": db})
	if !setupLinkLine.MatchString(third.out.String()) {
		t.Errorf("no setup link while no admin can sign in:\n%s", third.out)
	}
}

var setupLinkLine = regexp.MustCompile(`(?m)^    (http://\S+(/console/setup/rd_[A-Za-z0-9_-]+))$`)

// TestFirstStartPrintsASetupLink: without RIGHTSDESK_ADMIN_EMAIL, the first start prints, beside the admin
// token, a setup link on stdout, outside the structured log; the second start, the link still good, prints
// none and logs how to get another; once the link made the first admin, nothing more is said.
func TestFirstStartPrintsASetupLink(t *testing.T) {
	db := storetest.SQLite(t).DSN
	vars := map[string]string{"RIGHTSDESK_DB": db}
	p := start(t, vars)
	out := p.out.String()
	link := setupLinkLine.FindStringSubmatch(out)
	if link == nil || !adminTokenLine.MatchString(out) {
		t.Fatalf("no admin token and setup link printed:\n%s", out)
	}
	if n := strings.Count(out, "/console/setup/"); n != 1 {
		t.Errorf("the setup link appears %d times, want once:\n%s", n, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "{") && (strings.Contains(line, "/console/setup/") || strings.Contains(line, "rd_")) {
			t.Errorf("a secret in the structured log: %s", line)
		}
	}
	res, err := http.Get(p.url + link[2])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the link: %d, want the setup page", res.StatusCode)
	}
	p.stop(t)

	again := start(t, vars)
	out = again.out.String()
	if strings.Contains(out, "/console/setup/") || strings.Contains(out, link[2][len("/console/setup/"):]) {
		t.Errorf("the second start printed a link again:\n%s", out)
	}
	advice := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, "setup link printed at the first start") {
			advice = line
		}
	}
	if !strings.Contains(advice, "rightsdesk users invite --role admin") {
		t.Errorf("the second start's log does not say how to get a new link:\n%s", out)
	}
	again.stop(t)
}

// TestShutdownFinishesInFlightRequests cancels the program while a filing's body is still arriving: the
// filing completes with 201 and the program exits cleanly.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	secret := "bootstrap-secret-for-tests-0123456789"
	p := start(t, map[string]string{"RIGHTSDESK_DB": storetest.SQLite(t).DSN, "RIGHTSDESK_BOOTSTRAP_TOKEN": secret})
	body := `{"type":"access","channel":"email","subject":{"name":"Li Wei","phone":"+86 138 0000 0000"}}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/api/v1/requests", pr)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	type result struct {
		status int
		err    error
	}
	resc := make(chan result, 1)
	c := apitest.New(t, p.url)
	go func() {
		resp, err := c.Send(t, req)
		if err != nil {
			resc <- result{err: err}
			return
		}
		resc <- result{status: resp.Status}
	}()
	if _, err := pw.Write([]byte(body[:20])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	cancel := p.cancel
	p.cancel = nil
	cancel()
	time.Sleep(100 * time.Millisecond) // shutdown has begun and waits for the filing
	if _, err := pw.Write([]byte(body[20:])); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	got := <-resc
	if got.err != nil || got.status != http.StatusCreated {
		t.Errorf("in-flight filing: %d %v, want 201", got.status, got.err)
	}
	if err := <-p.done; err != nil {
		t.Errorf("program exited with %v", err)
	}
	if !strings.Contains(p.out.String(), `"message":"stopped"`) {
		t.Errorf("no clean stop:\n%s", p.out)
	}
}

func TestCommands(t *testing.T) {
	db := storetest.SQLite(t).DSN
	for _, sc := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{args: []string{"version"}, wantOut: "rightsdesk "},
		{args: []string{"migrate", "-db", db}, wantOut: "up to date"},
		{args: []string{"token", "create", "--role", "officer", "--name", "olivia", "--email", "olivia@example.com", "--db", db}, wantOut: "rd_"},
		{args: []string{"token", "create", "--role", "boss", "--name", "x", "--db", db}, wantErr: "--role"},
		{args: []string{"token"}, wantErr: "usage"},
		{args: []string{"users", "invite", "--email", "olivia@example.com", "--name", "Olivia", "--role", "officer", "--db", db},
			wantOut: "/console/invitations/rd_"},
		{args: []string{"users", "invite", "--email", "olivia@example.com", "--name", "Olivia", "--role", "auditor", "--db", db},
			wantErr: "role officer"},
		{args: []string{"users", "invite", "--email", "x@example.com", "--name", "X", "--role", "intake", "--db", db},
			wantErr: "--role"},
		{args: []string{"users", "invite", "--name", "X", "--role", "admin", "--db", db}, wantErr: "--email"},
		{args: []string{"frobnicate"}, wantErr: "unknown command"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), sc.args, env(nil), &out)
		switch {
		case sc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), sc.wantErr)):
			t.Errorf("%v: error %v, want %q", sc.args, err, sc.wantErr)
		case sc.wantErr == "" && err != nil:
			t.Errorf("%v: %v", sc.args, err)
		case !strings.Contains(out.String(), sc.wantOut):
			t.Errorf("%v printed %q, want %q", sc.args, out.String(), sc.wantOut)
		}
	}
}

// TestDevelopmentKeyFile: without RIGHTSDESK_ENCRYPTION_KEY a key file is made beside the database, loudly, and
// reused on the next start; a malformed key is refused with advice.
func TestDevelopmentKeyFile(t *testing.T) {
	db := storetest.SQLite(t).DSN
	p := start(t, map[string]string{"RIGHTSDESK_DB": db})
	if !strings.Contains(p.out.String(), "DEVELOPMENT key") {
		t.Errorf("no warning about the development key:\n%s", p.out)
	}
	p.stop(t)
	key, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(db + ".key"); info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	p2 := start(t, map[string]string{"RIGHTSDESK_DB": db})
	p2.stop(t)
	if again, _ := os.ReadFile(db + ".key"); string(again) != string(key) {
		t.Error("the key file changed on restart")
	}
	err = run(context.Background(), []string{"migrate"}, env(map[string]string{"RIGHTSDESK_DB": db,
		"RIGHTSDESK_ENCRYPTION_KEY": "short"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Errorf("malformed key: %v", err)
	}
}

// TestTransmitAllowHostsFromEnvironment: RIGHTSDESK_TRANSMIT_ALLOW_HOSTS is the operator's fixed part of the
// allow-list, shown by the API as such; an entry that could never match a recipient's host stops the start.
func TestTransmitAllowHostsFromEnvironment(t *testing.T) {
	db := storetest.SQLite(t).DSN
	secret := "bootstrap-secret-for-tests-0123456789"
	vars := map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey, "RIGHTSDESK_BOOTSTRAP_TOKEN": secret,
		"RIGHTSDESK_TRANSMIT_ALLOW_HOSTS": " HR.Internal, 10.0.0.7 ,"}
	p := start(t, vars)
	c := apitest.New(t, p.url)
	var list struct {
		Items []struct{ Host, Source string }
	}
	c.Do(t, http.MethodGet, "/api/v1/transmissions/allowed-hosts", secret, nil).JSON(t, &list)
	want := []struct{ Host, Source string }{{"10.0.0.7", "environment"}, {"hr.internal", "environment"}}
	if len(list.Items) != len(want) || list.Items[0] != want[0] || list.Items[1] != want[1] {
		t.Errorf("allowed hosts %+v, want %+v", list.Items, want)
	}
	if res := c.Do(t, http.MethodDelete, "/api/v1/transmissions/allowed-hosts/hr.internal", secret, nil); res.Status != http.StatusConflict {
		t.Errorf("DELETE an operator's entry: %d, want 409", res.Status)
	}
	p.stop(t)

	vars["RIGHTSDESK_TRANSMIT_ALLOW_HOSTS"] = "hr.internal,https://hooks.internal"
	err := run(context.Background(), []string{"migrate"}, env(vars), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "RIGHTSDESK_TRANSMIT_ALLOW_HOSTS") || !strings.Contains(err.Error(), "https://hooks.internal") {
		t.Errorf("a URL in the allow-list: %v, want an error naming the variable and the entry", err)
	}
}
