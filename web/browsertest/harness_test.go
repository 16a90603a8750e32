package browsertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/mail"
	"github.com/rightsdesk/rightsdesk/mail/smtptest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
	"github.com/rightsdesk/rightsdesk/web"
	"github.com/rightsdesk/rightsdesk/web/console"
)

// browserCtx is the one Chromium of the package; each test opens tabs in it.
var (
	browserCtx context.Context
	skipReason string
)

func TestMain(m *testing.M) {
	path := os.Getenv("RIGHTSDESK_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "browser tests: chromium is not installed (apt-get install chromium), and CI=true")
			os.Exit(1)
		}
		skipReason = "chromium is not installed (apt-get install chromium); browser tests skipped"
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rightsdesk-chromium-")
	if err != nil {
		panic(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests: start chromium:", err)
		os.Exit(1)
	}
	browserCtx = ctx
	code := m.Run()
	cancel()
	cancelAlloc()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tab opens a fresh tab (with its own cookies' view of the one browser) for a test.
func tab(t *testing.T) context.Context {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	// Cookies are per host, not per port: no cookie (language, form token) of an earlier test may remain.
	run(t, ctx, network.ClearBrowserCookies())
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// testNow is the service's clock: Monday 1 March 2027, 10:00 in Shanghai (2027's schedule is not published:
// due dates count weekdays).
var testNow = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

// env is the service with its API and pages on a real HTTP server, a real SQLite file and a real SMTP sink.
type env struct {
	URL     string
	svc     *service.Service
	store   *store.Store
	clock   *storetest.Clock
	smtp    *smtptest.Server
	officer service.Actor
	people  int // users signIn has made
}

var adminActor = service.Actor{UserID: "u-admin", Name: "admin", Role: service.RoleAdmin}

func newEnv(t *testing.T, mutate func(*web.Config, *api.Config), consoleOpts ...func(*console.Config)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{URL: "http://" + ln.Addr().String(), clock: storetest.NewClock(testNow), smtp: smtptest.NewServer(t)}
	e.store = storetest.MustOpen(t, storetest.SQLite(t), e.clock.Now)
	smtpCfg, err := mail.ParseURL(e.smtp.URL())
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSender(smtpCfg, "privacy@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = service.New(context.Background(), service.Config{Store: e.store, Keys: storetest.KeysOf(e.store), Now: e.clock.Now, PublicURL: e.URL,
		Mailer: sender, SubjectDailyCap: 1000})
	if err != nil {
		t.Fatal(err)
	}
	wcfg := web.Config{Service: e.svc, Logger: zerolog.Nop(), MinFillTime: time.Millisecond,
		FilingsPerMinutePerAddress: 600, Brand: web.Brand{OrgName: "Acme Trading", AccentColor: "#0f766e",
			PrivacyPolicyURL: "https://www.acme.example/privacy", ContactEmail: "privacy@acme.example",
			ConsentPurposes: []web.Purpose{
				{Code: "marketing", Labels: map[string]string{"en": "Marketing e-mails", "zh-CN": "营销邮件"}},
				{Code: "analytics", Labels: map[string]string{"en": "Usage analytics", "zh-CN": "使用情况分析"}}}}}
	acfg := api.Config{Service: e.svc, Logger: zerolog.Nop()}
	if mutate != nil {
		mutate(&wcfg, &acfg)
	}
	pages, err := web.New(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	apiHandler, err := api.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := console.Config{Service: e.svc, Logger: zerolog.Nop(), Now: e.clock.Now,
		Brand: web.Brand{OrgName: wcfg.Brand.OrgName, AccentColor: wcfg.Brand.AccentColor}}
	for _, o := range consoleOpts {
		o(&ccfg)
	}
	if ccfg.OIDC.Issuer != "" && ccfg.OIDC.RedirectURL == "" {
		ccfg.OIDC.RedirectURL = e.URL + "/console/oidc/callback"
	}
	con, err := console.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/privacy/", pages)
	mux.Handle("/console/", con)
	mux.Handle("/", apiHandler)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	e.officer = e.mustOfficer(t)
	return e
}

// mustOfficer creates Olivia, an officer with an address, in the default queue.
func (e *env) mustOfficer(t *testing.T) service.Actor {
	t.Helper()
	ctx := context.Background()
	p, err := e.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Olivia Chen",
		Email: "olivia@acme.example", Role: service.RoleOfficer})
	if err != nil {
		t.Fatal(err)
	}
	name, def, ids := "privacy", true, []string{p.User.ID}
	if _, err := e.svc.CreateQueue(ctx, adminActor, service.QueueInput{Name: &name, Members: &ids, Default: &def}); err != nil {
		t.Fatal(err)
	}
	return service.Actor{UserID: p.User.ID, Name: "Olivia Chen", Role: service.RoleOfficer}
}

// mailTo sends the outbox and answers the newest mail to an address whose subject contains want.
func (e *env) mailTo(t *testing.T, to, want string) smtptest.Message {
	t.Helper()
	if _, err := e.svc.SendOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := e.smtp.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if len(msgs[i].To) == 1 && msgs[i].To[0] == to && strings.Contains(msgs[i].Subject, want) {
			return msgs[i]
		}
	}
	t.Fatalf("no mail to %s about %q among %d", to, want, len(msgs))
	return smtptest.Message{}
}

// link finds a link of the service in a mail.
func (e *env) link(t *testing.T, m smtptest.Message, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(e.URL) + pattern)
	l := re.FindString(m.Text)
	if l == "" {
		t.Fatalf("mail %q has no link %s:\n%s", m.Subject, pattern, m.Text)
	}
	return l
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeFinding is one rule an audited page breaks.
type axeFinding struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// audit runs axe-core on the tab's page and fails the test on any serious or critical violation.
func audit(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	axeOnce.Do(func() {
		path := os.Getenv("RIGHTSDESK_AXE")
		if path == "" {
			path = filepath.Join("..", "testdata", "node_modules", "axe-core", "axe.min.js")
		}
		var b []byte
		b, axeErr = os.ReadFile(path)
		axeSource = string(b)
	})
	if axeErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core: %v (npm install --prefix web/testdata axe-core@4.10.3)", axeErr)
		}
		t.Logf("axe-core not installed, %s not audited: %v", page, axeErr)
		return
	}
	var found []axeFinding
	run(t, ctx, chromedp.Evaluate(axeSource, nil),
		chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => (
			{id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`,
			&found, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	for _, f := range found {
		if f.Impact == "serious" || f.Impact == "critical" {
			t.Errorf("axe on %s: %s (%s): %s at %v", page, f.ID, f.Impact, f.Help, f.Nodes)
		}
	}
}

// screenshot saves the tab's page at desktop and phone widths when RIGHTSDESK_SCREENSHOTS names a folder
// (relative to the repository's root).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveScreenshots(t, ctx, "privacy-"+name)
}

// consoleScreenshot saves the tab's console page as console-NAME-WIDTH.png, as screenshot does.
func consoleScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveScreenshots(t, ctx, "console-"+name)
}

func saveScreenshots(t *testing.T, ctx context.Context, name string) {
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
	for _, width := range []int64{1280, 375} {
		var png []byte
		run(t, ctx, chromedp.EmulateViewport(width, 800), chromedp.FullScreenshot(&png, 100))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 900))
}

// fitsPhone checks that the tab's page is no wider than a phone (375 px): what is wider, a table, scrolls in
// its own region, not the page; it names the widest elements beyond the edge otherwise.
func fitsPhone(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var over string
	run(t, ctx, chromedp.EmulateViewport(375, 800), chromedp.Evaluate(`(() => {
		const d = document.documentElement;
		if (d.scrollWidth <= d.clientWidth) return "";
		const out = [];
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();
			if (r.right > d.clientWidth + 1 && p.right <= d.clientWidth + 1) out.push(el.tagName.toLowerCase() + "." + el.className + " to " + Math.round(r.right) + " px");
		}
		return "the page is " + d.scrollWidth + " px wide: " + out.join(", ");
	})()`, &over), chromedp.EmulateViewport(1280, 900))
	if over != "" {
		t.Errorf("%s at 375 px: %s", page, over)
	}
}

// text reads the text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	var err error
	// A query may meet a page being replaced by the next one; it is retried until the deadline.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = chromedp.Run(wait, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery))
		cancel()
		if err == nil {
			return s
		}
	}
	var url, body string
	chromedp.Run(ctx, chromedp.Location(&url), chromedp.Text("body", &body, chromedp.ByQuery))
	t.Fatalf("no %s on %s: %v\n%s", sel, url, err, body)
	return ""
}

// eventually waits up to 10 seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// submit clicks a form's button and waits until the next page has loaded (a click does not wait for the
// navigation it starts, and a query would otherwise read the old page).
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	navigate(t, ctx, chromedp.Click(sel, chromedp.ByQuery))
}

// navigate runs the actions, the last of which leaves the page (a click, a submit), and waits until the next
// page has loaded.
func navigate(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	run(t, ctx, append([]chromedp.Action{chromedp.Evaluate(`window.rdOldPage = true`, nil)}, actions...)...)
	eventually(t, "the next page", func() bool {
		var loaded bool
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		err := chromedp.Run(wait, chromedp.Evaluate(`window.rdOldPage === undefined && document.readyState === "complete"`, &loaded))
		return err == nil && loaded
	})
}

// mustAssign gives a request to Olivia.
func (e *env) mustAssign(t *testing.T, id string) {
	t.Helper()
	if _, err := e.svc.Assign(context.Background(), adminActor, id, service.AssignCommand{AssigneeID: e.officer.UserID}); err != nil {
		t.Fatal(err)
	}
}
