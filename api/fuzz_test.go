package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk"
	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// fuzzServer is the real Echo handler on a real database, called in-process (no sockets) for speed, with every
// response checked against openapi.yaml as apitest checks it.
type fuzzServer struct {
	dialect string
	e       *echo.Echo
	admin   string
	doc     *openapi3.T
	router  routers.Router
}

// specHost is the origin the spec check resolves routes against.
const specHost = "rightsdesk.test"

// newFuzzServers starts a server on every available database (SQLite, and PostgreSQL when
// RIGHTSDESK_TEST_POSTGRES_DSN is set), its clock at 2026-11-20 10:00 in Shanghai like newHarness. Each fuzzing
// worker process gets its own.
func newFuzzServers(f *testing.F) []*fuzzServer {
	f.Helper()
	doc, err := api.LoadSpec()
	if err != nil {
		f.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://" + specHost}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		f.Fatal(err)
	}
	dbs := storetest.Dialects(f)
	if fuzzing() {
		// Fuzzing workers are stopped by signal, often before their cleanups can drop a PostgreSQL schema (or
		// before migrations end), which would leak one per worker and run. They fuzz SQLite only; every plain
		// `go test` runs the seeds and the corpus on PostgreSQL too.
		dbs = []storetest.DB{storetest.SQLite(f)}
	}
	var out []*fuzzServer
	for _, db := range dbs {
		clk := storetest.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai))
		st := storetest.MustOpen(f, db, clk.Now)
		ctx := context.Background()
		svc, err := service.New(ctx, service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now})
		if err != nil {
			f.Fatal(err)
		}
		admin, err := svc.EnsureAdmin(ctx, "")
		if err != nil {
			f.Fatal(err)
		}
		// Filings are rate limited per address and per token; the fuzzer files far faster than any client may.
		e, err := api.New(api.Config{Service: svc, Logger: zerolog.Nop(), FilingsPerMinute: 1 << 30,
			FilingsPerMinutePerAddress: 1 << 30})
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, &fuzzServer{dialect: db.Dialect, e: e, admin: admin, doc: doc, router: router})
	}
	return out
}

// fuzzing reports whether this process runs with -test.fuzz (the coordinator or a worker), not just the seeds.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// serve sends req to the handler and checks the response against openapi.yaml.
func (s *fuzzServer) serve(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	s.checkSpec(t, req, rec)
	return rec
}

// checkSpec fails the test unless the response is one openapi.yaml declares for the operation, or a problem for
// a path the spec does not have.
func (s *fuzzServer) checkSpec(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "http", specHost, specHost
	route, params, err := s.router.FindRoute(r)
	if err == nil && isRouterMiss(rec) {
		// Echo routed no operation (e.g. a trailing slash, or an encoded slash in an ID) where kin-openapi's
		// router finds one: the path is off-spec, and its answer need only be a problem.
		err = errRouterMiss
	}
	if err != nil {
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: %s %q: off-spec path answered %d with %q, not a problem", s.dialect, req.Method,
				req.URL.RequestURI(), rec.Code, ct)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: s.doc.GetSchemaValidationOptions()},
	}
	in.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s: %s %q answered %d, which openapi.yaml does not allow: %v\nbody: %s", s.dialect, req.Method,
			req.URL.RequestURI(), rec.Code, err, rec.Body.Bytes())
	}
}

var errRouterMiss = errors.New("no operation routed by Echo")

// isRouterMiss reports Echo's own 404 and 405, written before any operation is chosen.
func isRouterMiss(rec *httptest.ResponseRecorder) bool {
	if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
		return false
	}
	var p struct{ Detail string }
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	return p.Detail == "no such path" || p.Detail == "the path does not take this method"
}

// checkProblem fails the test unless rec is an RFC 9457 problem of its own status, and returns it decoded.
func checkProblem(t *testing.T, what string, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: %d with Content-Type %q, want application/problem+json\nbody: %s", what, rec.Code, ct, rec.Body.Bytes())
		return nil
	}
	var p map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Errorf("%s: %d problem is not JSON: %v\nbody: %s", what, rec.Code, err, rec.Body.Bytes())
		return nil
	}
	typ, _ := p["type"].(string)
	title, _ := p["title"].(string)
	if status, _ := p["status"].(float64); int(status) != rec.Code || !strings.HasPrefix(typ, "urn:rightsdesk:problem:") || title == "" {
		t.Errorf("%s: %d answered a problem without its own status, a type or a title: %s", what, rec.Code, rec.Body.Bytes())
	}
	return p
}

