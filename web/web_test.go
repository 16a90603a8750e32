package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
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

// testNow is Monday 1 March 2027, 10:00 in Shanghai.
var testNow = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)

// site is the privacy center over a real service and SQLite store, served over real HTTP.
type site struct {
	srv    *httptest.Server
	svc    *service.Service
	store  *store.Store
	clock  *storetest.Clock
	client *http.Client
}

func mustSite(tb testing.TB, mutate func(*web.Config)) *site {
	tb.Helper()
	clk := storetest.NewClock(testNow)
	st := storetest.MustOpen(tb, storetest.SQLite(tb), clk.Now)
	svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, SubjectDailyCap: 3})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := web.Config{Service: svc, Logger: zerolog.Nop(), Now: clk.Now,
		Brand: web.Brand{OrgName: "Acme Trading", ConsentPurposes: []web.Purpose{
			{Code: "marketing", Labels: map[string]string{"en": "Marketing e-mails", "zh-CN": "营销邮件"}}}}}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &site{srv: srv, svc: svc, store: st, clock: clk, client: client}
}

// get fetches a page and answers its status and body.
func (s *site) get(tb testing.TB, path string, header ...string) (*http.Response, string) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(tb, req)
}

func (s *site) do(tb testing.TB, req *http.Request) (*http.Response, string) {
	tb.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// form opens a right's form and answers its token, as a browser holds it with the cookie.
func (s *site) form(tb testing.TB, typ string, header ...string) string {
	tb.Helper()
	resp, body := s.get(tb, "/privacy/requests/new?type="+typ, header...)
	m := csrfRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		tb.Fatalf("form %s: %d without a token", typ, resp.StatusCode)
	}
	return m[1]
}

// post sends a form as the page would, after the time a person takes.
func (s *site) post(tb testing.TB, values url.Values, header ...string) (*http.Response, string) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/privacy/requests", strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(tb, req)
}

func (s *site) countRequests(tb testing.TB) int {
	tb.Helper()
	n := 0
	for _, st := range s.mustCounts(tb) {
		for _, c := range st {
			n += c
		}
	}
	return n
}

func (s *site) mustCounts(tb testing.TB) map[service.RequestType]map[service.Status]int {
	tb.Helper()
	c, err := s.svc.RequestCounts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func deletionForm(token string) url.Values {
	return url.Values{"csrf": {token}, "type": {"deletion"}, "subject.name": {"Li Wei"},
		"subject.email": {"li.wei@example.com"}, "details.ground": {"no_longer_using_service"}}
}

// TestFilingRedirectsToConfirmation: a deletion filed on the form is an unverified web-form request, and the
// browser is sent (303) to a page with its reference and the due date the policy computed, in words.
func TestFilingRedirectsToConfirmation(t *testing.T) {
	s := mustSite(t, nil)
	token := s.form(t, "deletion")
	s.clock.Set(testNow.Add(20 * time.Second))
	resp, _ := s.post(t, deletionForm(token))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/privacy/requests/received?r=") {
		t.Fatalf("POST: %d to %q, want 303 to the confirmation", resp.StatusCode, loc)
	}
	if got := s.mustCounts(t)[service.TypeDeletion][service.StatusUnverified]; got != 1 {
		t.Errorf("%d unverified deletions, want 1", got)
	}
	// The same form sent again (a double click, the back button) answers the same request; changed, a page
	// that says it was sent.
	if again, _ := s.post(t, deletionForm(token)); again.Header.Get("Location") != loc || s.countRequests(t) != 1 {
		t.Errorf("the form sent twice: %d to %q, %d requests; want the first confirmation, one request",
			again.StatusCode, again.Header.Get("Location"), s.countRequests(t))
	}
	changed := deletionForm(token)
	changed.Set("subject.name", "Li Wei (again)")
	if resp, body := s.post(t, changed); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "This form was sent already") {
		t.Errorf("the form sent again, changed: %d\n%s", resp.StatusCode, body)
	}
	resp, body := s.get(t, loc)
	for _, want := range []string{"DSR-2027-000001", "We will reply by 22 March 2027 (15 working days)."} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("confirmation %d lacks %q:\n%s", resp.StatusCode, want, body)
		}
	}
	// The same page in Chinese, by the switch's cookie.
	s.get(t, "/privacy/lang?to=zh-CN&back=/privacy/")
	if _, body := s.get(t, loc); !strings.Contains(body, "我们将于 2027年3月22日前答复（15 个工作日）。") {
		t.Errorf("the Chinese confirmation lacks its due date:\n%s", body)
	}
	// A confirmation cannot be made up.
	if resp, _ := s.get(t, loc[:len(loc)-3]+"AAA"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a forged confirmation: %d, want 404", resp.StatusCode)
	}
}

