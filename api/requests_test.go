package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

// bodies of each type, as a web form or an officer files them.
var sixTypes = map[string]map[string]any{
	"access":               {"categories": []string{"chat_history", "account"}},
	"rectification":        {"corrections": []map[string]any{{"field": "phone", "current_value": "1", "corrected_value": "+86 138 0000 0001"}}},
	"deletion":             {"ground": "collected_without_consent"},
	"consent_withdrawal":   {"purposes": []string{"marketing"}},
	"account_cancellation": {"account_id": "emp-4411"},
	"portability":          {"format": "json", "recipient": map[string]any{"name": "Other AI", "endpoint": "https://import.example.com/dsr"}},
}

func TestFileEachType(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		ref := regexp.MustCompile(`^DSR-2026-\d{6}$`)
		seen := map[string]bool{}
		for typ, details := range sixTypes {
			body := deletion(func(b map[string]any) { b["type"], b["details"] = typ, details })
			res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, body)
			if res.Status != http.StatusCreated {
				t.Fatalf("%s: %d %s", typ, res.Status, res.Body)
			}
			got := res.Map(t)
			if !ref.MatchString(got["reference"].(string)) || seen[got["reference"].(string)] {
				t.Errorf("%s: reference %v is not a new DSR-2026-NNNNNN", typ, got["reference"])
			}
			seen[got["reference"].(string)] = true
			if got["status"] != "open" || got["type"] != typ || got["policy"] != "cn-pipl-15wd" {
				t.Errorf("%s: status %v type %v policy %v", typ, got["status"], got["type"], got["policy"])
			}
			if diff := cmp.Diff(roundTrip(t, details), got["details"]); diff != "" {
				t.Errorf("%s: details (-want +got):\n%s", typ, diff)
			}
			if loc := res.Header.Get("Location"); loc != "/api/v1/requests/"+got["id"].(string) {
				t.Errorf("%s: Location %q", typ, loc)
			}
			read := h.Do(t, http.MethodGet, "/api/v1/requests/"+got["id"].(string), h.admin, nil)
			if read.Status != http.StatusOK || read.Map(t)["reference"] != got["reference"] {
				t.Errorf("%s: read back %d %s", typ, read.Status, read.Body)
			}
		}
	})
}

// TestFilingDueDate files on the contract's example: received 2026-09-15 10:00 in Shanghai, 15 working days
// over the Mid-Autumn and National Day holidays and two adjusted working days.
func TestFilingDueDate(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin,
			deletion(func(b map[string]any) { b["received_at"] = "2026-09-15T10:00:00+08:00" }))
		got := res.Map(t)
		want := map[string]any{"due_date": "2026-10-12", "due_at": "2026-10-12T23:59:59+08:00",
			"due_provisional": false, "received_at": "2026-09-15T10:00:00+08:00"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		// The clock reads 2026-11-20: every working day since the receipt is used.
		if clock := got["clock"].(map[string]any); clock["paused"] != false || clock["working_days_used"] != 44.0 {
			t.Errorf("clock = %v, want not paused, 44 working days used", clock)
		}
	})
}

func TestFilingRejectsBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		scenarios := []struct {
			name       string
			token      string
			body       any
			headers    []string
			wantStatus int
			wantFields []string
		}{
			{name: "malformed JSON", body: `{"type":`, wantStatus: 400},
			{name: "empty body", body: ``, wantStatus: 400},
			{name: "not JSON", body: `type=deletion`, headers: []string{"Content-Type", "text/plain"}, wantStatus: 400},
			{name: "unknown field", body: deletion(func(b map[string]any) { b["status"] = "fulfilled" }), wantStatus: 422, wantFields: []string{"status"}},
			{name: "unknown nested field", body: deletion(func(b map[string]any) { b["subject"].(map[string]any)["ssn"] = "1" }), wantStatus: 422, wantFields: []string{"subject.ssn"}},
			{name: "unknown type", body: deletion(func(b map[string]any) { b["type"] = "erase" }), wantStatus: 422, wantFields: []string{"type"}},
			{name: "wrong JSON type", body: deletion(func(b map[string]any) { b["subject"].(map[string]any)["is_minor"] = "no" }), wantStatus: 422, wantFields: []string{"subject.is_minor"}},
			{name: "missing channel", body: deletion(func(b map[string]any) { delete(b, "channel") }), wantStatus: 422, wantFields: []string{"channel"}},
			{name: "deletion without ground", body: deletion(func(b map[string]any) { b["details"] = map[string]any{} }), wantStatus: 422, wantFields: []string{"details.ground"}},
			{name: "ground of another type", body: deletion(func(b map[string]any) { b["type"] = "access" }), wantStatus: 422, wantFields: []string{"details.explanation", "details.ground"}},
			{name: "rectification without corrections", body: deletion(func(b map[string]any) {
				b["type"], b["details"] = "rectification", map[string]any{"corrections": []any{}}
			}), wantStatus: 422, wantFields: []string{"details.corrections"}},
			{name: "correction without value", body: deletion(func(b map[string]any) {
				b["type"], b["details"] = "rectification", map[string]any{"corrections": []any{map[string]any{"field": "name"}}}
			}), wantStatus: 422, wantFields: []string{"details.corrections[0].corrected_value"}},
			{name: "portability to http", body: deletion(func(b map[string]any) {
				b["type"], b["details"] = "portability", map[string]any{"format": "json", "recipient": map[string]any{"endpoint": "http://x.example"}}
			}), wantStatus: 422, wantFields: []string{"details.recipient.endpoint"}},
			{name: "cancellation without account", body: deletion(func(b map[string]any) {
				b["type"], b["details"] = "account_cancellation", map[string]any{}
				delete(b["subject"].(map[string]any), "account_id")
			}), wantStatus: 422, wantFields: []string{"details.account_id"}},
			{name: "no contact", body: deletion(func(b map[string]any) { b["subject"] = map[string]any{"name": "Li Wei"} }), wantStatus: 422, wantFields: []string{"subject.email"}},
			{name: "bad email", body: deletion(func(b map[string]any) { b["subject"].(map[string]any)["email"] = "Li <li@example.com>" }), wantStatus: 422, wantFields: []string{"subject.email"}},
			{name: "name too long", body: deletion(func(b map[string]any) { b["subject"].(map[string]any)["name"] = strings.Repeat("x", 201) }), wantStatus: 422, wantFields: []string{"subject.name"}},
			{name: "minor without guardian", body: deletion(func(b map[string]any) {
				b["subject"].(map[string]any)["is_minor"] = true
			}), wantStatus: 422, wantFields: []string{"subject.guardian"}},
			{name: "received_at from intake", token: intake, body: deletion(func(b map[string]any) { b["received_at"] = "2026-11-19T10:00:00+08:00" }), wantStatus: 422, wantFields: []string{"received_at"}},
			{name: "received_at in the future", body: deletion(func(b map[string]any) { b["received_at"] = "2026-11-20T10:00:01+08:00" }), wantStatus: 422, wantFields: []string{"received_at"}},
			{name: "received_at not a time", body: deletion(func(b map[string]any) { b["received_at"] = "yesterday" }), wantStatus: 422, wantFields: []string{"received_at"}},
			{name: "unknown policy", body: deletion(func(b map[string]any) { b["policy"] = "hipaa" }), wantStatus: 422, wantFields: []string{"policy"}},
			{name: "over the body limit", body: deletion(func(b map[string]any) {
				b["details"].(map[string]any)["explanation"] = strings.Repeat("x", 70<<10)
			}), wantStatus: 413},
			{name: "bad Idempotency-Key", body: deletion(), headers: []string{"Idempotency-Key", "has space"}, wantStatus: 422, wantFields: []string{"Idempotency-Key"}},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				token := sc.token
				if token == "" {
					token = h.admin
				}
				res := h.Do(t, http.MethodPost, "/api/v1/requests", token, sc.body, sc.headers...)
				if res.Status != sc.wantStatus {
					t.Fatalf("status %d, want %d: %s", res.Status, sc.wantStatus, res.Body)
				}
				if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if sc.wantFields != nil {
					if diff := cmp.Diff(sc.wantFields, problemFields(t, res.Map(t))); diff != "" {
						t.Errorf("fields (-want +got):\n%s\n%s", diff, res.Body)
					}
				}
			})
		}
		// Nothing was written by any of them.
		list := h.Do(t, http.MethodGet, "/api/v1/requests", h.admin, nil).Map(t)
		if n := len(list["items"].([]any)); n != 0 {
			t.Errorf("%d requests exist after rejected filings", n)
		}
	})
}

