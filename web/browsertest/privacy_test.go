package browsertest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// fillFor fills in what one right's form asks beyond the person's name and address.
var fillFor = map[string][]chromedp.Action{
	"access": nil,
	"rectification": {
		chromedp.SetValue(`[name="details.corrections.0.field"]`, "address", chromedp.ByQuery),
		chromedp.SetValue(`[name="details.corrections.0.current_value"]`, "Room 3, 88 Century Avenue", chromedp.ByQuery),
		chromedp.SetValue(`[name="details.corrections.0.corrected_value"]`, "Room 5, 88 Century Avenue", chromedp.ByQuery),
	},
	"deletion":           {chromedp.Click(`input[name="details.ground"][value="no_longer_using_service"]`, chromedp.ByQuery)},
	"consent_withdrawal": {chromedp.Click(`input[name="details.purposes"][value="marketing"]`, chromedp.ByQuery)},
	"account_cancellation": {
		chromedp.SetValue(`[name="details.account_id"]`, "acct-4411", chromedp.ByQuery),
	},
	"portability": {
		chromedp.Click(`input[name="details.format"][value="csv"]`, chromedp.ByQuery),
		chromedp.SetValue(`[name="details.recipient.endpoint"]`, "https://import.newco.example/dsr", chromedp.ByQuery),
	},
}