// TestFormErrorsBesideTheirFields: the service's validation errors come back beside the fields they name, by
// the API's paths in dotted form, in the page's language, and nothing is filed.
func TestFormErrorsBesideTheirFields(t *testing.T) {
	s := mustSite(t, nil)
	zh := []string{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"}
	token := s.form(t, "rectification", zh...)
	s.clock.Set(testNow.Add(20 * time.Second))
	v := url.Values{"csrf": {token}, "type": {"rectification"}, "subject.name": {"Li Wei"}, "subject.email": {"not an address"},
		"details.corrections.1.current_value": {"Old Street 1"}, "subject.is_minor": {"true"}}
	resp, body := s.post(t, v, zh...)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST: %d, want 422", resp.StatusCode)
	}
	for _, want := range []string{
		`id="f-subject-email" name="subject.email" type="email" value="not an address" autocomplete="email" aria-required="true" aria-invalid="true" aria-describedby="f-subject-email-hint f-subject-email-error"`,
		`<p class="error" id="f-subject-email-error">请填写电子邮箱（例如 name@example.com）或电话号码。</p>`,
		// The correction was typed in the second row: its errors name that row.
		`id="f-details-corrections-1-field" name="details.corrections.1.field" type="text" value="" aria-invalid="true"`,
		`id="f-details-corrections-1-corrected-value" name="details.corrections.1.corrected_value" type="text" value="" aria-invalid="true"`,
		`value="Old Street 1"`,
		// A minor without a guardian: the error stands beside the guardian's first field.
		`id="f-subject-guardian-name" name="subject.guardian.name" type="text" value="" aria-invalid="true"`,
		`<a href="#f-subject-guardian-name">不满十四周岁的申请人需要监护人：请填写姓名、电子邮箱和关系。</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := s.countRequests(t); n != 0 {
		t.Errorf("%d requests filed, want none", n)
	}
}

// TestSpamAndForgeryRefused: the honeypot, a form sent faster than a person types, a post without the form's
// cookie, one from another site, and a burst from one address are each refused with a clear page, and nothing
// is filed; the per-subject cap of intake tokens applies too.
func TestSpamAndForgeryRefused(t *testing.T) {
	s := mustSite(t, func(c *web.Config) { c.FilingsPerMinutePerAddress = 30 })
	token := s.form(t, "deletion")
	check := func(name string, resp *http.Response, body string, status int, want string) {
		t.Helper()
		if resp.StatusCode != status || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", name, resp.StatusCode, status, want, body)
		}
	}
	resp, body := s.post(t, deletionForm(token))
	check("sent at once", resp, body, 422, "The form was sent too quickly")
	if !strings.Contains(body, `value="li.wei@example.com"`) {
		t.Error("sent at once: the person's input was lost")
	}
	s.clock.Set(testNow.Add(20 * time.Second))
	v := deletionForm(token)
	v.Set("website", "https://spam.example")
	resp, body = s.post(t, v)
	check("honeypot", resp, body, 422, "filled in as programs do")
	resp, body = s.post(t, deletionForm(token), "Sec-Fetch-Site", "cross-site")
	check("cross-site", resp, body, 403, "did not come from this page")
	resp, body = s.post(t, deletionForm(token), "Origin", "https://evil.example")
	check("other origin", resp, body, 403, "did not come from this page")
	resp, body = s.post(t, deletionForm("forged."+token))
	check("forged token", resp, body, 403, "did not come from this page")
	s.client.Jar, _ = cookiejar.New(nil)
	resp, body = s.post(t, deletionForm(token))
	check("no cookie", resp, body, 403, "did not come from this page")
	if n := s.countRequests(t); n != 0 {
		t.Fatalf("%d requests filed by refused posts, want none", n)
	}
	// The subject cap (3 here), then the address's burst (5 of 30 a minute) with the clock standing still.
	s.client.Jar, _ = cookiejar.New(nil)
	s.clock.Set(testNow.Add(10 * time.Minute))
	var tokens []string
	for range 4 {
		tokens = append(tokens, s.form(t, "deletion"))
	}
	s.clock.Set(testNow.Add(10*time.Minute + 10*time.Second))
	var statuses []int
	for _, tok := range tokens {
		resp, _ := s.post(t, deletionForm(tok))
		statuses = append(statuses, resp.StatusCode)
	}
	if got := fmt.Sprint(statuses); got != "[303 303 303 429]" {
		t.Errorf("four filings for one subject: %s, want three filed and the fourth refused", got)
	}
	// The burst is 5: the fifth post from the address is still let through (and meets the subject cap), the sixth is not.
	resp, body = s.post(t, deletionForm(tokens[3]))
	check("subject cap", resp, body, 429, "Several requests were made for this person today")
	resp, body = s.post(t, deletionForm(tokens[3]))
	check("address burst", resp, body, 429, "Too many requests came from your network")
	if n := s.countRequests(t); n != 3 {
		t.Errorf("%d requests filed, want 3", n)
	}
}

// TestBrandingAndEmbedding: each branding setting appears on the pages, the accent colour in the style sheet
// (no inline style), and RIGHTSDESK_FRAME_ANCESTORS is the CSP's frame-ancestors ('none' by default).
func TestBrandingAndEmbedding(t *testing.T) {
	plain := mustSite(t, nil)
	resp, _ := plain.get(t, "/privacy/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") ||
		!strings.HasSuffix(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("default CSP %q", csp)
	}
	s := mustSite(t, func(c *web.Config) {
		c.Brand = web.Brand{OrgName: "Acme Trading (Shanghai)", LogoURL: "https://cdn.acme.example/logo.svg",
			AccentColor: "#c8102e", PrivacyPolicyURL: "https://www.acme.example/privacy",
			ContactEmail: "privacy@acme.example", ConsentPurposes: []web.Purpose{
				{Code: "marketing", Labels: map[string]string{"en": "Marketing e-mails", "zh-CN": "营销邮件"}},
				{Code: "analytics", Labels: map[string]string{"en": "Usage analytics"}}}}
		c.FrameAncestors = []string{"https://www.acme.example", "https://shop.acme.example"}
	})
	resp, body := s.get(t, "/privacy/requests/new?type=consent_withdrawal")
	for _, want := range []string{"Acme Trading (Shanghai)", `<img src="https://cdn.acme.example/logo.svg"`,
		`href="https://www.acme.example/privacy"`, `href="mailto:privacy@acme.example"`,
		`value="marketing"`, "Marketing e-mails", `value="analytics"`, "Usage analytics"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "frame-ancestors https://www.acme.example https://shop.acme.example") ||
		!strings.Contains(csp, "img-src 'self' https://cdn.acme.example") {
		t.Errorf("CSP %q", csp)
	}
	if _, body := s.get(t, "/privacy/requests/new?type=consent_withdrawal", "Accept-Language", "zh-CN"); !strings.Contains(body, "营销邮件") ||
		!strings.Contains(body, ">analytics<") {
		t.Errorf("the Chinese page lacks the purposes' labels (or the code where none is given)")
	}
	if resp, css := s.get(t, "/privacy/static/brand.css"); !strings.Contains(css, "--accent: #c8102e") ||
		resp.Header.Get("Cache-Control") == "no-store" {
		t.Errorf("brand.css %q (%s)", css, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := s.get(t, "/privacy/static/site.css"); resp.StatusCode != 200 ||
		resp.Header.Get("Cache-Control") != "public, max-age=86400" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("site.css: %d %s %s", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if _, err := web.New(web.Config{Service: s.svc, FrameAncestors: []string{"https://a.example; script-src *"}}); err == nil {
		t.Error("a frame ancestor that smuggles a directive was accepted")
	}
	if _, err := web.New(web.Config{Service: s.svc, Brand: web.Brand{AccentColor: "red;}"}}); err == nil {
		t.Error("an accent colour that is not a colour was accepted")
	}
}

// TestConfigurationDocumented: every setting of the privacy center is in the README's configuration table
// and in docs/operations.md.
func TestConfigurationDocumented(t *testing.T) {
	readme, err1 := os.ReadFile("../README.md")
	ops, err2 := os.ReadFile("../docs/operations.md")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, v := range []string{"RIGHTSDESK_ORG_NAME", "RIGHTSDESK_LOGO_URL", "RIGHTSDESK_LOGO_FILE", "RIGHTSDESK_ACCENT_COLOR",
		"RIGHTSDESK_PRIVACY_POLICY_URL", "RIGHTSDESK_CONTACT_EMAIL", "RIGHTSDESK_CONSENT_PURPOSES",
		"RIGHTSDESK_FRAME_ANCESTORS"} {
		if !strings.Contains(string(readme), "| `"+v+"` |") {
			t.Errorf("README's configuration table lacks %s", v)
		}
		if !strings.Contains(string(ops), v) {
			t.Errorf("docs/operations.md lacks %s", v)
		}
	}
}

// TestCatalogueComplete: both languages have every message, and the pages use no key the catalogue lacks.
func TestCatalogueComplete(t *testing.T) {
	c, err := web.LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	s := mustSite(t, nil)
	keyLike := regexp.MustCompile(`>\s*[a-z_]+\.[a-z_.]+\s*<`)
	for _, lang := range web.Languages {
		for _, typ := range service.RequestTypes {
			_, body := s.get(t, "/privacy/requests/new?type="+string(typ), "Accept-Language", lang)
			if m := keyLike.FindString(body); m != "" {
				t.Errorf("%s %s shows a message key %s", lang, typ, m)
			}
		}
	}
	if !c.Has("form.submit") {
		t.Error("the catalogue lacks form.submit")
	}
}

// TestStatusLinksRateLimited: status pages answer 10 requests from one address, then refuse (429) until the
// bucket refills, so that tokens cannot be guessed by brute force; an unknown token is a clear 404 page.
func TestStatusLinksRateLimited(t *testing.T) {
	s := mustSite(t, nil)
	var statuses []int
	for range 11 {
		resp, body := s.get(t, "/privacy/status/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 404 && !strings.Contains(body, "This link is not valid or has expired") {
			t.Errorf("unknown token: %s", body)
		}
	}
	if got := fmt.Sprint(statuses); got != "[404 404 404 404 404 404 404 404 404 404 429]" {
		t.Errorf("statuses %s, want ten 404s then 429", got)
	}
	s.clock.Set(testNow.Add(7 * time.Second))
	if resp, _ := s.get(t, "/privacy/status/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); resp.StatusCode != 404 {
		t.Errorf("after 7 s: %d, want the page again", resp.StatusCode)
	}
}
