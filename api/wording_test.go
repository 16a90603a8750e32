package api_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
)

// problemErrors is the errors[] of a problem, field -> message.
func problemErrors(t *testing.T, res *apitest.Response) map[string]string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
		Errors []struct{ Field, Message string }
	}
	res.JSON(t, &p)
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Field] = e.Message
	}
	return out
}

// TestFormatErrorsSayWhatIsExpected: a malformed ID, date, date and time or number, in the path, the query or the
// body, answers 422 naming the field and saying in words what it should be, with an example; never the regular
// expression the validator used.
func TestFormatErrorsSayWhatIsExpected(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		letter := deletion(func(b map[string]any) { b["channel"], b["received_at"] = "letter", "15/09/2026 10:00" })
		for _, tc := range []struct {
			name, method, path string
			body               any
			field, want        string
		}{
			{"ID in the path", "GET", "/api/v1/requests/DSR-2026-000001", nil, "id", "must be an ID such as 1f0e"},
			{"ID in the query", "GET", "/api/v1/requests?queue=general", nil, "queue", "must be an ID such as 1f0e"},
			{"date in the query", "GET", "/api/v1/requests?due_before=15.09.2026", nil, "due_before", "must be a date such as 2026-09-15"},
			{"deadline preview", "GET", "/api/v1/calendars/cn/deadline?from=2026-9-15&working_days=15", nil, "from", "must be a date such as 2026-09-15"},
			{"number in the query", "GET", "/api/v1/requests?limit=twenty", nil, "limit", "must be a whole number from 1 to 200"},
			{"date and time in the body", "POST", "/api/v1/requests", letter, "received_at", "such as 2026-09-15T10:00:00+08:00"},
		} {
			res := h.Do(t, tc.method, tc.path, h.admin, tc.body)
			if res.Status != 422 {
				t.Errorf("%s: %d %s, want 422", tc.name, res.Status, res.Body)
				continue
			}
			got := problemErrors(t, res)[tc.field]
			if !strings.Contains(got, tc.want) {
				t.Errorf("%s: %s %q, want it to say %q (%s)", tc.name, tc.field, got, tc.want, res.Body)
			}
			for _, raw := range []string{"pattern", "regular expression", "^", "[0-9]", "doesn't match"} {
				if strings.Contains(got, raw) {
					t.Errorf("%s: %s %q shows %q", tc.name, tc.field, got, raw)
				}
			}
		}
	})
}

// TestForbiddenSaysWhoMay: a 403 names, in words and with the right articles, the roles that may do it and the
// caller's own; never an internal operation ID or permission name. Both gates are covered: the spec's x-roles
// before the handler, and the service's grants.
func TestForbiddenSaysWhoMay(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		integration, _ := h.token(t, service.RoleIntegration, "backup-tool")
		for _, tc := range []struct {
			name, method, path, token string
			body                      any
			want                      string
		}{
			{"listing as intake", "GET", "/api/v1/requests", intake, nil,
				"only an officer, an auditor or an admin may do this; this is an intake token"},
			{"filing as integration", "POST", "/api/v1/requests", integration, deletion(),
				"only an intake, an officer or an admin may do this; this is an integration token"},
		} {
			res := h.Do(t, tc.method, tc.path, tc.token, tc.body)
			if res.Status != 403 {
				t.Fatalf("%s: %d %s, want 403", tc.name, res.Status, res.Body)
			}
			if got := res.Map(t)["detail"]; got != tc.want {
				t.Errorf("%s: detail %q, want %q", tc.name, got, tc.want)
			}
		}
	})
}

// TestForbiddenByGrantSaysWhoMay: the service's own check (a role the spec lets through to an operation whose
// rule it does not hold) says who may as well: the service error is what the API shows.
func TestForbiddenByGrantSaysWhoMay(t *testing.T) {
	err := service.Forbidden(service.RoleAuditor, []service.Role{service.RoleOfficer, service.RoleAdmin})
	if got, want := service.ErrorMessage(err), "only an officer or an admin may do this; this is an auditor token"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got, want := service.ErrorMessage(service.Forbidden(service.RoleOfficer, []service.Role{service.RoleAdmin})),
		"only an admin may do this; this is an officer token"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// TestArticlesAgree: messages that name a type, status or role put "an" before a vowel ("an access request").
func TestArticlesAgree(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		body := accessBody(func(b map[string]any) { b["details"] = map[string]any{"ground": "unlawful_processing"} })
		res := h.Do(t, "POST", "/api/v1/requests", h.admin, body)
		if res.Status != 422 {
			t.Fatalf("access request with a ground: %d %s, want 422", res.Status, res.Body)
		}
		if got, want := problemErrors(t, res)["details.ground"], "does not apply to an access request"; got != want {
			t.Errorf("details.ground %q, want %q", got, want)
		}
		id := h.startWork(t, accessBody())
		res = h.Do(t, "POST", "/api/v1/requests/"+id+"/erasure", h.admin,
			map[string]any{"executed_at": "2026-11-20T09:00:00+08:00", "systems": []string{"crm"}})
		if detail, _ := res.Map(t)["detail"].(string); res.Status != 409 || !strings.Contains(detail, "this is an access request") {
			t.Errorf("erasure on an access request: %d %q, want 409 saying \"this is an access request\"", res.Status, detail)
		}
	})
}