// TestFileEveryRightInBothLanguages: a person chooses each of the six rights on the home page and files it in
// English and in Chinese; each confirmation shows the reference and the due date the policy computed, the
// request is stored as filed, in the page's language, and every page passes the accessibility audit.
func TestFileEveryRightInBothLanguages(t *testing.T) {
	ctx := tab(t)
	e := newEnv(t, nil)
	want := map[string]string{"en": "We will reply by 22 March 2027 (15 working days).",
		"zh-CN": "我们将于 2027年3月22日前答复（15 个工作日）。"}
	n := 0
	for _, lang := range web.Languages {
		run(t, ctx, chromedp.Navigate(e.URL+"/privacy/"))
		if lang != web.Languages[0] {
			run(t, ctx, chromedp.Click(`a.lang`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="`+lang+`"]`, chromedp.ByQuery))
		}
		audit(t, ctx, lang+" home")
		screenshot(t, ctx, "home-"+lang)
		for _, typ := range service.RequestTypes {
			n++
			run(t, ctx, chromedp.Navigate(e.URL+"/privacy/"),
				chromedp.Click(`a[href="/privacy/requests/new?type=`+string(typ)+`"]`, chromedp.ByQuery),
				chromedp.WaitVisible(`form button[type=submit]`, chromedp.ByQuery))
			audit(t, ctx, lang+" form "+string(typ))
			if typ == service.TypeDeletion {
				// Sent empty: the errors stand beside their fields, and the page stays accessible.
				submit(t, ctx, `form button[type=submit]`)
				if alert := text(t, ctx, `.alert[role=alert]`); !strings.Contains(alert, map[string]string{"en": "Please check", "zh-CN": "请检查"}[lang]) {
					t.Errorf("%s: the empty form's alert %q", lang, alert)
				}
				var invalid []string
				run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll("[aria-invalid=true]")].map(e => e.name)`, &invalid))
				if got := strings.Join(invalid, ","); !strings.Contains(got, "subject.name") || !strings.Contains(got, "subject.email") ||
					!strings.Contains(got, "details.ground") {
					t.Errorf("%s: invalid fields %s, want subject.name, subject.email and details.ground", lang, got)
				}
				audit(t, ctx, lang+" form with errors")
				if lang == "en" {
					screenshot(t, ctx, "form-errors")
				}
			}
			run(t, ctx, chromedp.SetValue(`[name="subject.name"]`, "Li Wei", chromedp.ByQuery),
				chromedp.SetValue(`[name="subject.email"]`, fmt.Sprintf("li.wei+%d@example.com", n), chromedp.ByQuery))
			run(t, ctx, fillFor[string(typ)]...)
			if typ == service.TypeDeletion && lang == "en" {
				screenshot(t, ctx, "form")
			}
			submit(t, ctx, `form button[type=submit]`)
			heading := text(t, ctx, `.panel.success h1`)
			due := text(t, ctx, `.panel.success .due`)
			if ref := fmt.Sprintf("DSR-2027-%06d", n); !strings.Contains(heading, ref) || due != want[lang] {
				t.Errorf("%s %s: confirmation %q, %q; want %s and %q", lang, typ, heading, due, ref, want[lang])
			}
			if typ == service.TypeAccess {
				audit(t, ctx, lang+" confirmation")
				if lang == "en" {
					screenshot(t, ctx, "received")
				}
			}
		}
	}
	page, err := e.svc.ListRequests(context.Background(), adminActor, service.ListRequestsQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range page.Items {
		full, err := e.svc.Request(context.Background(), adminActor, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got[string(full.Type)+"/"+full.Locale]++
		if full.Status != service.StatusUnverified || full.Channel != service.ChannelWebForm {
			t.Errorf("%s: %s by %s, want unverified web_form", full.Reference, full.Status, full.Channel)
		}
		if full.Type == service.TypePortability && (full.Details.Format != "csv" || full.Details.Recipient == nil) {
			t.Errorf("portability details %+v, want csv to the recipient", full.Details)
		}
	}
	for _, typ := range service.RequestTypes {
		for _, lang := range web.Languages {
			if got[string(typ)+"/"+lang] != 1 {
				t.Errorf("%s in %s filed %d times, want once (all: %v)", typ, lang, got[string(typ)+"/"+lang], got)
			}
		}
	}
}

// TestMinorConfirmsAnswersAndDownloads: a child files an access request with a guardian, in Chinese; the
// guardian confirms from the acknowledgement that reached the SMTP sink, answers the officer's question with a
// file on the status page (the due date moves exactly as the working-day clock says), and downloads the export.
func TestMinorConfirmsAnswersAndDownloads(t *testing.T) {
	ctx := tab(t)
	e := newEnv(t, nil)
	bg := context.Background()
	run(t, ctx, chromedp.Navigate(e.URL+"/privacy/"), chromedp.Click(`a.lang`, chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="zh-CN"]`, chromedp.ByQuery),
		chromedp.Click(`a[href="/privacy/requests/new?type=access"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form button[type=submit]`, chromedp.ByQuery),
		chromedp.SetValue(`[name="subject.name"]`, "王小明", chromedp.ByQuery),
		chromedp.SetValue(`[name="subject.phone"]`, "+86 138 0000 1234", chromedp.ByQuery),
		chromedp.Click(`#f-subject-is-minor`, chromedp.ByQuery),
		chromedp.SetValue(`[name="subject.guardian.name"]`, "王芳", chromedp.ByQuery),
		chromedp.SetValue(`[name="subject.guardian.email"]`, "wang.fang@example.com", chromedp.ByQuery),
		chromedp.SetValue(`[name="subject.guardian.relationship"]`, "母亲", chromedp.ByQuery))
	submit(t, ctx, `form button[type=submit]`)
	if h := text(t, ctx, `.panel.success h1`); !strings.Contains(h, "DSR-2027-000001") {
		t.Fatalf("confirmation %q", h)
	}
	// The acknowledgement went to the guardian, in Chinese, with the confirmation link.
	ack := e.mailTo(t, "wang.fang@example.com", "DSR-2027-000001")
	run(t, ctx, chromedp.Navigate(e.link(t, ack, `/verify\?token=[A-Za-z0-9_-]+`)))
	text(t, ctx, `button`)
	submit(t, ctx, `button`)
	page, _ := e.svc.ListRequests(bg, adminActor, service.ListRequestsQuery{})
	id := page.Items[0].ID
	eventually(t, "the confirmation", func() bool {
		r, _ := e.svc.Request(bg, adminActor, id)
		return r.Status == service.StatusOpen
	})
	if r, _ := e.svc.Request(bg, adminActor, id); r.Locale != "zh-CN" || !r.Subject.IsMinor || r.Subject.Guardian.Relationship != "母亲" {
		t.Fatalf("filed in %s for %+v, want a minor with the guardian, in zh-CN", r.Locale, r.Subject)
	}
	// Wednesday 3 March: the officer asks for the letter; 2 working days are used.
	e.clock.Set(time.Date(2027, 3, 3, 11, 0, 0, 0, shanghai))
	for _, step := range []func() error{
		func() error {
			_, err := e.svc.Assign(bg, adminActor, id, service.AssignCommand{AssigneeID: e.officer.UserID})
			return err
		},
		func() error {
			_, err := e.svc.Transition(bg, e.officer, id, service.TransitionCommand{To: service.StatusInProgress})
			return err
		},
		func() error {
			_, err := e.svc.Transition(bg, e.officer, id, service.TransitionCommand{To: service.StatusOnHold,
				Reason: service.PauseAwaitingSubjectInformation, Message: "请提供您与申请人关系的证明。"})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	question := e.mailTo(t, "wang.fang@example.com", "补充信息")
	status := e.link(t, question, `/privacy/status/[A-Za-z0-9_-]{43}`)
	run(t, ctx, chromedp.Navigate(status))
	if q := text(t, ctx, `blockquote.question`); q != "请提供您与申请人关系的证明。" {
		t.Errorf("question %q", q)
	}
	if facts := text(t, ctx, `dl.facts`); !strings.Contains(facts, "等待您补充信息") || !strings.Contains(facts, "暂停计算") {
		t.Errorf("status facts %q, want waiting for information, clock paused", facts)
	}
	audit(t, ctx, "status awaiting an answer")
	// The switch keeps the person on the status page.
	run(t, ctx, chromedp.Click(`a.lang`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="en"]`, chromedp.ByQuery))
	if facts := text(t, ctx, `dl.facts`); !strings.Contains(facts, "waiting for your information") {
		t.Errorf("status facts in English %q", facts)
	}
	run(t, ctx, chromedp.Click(`a.lang`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="zh-CN"]`, chromedp.ByQuery))
	// Wednesday 10 March: the answer, with a PDF; 13 working days remain after today: Monday 29 March.
	e.clock.Set(time.Date(2027, 3, 10, 15, 0, 0, 0, shanghai))
	pdf := filepath.Join(t.TempDir(), "户口簿.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.SetValue(`#f-text`, "附件是户口簿。", chromedp.ByQuery),
		chromedp.SetUploadFiles(`#f-files`, []string{pdf}, chromedp.ByQuery))
	submit(t, ctx, `form[enctype="multipart/form-data"] button`)
	if done := text(t, ctx, `.panel.success[role=status]`); !strings.Contains(done, "已收到您的答复") {
		t.Errorf("after answering: %q", done)
	}
	if facts := text(t, ctx, `dl.facts`); !strings.Contains(facts, "处理中") || !strings.Contains(facts, "2027年3月29日") {
		t.Errorf("status facts %q, want in progress, due 29 March 2027", facts)
	}
	r, _ := e.svc.Request(bg, adminActor, id)
	if r.Status != service.StatusInProgress || r.Due.Date.String() != "2027-03-29" {
		t.Errorf("after the answer: %s due %s, want in_progress due 2027-03-29", r.Status, r.Due.Date)
	}
	msgs, err := e.svc.SubjectMessages(bg, e.officer, id)
	if err != nil || len(msgs) != 2 || len(msgs[1].Files) != 1 || msgs[1].Files[0].Name != "户口簿.pdf" {
		t.Fatalf("messages %v %+v, want the answer with its file", err, msgs)
	}
	e.mailTo(t, "olivia@acme.example", "The subject answered")
	// The export, the reply, and the download from the status page.
	if _, err := e.svc.AttachExport(bg, e.officer, id, "profile.json", []byte(`{"name":"王小明"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reply(bg, e.officer, id, service.ReplyCommand{Outcome: service.StatusFulfilled,
		Message: "您的个人信息见附件。"}); err != nil {
		t.Fatal(err)
	}
	reply := e.mailTo(t, "wang.fang@example.com", "答复")
	dir := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*browser.EventDownloadProgress); ok && d.State == browser.DownloadProgressStateCompleted {
			done <- d.GUID
		}
	})
	run(t, ctx, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).
		WithEventsEnabled(true), chromedp.Navigate(e.link(t, reply, `/privacy/status/[A-Za-z0-9_-]{43}`)))
	audit(t, ctx, "status fulfilled")
	run(t, ctx, chromedp.Click(`a.button[href$="/download"]`, chromedp.ByQuery))
	select {
	case guid := <-done:
		b, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("the download is not a zip: %v", err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if strings.Join(names, ",") != "profile.json,manifest.json" {
			t.Errorf("zip holds %v", names)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no download within 20 s")
	}
}

// TestWithdrawFromStatusPage: the status link in the acknowledgement opens the page, whose withdrawal ends the
// request; the page then says so and offers no action.
func TestWithdrawFromStatusPage(t *testing.T) {
	ctx := tab(t)
	e := newEnv(t, nil)
	cmd := service.FileRequestCommand{Type: service.TypeDeletion, Locale: "en",
		Subject: service.Subject{Name: "Li Wei", Email: "li.wei@example.com"},
		Details: service.Details{Ground: service.GroundNoLongerUsingService}}
	r, err := e.svc.FileFromPrivacyCenter(context.Background(), cmd, "")
	if err != nil {
		t.Fatal(err)
	}
	ack := e.mailTo(t, "li.wei@example.com", r.Reference)
	run(t, ctx, chromedp.Navigate(e.link(t, ack, `/privacy/status/[A-Za-z0-9_-]{43}`)))
	if facts := text(t, ctx, `dl.facts`); !strings.Contains(facts, "waiting for you to confirm by e-mail") ||
		!strings.Contains(facts, "22 March 2027") {
		t.Errorf("status facts %q", facts)
	}
	audit(t, ctx, "status of a new request")
	// The officer asks a question; the page offers the answer form, and withdrawal still.
	bg := context.Background()
	if _, err := e.svc.VerifyBySubject(bg, strings.TrimPrefix(e.link(t, ack, `/verify\?token=[A-Za-z0-9_-]+`), e.URL+"/verify?token=")); err != nil {
		t.Fatal(err)
	}
	e.mustAssign(t, r.ID)
	e.clock.Set(time.Date(2027, 3, 3, 11, 0, 0, 0, shanghai))
	for _, to := range []service.Status{service.StatusInProgress, service.StatusOnHold} {
		cmd := service.TransitionCommand{To: to}
		if to == service.StatusOnHold {
			cmd.Reason, cmd.Message = service.PauseAwaitingSubjectInformation,
				"Please send us a copy of the letter we sent you in March, so that we can find your account."
		}
		if _, err := e.svc.Transition(bg, e.officer, r.ID, cmd); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, chromedp.Reload())
	if q := text(t, ctx, `blockquote.question`); !strings.HasPrefix(q, "Please send us a copy") {
		t.Errorf("question %q", q)
	}
	screenshot(t, ctx, "status-question")
	submit(t, ctx, `section.withdraw button`)
	if done := text(t, ctx, `.panel.success[role=status]`); done != "Your request is withdrawn." {
		t.Errorf("after withdrawing: %q", done)
	}
	var withdrawButtons int
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll("section.withdraw").length`, &withdrawButtons))
	if stored, _ := e.svc.Request(context.Background(), adminActor, r.ID); stored.Status != service.StatusWithdrawn || withdrawButtons != 0 {
		t.Errorf("after withdrawing: %s, %d withdrawal forms shown", stored.Status, withdrawButtons)
	}
	if tl := text(t, ctx, `ol.timeline`); !strings.Contains(tl, "You withdrew it") {
		t.Errorf("timeline %q", tl)
	}
}

// TestHoneypotAndRateLimitRefuse: a form whose hidden field was filled in is refused with a page that says
// why, and so is the sixth filing in a burst from one address; neither files anything.
func TestHoneypotAndRateLimitRefuse(t *testing.T) {
	ctx := tab(t)
	e := newEnv(t, func(w *web.Config, _ *api.Config) { w.FilingsPerMinutePerAddress = 5 })
	fill := func(email string) {
		run(t, ctx, chromedp.Navigate(e.URL+"/privacy/requests/new?type=access"),
			chromedp.WaitVisible(`form button[type=submit]`, chromedp.ByQuery),
			chromedp.SetValue(`[name="subject.name"]`, "Li Wei", chromedp.ByQuery),
			chromedp.SetValue(`[name="subject.email"]`, email, chromedp.ByQuery))
	}
	fill("bot@example.com")
	run(t, ctx, chromedp.Evaluate(`document.getElementById("f-website").value = "https://spam.example"`, nil))
	submit(t, ctx, `form button[type=submit]`)
	if msg := text(t, ctx, `main p.lead`); !strings.Contains(msg, "filled in as programs do") {
		t.Errorf("honeypot: %q", msg)
	}
	// The burst is 5 posts (the honeypot's was one); the refill (5 a minute) may let one more through.
	filed, refused := 0, false
	for i := range 8 {
		fill(fmt.Sprintf("person%d@example.com", i))
		submit(t, ctx, `form button[type=submit]`)
		if h := text(t, ctx, `main h1`); strings.Contains(h, "We could not accept this") {
			if msg := text(t, ctx, `main p.lead`); !strings.Contains(msg, "Too many requests came from your network") {
				t.Errorf("refusal %q", msg)
			}
			refused = true
			break
		}
		filed++
	}
	if !refused || filed < 4 || filed > 5 {
		t.Errorf("a burst from one address: %d filed, refused %v; want 4 or 5 filed, then refused", filed, refused)
	}
	counts, _ := e.svc.RequestCounts(context.Background())
	if n := counts[service.TypeAccess][service.StatusUnverified]; n != filed {
		t.Errorf("%d filed, want %d (the honeypot and the refused post file nothing)", n, filed)
	}
}

// TestIframeOnlyFromListedOrigins: a page of a listed origin shows the privacy center in an iframe; the same
// page on another origin gets nothing (CSP frame-ancestors).
func TestIframeOnlyFromListedOrigins(t *testing.T) {
	ctx := tab(t)
	embed := func(target *string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><title>shop</title><iframe src="%s/privacy/" title="privacy"></iframe>`, *target)
		}))
	}
	var rd string
	listed, unlisted := embed(&rd), embed(&rd)
	defer listed.Close()
	defer unlisted.Close()
	e := newEnv(t, func(w *web.Config, _ *api.Config) { w.FrameAncestors = []string{listed.URL} })
	rd = e.URL
	frameURL := func(site string) string {
		run(t, ctx, chromedp.Navigate(site))
		deadline := time.Now().Add(10 * time.Second)
		for {
			var tree *page.FrameTree
			run(t, ctx, chromedp.ActionFunc(func(ctx context.Context) error {
				var err error
				tree, err = page.GetFrameTree().Do(ctx)
				return err
			}))
			if len(tree.ChildFrames) == 1 && tree.ChildFrames[0].Frame.URL != "" && tree.ChildFrames[0].Frame.URL != "about:blank" {
				return tree.ChildFrames[0].Frame.URL
			}
			if time.Now().After(deadline) {
				t.Fatalf("the iframe on %s never loaded", site)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if got := frameURL(listed.URL); got != e.URL+"/privacy/" {
		t.Errorf("listed origin: the iframe shows %q, want the privacy center", got)
	}
	if got := frameURL(unlisted.URL); strings.HasPrefix(got, e.URL) {
		t.Errorf("unlisted origin: the iframe shows %q, want it refused", got)
	}
}

// TestCopyPasteFormFilesThroughTheAPI: the documented HTML form, on a company's own origin listed in
// RIGHTSDESK_CORS_ORIGINS, files a request through the API with an intake token.
func TestCopyPasteFormFilesThroughTheAPI(t *testing.T) {
	ctx := tab(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "privacy-form.html"))
	if err != nil {
		t.Fatal(err)
	}
	var page string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Acme</title>"+page)
	}))
	defer site.Close()
	e := newEnv(t, func(_ *web.Config, a *api.Config) { a.CORSOrigins = []string{site.URL} })
	p, err := e.svc.CreatePrincipal(context.Background(), service.SystemActor, service.NewPrincipal{Name: "website",
		Role: service.RoleIntake, TokenName: "website"})
	if err != nil {
		t.Fatal(err)
	}
	page = strings.NewReplacer("https://privacy.example.com", e.URL, "rd_INTAKE_TOKEN", p.Secret).Replace(string(src))
	run(t, ctx, chromedp.Navigate(site.URL),
		chromedp.SetValue(`[name="name"]`, "Li Wei", chromedp.ByQuery),
		chromedp.SetValue(`[name="email"]`, "li.wei@example.com", chromedp.ByQuery),
		chromedp.SetValue(`[name="type"]`, "deletion", chromedp.ByQuery),
		chromedp.Click(`button`, chromedp.ByQuery))
	deadline := time.Now().Add(10 * time.Second)
	var result string
	for !strings.Contains(result, "DSR-2027-000001") && time.Now().Before(deadline) {
		run(t, ctx, chromedp.Text(`#dsr-result`, &result, chromedp.ByQuery))
		time.Sleep(100 * time.Millisecond)
	}
	if result != "We received your request DSR-2027-000001. Please confirm it from the e-mail we sent you." {
		t.Errorf("the form says %q", result)
	}
}