// validFilings are seed bodies that file: the README's deletion and each of the six types.
func validFilings(tb testing.TB) [][]byte {
	tb.Helper()
	readme := []byte(`{
  "type": "deletion",
  "subject": { "name": "Li Wei", "email": "li.wei@example.com", "account_id": "emp-4411" },
  "details": { "ground": "no_longer_using_service" },
  "channel": "letter",
  "received_at": "2026-09-15T10:00:00+08:00"
}`)
	out := [][]byte{readme}
	for _, typ := range []string{"access", "rectification", "deletion", "consent_withdrawal", "account_cancellation", "portability"} {
		b, err := json.Marshal(deletion(func(b map[string]any) { b["type"], b["details"] = typ, sixTypes[typ] }))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzCreateRequestBody posts arbitrary bodies to POST /api/v1/requests as an admin: never a 5xx, every answer
// but 200 and 201 a problem, a 2xx a filed request with an ID for a well-formed body only, and every answer
// one the spec declares.
func FuzzCreateRequestBody(f *testing.F) {
	for _, b := range validFilings(f) {
		f.Add(b)
	}
	const base = `{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com"},"details":{"ground":"no_longer_using_service"},"channel":"letter"`
	for _, s := range []string{
		// Malformed JSON.
		``, `{`, `{"type":`, `null`, `[]`, `"deletion"`, `{}`, base, base + `}}`, base + `}{}`, `{"type":"deletion",}`,
		"\xef\xbb\xbf" + base + `}`, // a byte order mark
		// Huge and odd numbers where strings, booleans or nothing belong.
		`{"type":1e999999,"subject":{"name":"Li Wei","email":"li.wei@example.com"},"channel":"letter"}`,
		base + `,"received_at":123456789012345678901234567890}`,
		`{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com","is_minor":1e400},"details":{"ground":"no_longer_using_service"},"channel":"letter"}`,
		`{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com"},"details":{"ground":"no_longer_using_service","categories":[-0,9223372036854775808]},"channel":"letter"}`,
		// Deep nesting.
		`{"type":"deletion","subject":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `,"channel":"letter"}`,
		strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
		// Unknown fields, at the top and nested, and mass assignment.
		base + `,"status":"fulfilled"}`,
		base + `,"__proto__":{"admin":true}}`,
		`{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com","ssn":"1"},"details":{"ground":"no_longer_using_service"},"channel":"letter"}`,
		base + `,"Type":"access"}`,
		base + `,"type":"access"}`, // a duplicate key
		// Invalid UTF-8 and NUL bytes, raw and escaped.
		`{"type":"deletion","subject":{"name":"Li ` + "\xff\xfe" + `Wei","email":"li.wei@example.com"},"details":{"ground":"no_longer_using_service"},"channel":"letter"}`,
		`{"type":"deletion","subject":{"name":"Li\u0000Wei","email":"li.wei@example.com"},"details":{"ground":"no_longer_using_service"},"channel":"letter"}`,
		`{"type":"deletion","subject":{"name":"Li Wei","email":"li.wei@example.com","account_id":"\u0000"},"details":{"ground":"no_longer_using_service","explanation":"\ud800"},"channel":"letter"}`,
		"{\"type\":\"deletion\x00\"}",
		base + `,"external_id":"` + "\x00" + `"}`,
		// Edges of the contract.
		base + `,"received_at":"0001-01-01T00:00:00Z"}`,
		base + `,"received_at":"2026-11-20T10:00:00.000000001+08:00"}`,
		base + `,"policy":"gdpr","locale":"zh-CN","external_id":"` + strings.Repeat("x", 200) + `"}`,
	} {
		f.Add([]byte(s))
	}
	servers := newFuzzServers(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range servers {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/requests", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.admin)
			rec := s.serve(t, req)
			what := s.dialect + ": POST /api/v1/requests"
			if rec.Code >= 500 {
				t.Fatalf("%s answered %d to %q: %s", what, rec.Code, body, rec.Body.Bytes())
			}
			if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
				checkProblem(t, what, rec)
				continue
			}
			// Only one well-formed JSON value in UTF-8 (RFC 8259) may file: anything else is malformed (400).
			if !json.Valid(body) || !utf8.Valid(body) {
				t.Errorf("%s answered %d to a malformed body %q", what, rec.Code, body)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s answered %d with a body that is not JSON: %v\nbody: %s", what, rec.Code, err, rec.Body.Bytes())
			}
			if id, _ := got["id"].(string); id == "" {
				t.Errorf("%s answered %d without an id: %s", what, rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// problemProbes place a fuzzed string in the query or a path segment of GET operations.
var problemProbes = []func(s string) string{
	func(s string) string { return "/api/v1/requests?" + s },
	func(s string) string { return "/api/v1/requests/" + url.PathEscape(s) },
	func(s string) string { return "/api/v1/requests/" + s }, // raw: its own escapes, slashes or query
	func(s string) string { return "/api/v1/requests/" + url.PathEscape(s) + "/events" },
	func(s string) string { return "/api/v1/calendars/cn/deadline?" + s },
	func(s string) string {
		return "/api/v1/calendars/" + url.PathEscape(s) + "/deadline?from=2026-09-15&working_days=15"
	},
	func(s string) string { return "/api/v1/calendars/cn/years/" + url.PathEscape(s) },
	func(s string) string { return "/api/v1/queues/" + url.PathEscape(s) },
	func(s string) string { return "/api/v1/reports/summary?" + s },
	func(s string) string { return "/api/v1/suppressions/check?" + s },
	func(s string) string { return "/api/v1/outbox?" + s },
}

// FuzzProblemWriter sends fuzzed query strings and path segments to GET operations: never a 5xx, every error a
// problem the spec declares, and no error reflects the input (beyond the names of fields, which are the
// spec's own words, and the name of an undeclared query parameter that has the shape of one, e.g.
// subject_emial: lowercase letters, digits and _, which carry no markup, and which the caller needs to see).
func FuzzProblemWriter(f *testing.F) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"", "status=open", "status=opened", "status=open&status=denied", "type=erase", "limit=0", "limit=201",
		"limit=abc", "limit=99999999999999999999", "limit=1&limit=2", "overdue=maybe", "due_within=-1",
		"due_before=2026-13-45", "due_before=2026-02-30", "queue=not-a-uuid-at-all", "assignee=me",
		"assignee=%00", "assignee=%ff%fe", "cursor=" + b64(`{"t":1,"i":"3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"}`),
		"cursor=" + b64(`{"t":-9223372036854775808,"i":"x"}`), "cursor=!!", "%zz", "a=%", "&&==&&", ";",
		"from=2026-09-15&working_days=15", "from=2026-09-15&working_days=367", "from=yesterday&working_days=1",
		"from=2026-02-30&working_days=1", "from=0000-01-01&working_days=366", "from=9999-12-31&working_days=366",
		"from=2026-01-01&to=2026-12-31", "from=2026-12-31&to=2026-01-01&format=xml",
		"email=li.wei%40example.com&purpose=marketing", "phone=%2B86+138+0000+0000&purpose=" + strings.Repeat("p", 101),
		"3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b", "3F0B3C52-6A55-4B8E-9F5E-0C1D2E3F4A5B", "not-a-uuid-at-all",
		"2026", "1948", "99999999999999999999", "../../../../etc/passwd", "%2e%2e%2f%2e%2e", "a/b/c?d=e#f",
		"<script>alert(1)</script>", "name=\u674e\u4f1f\u674e\u4f1f\u674e\u4f1f", "\x00\x01\x7f\xff",
	} {
		f.Add(s)
	}
	servers := newFuzzServers(f)
	spec := string(rightsdesk.OpenAPI)
	f.Fuzz(func(t *testing.T, s string) {
		// The input as the server may see it: raw, and decoded as a path segment and as a query.
		candidates := []string{s}
		if u, err := url.PathUnescape(s); err == nil {
			candidates = append(candidates, u)
		}
		q, _ := url.ParseQuery(s)
		for k, vs := range q {
			candidates = append(candidates, k)
			candidates = append(candidates, vs...)
		}
		var reflectable []string
		for _, c := range candidates {
			// A canonical UUID is exempt: the server answers a well-formed ID it does not know with "no request
			// <id>", and validation lets nothing but a UUID reach that message, so it cannot carry markup, a
			// line break or personal data.
			if len(c) > 8 && !strings.Contains(spec, c) && !isUUID(c) {
				reflectable = append(reflectable, c)
			}
		}
		for _, s0 := range servers {
			for _, probe := range problemProbes {
				target := probe(s)
				// Only what net/http's server would hand to the handler: no control bytes, spaces or bad URLs.
				raw := "GET " + target + " HTTP/1.1\r\nHost: " + specHost + "\r\nAuthorization: Bearer " + s0.admin + "\r\n\r\n"
				req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
				if err != nil {
					continue
				}
				req.RemoteAddr = "192.0.2.1:1234"
				rec := s0.serve(t, req)
				what := s0.dialect + ": GET " + target
				if rec.Code >= 500 {
					t.Fatalf("%s answered %d: %s", what, rec.Code, rec.Body.Bytes())
				}
				if rec.Code < 400 {
					continue
				}
				p := checkProblem(t, what, rec)
				var fields []string
				if errs, ok := p["errors"].([]any); ok {
					for _, e := range errs {
						field, _ := e.(map[string]any)["field"].(string)
						fields = append(fields, field)
						delete(e.(map[string]any), "field")
					}
				}
				for _, got := range jsonStrings(p) {
					for _, c := range reflectable {
						if strings.Contains(got, c) {
							t.Errorf("%s: the %d problem reflects the input %q: %q", what, rec.Code, c, got)
						}
					}
				}
				for _, field := range fields {
					for _, c := range reflectable {
						if strings.Contains(field, c) && (field != c || !parameterShaped.MatchString(c)) {
							t.Errorf("%s: the %d problem reflects the input %q as a field: %q", what, rec.Code, c, field)
						}
					}
				}
			}
		}
	})
}

// parameterShaped is the shape of a parameter name a problem may name back though the spec does not declare it.
var parameterShaped = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// jsonStrings returns every string in a decoded JSON value: the problem's type, title, detail and each error's
// field and message.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, jsonStrings(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, jsonStrings(e)...)
		}
		return out
	}
	return nil
}

// isUUID reports whether s is a UUID in its 36-character form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