var (
	tagText  = regexp.MustCompile(`<(h1|p|button)[^>]*>([^<]*)<`)
	sentEnds = regexp.MustCompile(`[.?!]\s+`)
)

// pageSentences lists the English sentences of a subject's page: the text of its heading, paragraphs and button,
// each line's part before the Chinese (lines are "English · 中文" or one language each).
func pageSentences(page string) []string {
	var out []string
	for _, m := range tagText.FindAllStringSubmatch(page, -1) {
		text := m[2]
		if i := strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }); i >= 0 {
			text = strings.TrimSuffix(strings.TrimSpace(text[:i]), "·")
		}
		for _, s := range sentEnds.Split(strings.TrimSpace(text), -1) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// wantSentencePage checks a subject's page: bilingual, an HTML page, every English sentence capitalised.
func wantSentencePage(t *testing.T, what string, res *apitest.Response, status int, phrases ...string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: %d, want %d:\n%s", what, res.Status, status, res.Body)
	}
	wantPage(t, what, res, phrases...)
	page := string(res.Body)
	if !strings.ContainsFunc(page, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		t.Errorf("%s: the page has no Chinese:\n%s", what, page)
	}
	sentences := pageSentences(page)
	if len(sentences) < 2 {
		t.Errorf("%s: found only sentences %q in:\n%s", what, sentences, page)
	}
	for _, s := range sentences {
		if r, _ := utf8.DecodeRuneInString(s); unicode.IsLower(r) {
			t.Errorf("%s: sentence %q starts in lower case", what, s)
		}
	}
}

// TestLinkPagesWithoutToken: /verify and /withdraw opened without a token (a link cut short by a mail program),
// with one too long, or their forms posted empty, answer the same bilingual page as a wrong token does, never a
// JSON problem; every sentence on the pages, the used-link page included, starts with a capital letter.
func TestLinkPagesWithoutToken(t *testing.T) {
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	for _, action := range []string{"/verify", "/withdraw"} { // a server each: the public paths allow a burst of 10
		forEachDB(t, func(t *testing.T, h *harness) {
			wantSentencePage(t, "GET "+action, h.Do(t, "GET", action, "", nil), 422, "This link is not valid", "此链接无效")
			wantSentencePage(t, "GET "+action+"?token=", h.Do(t, "GET", action+"?token=", "", nil), 422, "This link is not valid")
			wantSentencePage(t, "GET "+action+" with a long token",
				h.Do(t, "GET", action+"?token="+strings.Repeat("x", 101), "", nil), 422, "This link is not valid")
			wantSentencePage(t, "POST "+action+" token=", h.Do(t, "POST", action, "", "token=", form...), 422, "This link is not valid")
			wantSentencePage(t, "POST "+action+" empty", h.Do(t, "POST", action, "", "", form...), 422, "This link is not valid")
			wantSentencePage(t, "POST "+action+" unknown", h.Do(t, "POST", action, "", "token=unknown", form...), 404, "This link is not valid")
		})
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		id := h.Do(t, "POST", "/api/v1/requests", intake, deletion()).Map(t)["id"].(string)
		tokens := h.linkTokens(t, id)
		wantSentencePage(t, "verify page", h.Do(t, "GET", "/verify?token="+tokens["verify"], "", nil), 200, "Confirm")
		wantSentencePage(t, "verify", h.Do(t, "POST", "/verify", "", "token="+tokens["verify"], form...), 200, "confirmed")
		wantSentencePage(t, "verify again", h.Do(t, "POST", "/verify", "", "token="+tokens["verify"], form...), 409,
			"This link was used already.", "can no longer be used")
		wantSentencePage(t, "withdraw", h.Do(t, "POST", "/withdraw", "", "token="+tokens["withdraw"], form...), 200, "withdrawn")
	})
}
