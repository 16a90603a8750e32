package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestConsoleShell: a signed-in officer sees the console in her language, switches it, and signs out; every page
// passes axe.
func TestConsoleShell(t *testing.T) {
	e := newEnv(t, nil)
	ctx := tab(t)
	e.console(t, ctx, "/console/")
	var url string
	run(t, ctx, chromedp.Location(&url))
	if !strings.HasSuffix(url, "/console/login") {
		t.Fatalf("signed out, /console/ went to %s, want the sign-in page", url)
	}
	audit(t, ctx, "console login")

	e.signIn(t, ctx, service.RoleOfficer)
	e.console(t, ctx, "/console/")
	var nav string
	run(t, ctx, chromedp.Text("nav", &nav, chromedp.ByQuery))
	if !strings.Contains(nav, "Work") || strings.Contains(nav, "Admin") {
		t.Errorf("an officer's nav: %q", nav)
	}
	audit(t, ctx, "console work list")

	var lang string
	run(t, ctx, chromedp.Click("button.lang", chromedp.ByQuery), chromedp.WaitReady(`html[lang="zh-CN"]`, chromedp.ByQuery),
		chromedp.Text("nav", &lang, chromedp.ByQuery))
	if !strings.Contains(lang, "工作") {
		t.Errorf("after the switch the nav is %q", lang)
	}
	audit(t, ctx, "console work list zh-CN")

	run(t, ctx, chromedp.Click("button.linkish", chromedp.ByQuery), chromedp.WaitVisible("#f-password", chromedp.ByID))
	e.console(t, ctx, "/console/")
	run(t, ctx, chromedp.Location(&url))
	if !strings.HasSuffix(url, "/console/login") {
		t.Errorf("after signing out, /console/ went to %s", url)
	}
}
