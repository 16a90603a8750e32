package api_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// wantTooMany fails unless res is a 429 problem naming limit, whose Retry-After is the real wait: 1 to maxWait
// seconds, the time the limit's steady rate takes to allow one more (a client told to wait longer would be kept
// out for nothing).
func wantTooMany(t *testing.T, what string, res *apitest.Response, limit string, maxWait int, rule string) {
	t.Helper()
	if res.Status != 429 {
		t.Errorf("%s: %d %s, want 429", what, res.Status, res.Body)
		return
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s <= 0 || s > maxWait {
		t.Errorf("%s: Retry-After %q, want 1 to %d seconds", what, res.Header.Get("Retry-After"), maxWait)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want a problem", what, ct)
	}
	p := res.Map(t)
	if p["limit"] != limit {
		t.Errorf("%s: limit %v, want %s: %s", what, p["limit"], limit, res.Body)
	}
	if d, _ := p["detail"].(string); !strings.Contains(d, "retry after "+res.Header.Get("Retry-After")+" seconds") {
		t.Errorf("%s: detail %q does not give the wait", what, d)
	} else if !strings.Contains(d, rule) {
		t.Errorf("%s: detail %q does not state the limit %q", what, d, rule)
	}
}

// TestFilingLimitPerToken: with RIGHTSDESK_FILINGS_PER_MINUTE at 5 (a burst of 5, then one every 12 s), a
// token's sixth filing in a burst is refused with 429, limit "token" and a Retry-After of the real wait (at most
// 12 s), and is not filed, while another token from the same address still files.
func TestFilingLimitPerToken(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(shanghaiNoon())
			st := storetest.MustOpen(t, db, clk.Now)
			ctx := context.Background()
			svc, err := service.New(ctx, service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, SubjectDailyCap: 1000})
			if err != nil {
				t.Fatal(err)
			}
			admin, err := svc.EnsureAdmin(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var formUser string
			intake := func(name string) string {
				p, err := svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: name, Role: service.RoleIntake})
				if err != nil {
					t.Fatal(err)
				}
				formUser = p.User.ID
				return p.Secret
			}
			kiosk, form := intake("kiosk"), intake("web-form")
			// A second token of the web form's principal (a second form) has a budget of its own.
			second, err := svc.IssueToken(ctx, service.SystemActor, formUser, "second-form")
			if err != nil {
				t.Fatal(err)
			}
			e, err := api.New(api.Config{Service: svc, Logger: zerolog.Nop(), FilingsPerMinute: 5, FilingsPerMinutePerAddress: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			c := apitest.New(t, srv.URL)

			for i := range 5 {
				if res := c.Do(t, "POST", "/api/v1/requests", form, deletion()); res.Status != 201 {
					t.Fatalf("filing %d of the burst: %d %s", i+1, res.Status, res.Body)
				}
			}
			wantTooMany(t, "the token's sixth filing", c.Do(t, "POST", "/api/v1/requests", form, deletion()), "token", 12,
				"filings with this token (5 at once, then one every 12s)")
			if res := c.Do(t, "POST", "/api/v1/requests", kiosk, deletion()); res.Status != 201 {
				t.Errorf("another principal's token from the same address: %d %s, want 201", res.Status, res.Body)
			}
			if res := c.Do(t, "POST", "/api/v1/requests", second.Secret, deletion()); res.Status != 201 {
				t.Errorf("the same principal's other token: %d %s, want 201", res.Status, res.Body)
			}
			if res := c.Do(t, "GET", "/api/v1/requests?limit=100", admin, nil); res.Status != 200 ||
				len(res.Map(t)["items"].([]any)) != 7 {
				t.Errorf("requests filed: %d %s, want 7 (the refused one not filed)", res.Status, res.Body)
			}
		})
	}
}

// TestPublicLinkPathsAreLimitedPerAddress: the subjects' public paths (verification, download) take a burst of
// 10 from one address, then answer 429 with Retry-After; the staff API from the same address is not limited.
func TestPublicLinkPathsAreLimitedPerAddress(t *testing.T) {
	token := strings.Repeat("x", 43)
	for _, tt := range []struct {
		name, method, path string
		body               any
		headers            []string
	}{
		{"verification API", "POST", "/api/v1/verifications", map[string]any{"token": token}, nil},
		{"verification page", "GET", "/verify?token=" + token, nil, nil},
		{"verification form", "POST", "/verify", "token=" + token, []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"download", "GET", "/download?token=" + token, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, storetest.SQLite(t))
			for i := range 10 {
				if res := h.Do(t, tt.method, tt.path, "", tt.body, tt.headers...); res.Status == 429 {
					t.Fatalf("request %d of the burst limited", i+1)
				}
			}
			limited := -1
			for i := range 10 {
				res := h.Do(t, tt.method, tt.path, "", tt.body, tt.headers...)
				if res.Status == 429 {
					wantTooMany(t, tt.name, res, "public_link", 6,
						"requests for subjects' links from this address (10 at once, then one every 6s)")
					limited = i
					break
				}
			}
			if limited != 0 {
				t.Errorf("past the burst of 10: first 429 after %d more requests, want at once", limited)
			}
			if res := h.Do(t, "GET", "/api/v1/me", h.admin, nil); res.Status != 200 {
				t.Errorf("the staff API from the same address: %d, want 200", res.Status)
			}
		})
	}
}

// TestSecurityHeaders: the headers docs/security.md promises, on API answers (success and problem) and on the
// subjects' pages and downloads; no HSTS over plain HTTP.
func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.startWork(t, accessBody())
		h.answerWithFile(t, id)
		_, download := h.replyMail(t, id)
		for _, tt := range []struct {
			name, path, token string
			status            int
		}{
			{"API answer", "/api/v1/me", h.admin, 200},
			{"API problem", "/api/v1/requests", "", 401},
			{"verification page", "/verify?token=" + strings.Repeat("x", 43), "", 200},
			{"download page for an unknown link", "/download?token=" + strings.Repeat("x", 43), "", 404},
			{"download", "/download?token=" + download, "", 200},
		} {
			res := h.Do(t, "GET", tt.path, tt.token, nil)
			if res.Status != tt.status {
				t.Errorf("%s: %d, want %d", tt.name, res.Status, tt.status)
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %s %q, want %q", tt.name, k, got, v)
				}
			}
			if got := res.Header.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("%s: HSTS %q over plain HTTP", tt.name, got)
			}
		}
	})
}
