package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/service"
)

// Every operation of openapi.yaml answers a query parameter it does not declare with 422 naming it, before
// anything else reads the request: no parameter is ignored silently.
func TestEveryOperationRefusesUndeclaredQueryParameters(t *testing.T) {
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		tokens := map[string]string{"admin": h.admin}
		for _, role := range []service.Role{service.RoleOfficer, service.RoleAuditor, service.RoleIntake, service.RoleIntegration} {
			tokens[string(role)], _ = h.token(t, role, "strict-"+string(role))
		}
		fill := strings.NewReplacer("{id}", "00000000-0000-4000-8000-000000000000", "{name}", "cn", "{year}", "2026",
			"{host}", "hr.internal", "{run_id}", "00000000-0000-4000-8000-000000000001")
		paths := doc.Paths.InMatchingOrder()
		sort.Strings(paths)
		for _, path := range paths {
			for method, op := range doc.Paths.Value(path).Operations() {
				token := ""
				if roles, ok := op.Extensions["x-roles"].([]any); ok && len(roles) > 0 {
					token = tokens[roles[0].(string)]
				}
				url := fill.Replace(path) + "?unheard_of=1"
				res := h.Do(t, method, url, token, nil)
				if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || len(got) != 1 || got[0] != "unheard_of" {
					t.Errorf("%s %s (%s): %d %v, want 422 naming unheard_of", method, url, op.OperationID, res.Status, got)
				}
			}
		}
	})
}

// A parameter given twice that takes one value, and a query string that is not valid URL encoding, are 422
// naming the parameter; Go's URL parsing would drop a badly encoded pair and the listing would go on without it.
func TestQueryStringsThatAreNotWhatTheyLookLike(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for _, sc := range []struct {
			path   string
			fields []string
		}{
			{"/api/v1/requests?cursor=%%%x", []string{"cursor"}},
			{"/api/v1/requests?status=open&cursor=%zz", []string{"cursor"}},
			{"/api/v1/requests?%zz=1", []string{"query"}},
			{"/api/v1/requests?%3Cscript%3E=1", []string{"query"}},
			{"/api/v1/requests?Li.Wei%40example.com", []string{"query"}},
			{"/api/v1/requests?subject_emial=x", []string{"subject_emial"}},
			{"/api/v1/requests?status=open;limit=5", []string{"status"}},
			{"/api/v1/requests?reference=DSR-2026-000001&reference=DSR-2026-000002", []string{"reference"}},
			{"/api/v1/requests?subject_email=a%40example.com&subject_email=b%40example.com", []string{"subject_email"}},
			{"/api/v1/requests?statuss=open&limit=5&limitt=1", []string{"limitt", "statuss"}},
			{"/api/v1/audit/events?after=1&after=2", []string{"after"}},
			{"/api/v1/requests?=1", []string{"query"}},
			{"/healthz?verbose=1", []string{"verbose"}},
		} {
			res := h.Do(t, http.MethodGet, sc.path, h.admin, nil)
			if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || strings.Join(got, ",") != strings.Join(sc.fields, ",") {
				t.Errorf("GET %s: %d %v, want 422 naming %v: %s", sc.path, res.Status, got, sc.fields, res.Body)
			}
		}
		for _, path := range []string{
			"/api/v1/requests?status=active&assignee=me&limit=5",
			"/api/v1/requests?subject_email=li.wei%40example.com&type=deletion",
			"/api/v1/requests?",
			"/api/v1/requests?&status=open&",
			"/api/v1/audit/events?after=0&limit=10",
		} {
			if res := h.Do(t, http.MethodGet, path, h.admin, nil); res.Status != http.StatusOK {
				t.Errorf("GET %s: %d, want 200: %s", path, res.Status, res.Body)
			}
		}
	})
}
