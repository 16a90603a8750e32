package api_test

import (
	"net/http"
	"testing"
)

// A JSON body is one well-formed value in UTF-8, or it is refused (README "Errors": malformed JSON 400) and
// changes nothing. FuzzCreateRequestBody found both decoders (kin-openapi's validation and the generated
// handler's json.Decoder.Decode) reading one value and stopping, so that `{...}}`, `{...}{}`, `{...} trailing`
// and `{...}]` filed a request, created a user, a queue; and encoding/json replacing invalid UTF-8, so that
// "Li \xff\xfeWei" was filed as "Li \uFFFD\uFFFDWei", the subject's name silently changed (RFC 8259 8.1:
// JSON text is UTF-8); likewise an escaped lone surrogate ("\ud800"), which encoding/json reads as U+FFFD.
func TestMalformedJSONBodiesAreRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		filing := `{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com"},` +
			`"details":{"ground":"no_longer_using_service"},"channel":"letter"}`
		for _, sc := range []struct {
			name, method, path, body string
		}{
			{"filing, extra brace", http.MethodPost, "/api/v1/requests", filing + `}`},
			{"filing, second value", http.MethodPost, "/api/v1/requests", filing + `{}`},
			{"filing, trailing text", http.MethodPost, "/api/v1/requests", filing + ` trailing`},
			{"filing, extra bracket", http.MethodPost, "/api/v1/requests", filing + `]`},
			{"filing, not UTF-8", http.MethodPost, "/api/v1/requests",
				`{"type":"deletion","subject":{"name":"Li ` + "\xff\xfe" + `Wei","email":"li.wei@example.com"},` +
					`"details":{"ground":"no_longer_using_service"},"channel":"letter"}`},
			{"filing, lone high surrogate", http.MethodPost, "/api/v1/requests",
				`{"type":"deletion","subject":{"name":"Li \ud800Wei","email":"li.wei@example.com"},` +
					`"details":{"ground":"no_longer_using_service"},"channel":"letter"}`},
			{"filing, lone low surrogate at the end", http.MethodPost, "/api/v1/requests",
				`{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com"},` +
					`"details":{"ground":"no_longer_using_service","explanation":"x\uDC00"},"channel":"letter"}`},
			{"filing, high surrogate before a non-surrogate", http.MethodPost, "/api/v1/requests",
				`{"type":"deletion","subject":{"name":"Li \uD83D\u0041","email":"li.wei@example.com"},` +
					`"details":{"ground":"no_longer_using_service"},"channel":"letter"}`},
			{"user, trailing text", http.MethodPost, "/api/v1/users", `{"name":"Olga","email":"olga@example.com","role":"officer"} x`},
			{"queue, extra brace", http.MethodPost, "/api/v1/queues", `{"name":"Q"}}`},
		} {
			res := h.Do(t, sc.method, sc.path, h.admin, sc.body)
			if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 400 (or 422 naming the field): %.160s", sc.name, res.Status, res.Body)
			}
		}
		for _, list := range []struct {
			path string
			want int
		}{{"/api/v1/requests", 0}, {"/api/v1/queues", 0}, {"/api/v1/users", 1}} { // the admin
			if n := len(h.Do(t, http.MethodGet, list.path, h.admin, nil).Map(t)["items"].([]any)); n != list.want {
				t.Errorf("%s lists %d items after malformed bodies, want %d", list.path, n, list.want)
			}
		}
		// An escaped surrogate pair is one character, and is kept.
		res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin,
			`{"type":"deletion","subject":{"name":"Li Wei \uD83D\uDE00","email":"li.wei@example.com"},`+
				`"details":{"ground":"no_longer_using_service","explanation":"a \\u escape: \\ud800"},"channel":"letter"}`)
		if res.Status != http.StatusCreated {
			t.Fatalf("filing with an escaped surrogate pair: %d %.200s", res.Status, res.Body)
		}
		got := res.Map(t)
		if name := got["subject"].(map[string]any)["name"]; name != "Li Wei \U0001F600" {
			t.Errorf("subject name = %q, want the pair decoded to U+1F600", name)
		}
		if e := got["details"].(map[string]any)["explanation"]; e != `a \u escape: \ud800` {
			t.Errorf("explanation = %q, want the escaped backslashes kept as text", e)
		}
	})
}