func problemFields(t *testing.T, p map[string]any) []string {
	t.Helper()
	var fields []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	sort.Strings(fields)
	return fields
}

func TestFilingByRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		intake, _ := h.token(t, service.RoleIntake, "website-form")
		officer, _ := h.token(t, service.RoleOfficer, "olivia")
		auditor, _ := h.token(t, service.RoleAuditor, "audrey")
		integration, _ := h.token(t, service.RoleIntegration, "backups")
		for _, sc := range []struct {
			name, token string
			wantStatus  int
			wantState   string
		}{
			{"no token", "", 401, ""},
			{"bad token", "rd_nope", 401, ""},
			{"auditor", auditor, 403, ""},
			{"integration", integration, 403, ""},
			{"intake", intake, 201, "unverified"},
			{"officer", officer, 201, "open"},
			{"admin", h.admin, 201, "open"},
		} {
			res := h.Do(t, http.MethodPost, "/api/v1/requests", sc.token, deletion())
			if res.Status != sc.wantStatus {
				t.Errorf("%s: status %d, want %d: %s", sc.name, res.Status, sc.wantStatus, res.Body)
				continue
			}
			if sc.wantStatus == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", sc.name)
			}
			if sc.wantState != "" {
				got := res.Map(t)
				if got["status"] != sc.wantState {
					t.Errorf("%s: status %v, want %s", sc.name, got["status"], sc.wantState)
				}
				if sc.name == "intake" && got["received_at"] != "2026-11-20T10:00:00+08:00" {
					t.Errorf("intake: received_at %v, want the server's time", got["received_at"])
				}
			}
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		first := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(), "Idempotency-Key", "form-1")
		again := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(), "Idempotency-Key", "form-1")
		if first.Status != 201 || again.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("statuses %d then %d (%q)", first.Status, again.Status, again.Header.Get("Idempotent-Replayed"))
		}
		if a, b := first.Map(t)["id"], again.Map(t)["id"]; a != b {
			t.Errorf("replay answered %v, want %v", b, a)
		}
		other := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin,
			deletion(func(b map[string]any) { b["channel"] = "email" }), "Idempotency-Key", "form-1")
		if other.Status != http.StatusConflict {
			t.Errorf("same key, other body: %d, want 409", other.Status)
		}

		// Concurrent retries of one submission file one request.
		const n = 8
		ids := make([]string, n)
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(), "Idempotency-Key", "form-2")
				statuses[i] = res.Status
				ids[i], _ = res.Map(t)["id"].(string)
			}()
		}
		wg.Wait()
		created := 0
		for i := range n {
			if statuses[i] == 201 {
				created++
			} else if statuses[i] != 200 {
				t.Errorf("retry %d: status %d", i, statuses[i])
			}
			if ids[i] != ids[0] || ids[i] == "" {
				t.Errorf("retry %d answered %q, retry 0 %q", i, ids[i], ids[0])
			}
		}
		if created != 1 {
			t.Errorf("%d retries created a request, want 1", created)
		}
	})
}

func TestConcurrentFilingNumbersUniquely(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		const n = 24
		refs := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion())
				if res.Status != http.StatusCreated {
					t.Errorf("filing %d: %d %s", i, res.Status, res.Body)
					return
				}
				refs[i] = res.Map(t)["reference"].(string)
			}()
		}
		wg.Wait()
		sort.Strings(refs)
		for i, ref := range refs {
			if want := fmt.Sprintf("DSR-2026-%06d", i+1); ref != want {
				t.Errorf("reference %d = %q, want %q", i, ref, want)
			}
		}
	})
}
