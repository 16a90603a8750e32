package api_test

import (
	"net/http"
	"testing"
)

// A query parameter that kin-openapi's validation lets through but the generated binder (oapi-codegen runtime)
// cannot bind is a 422 naming it, like any other bad parameter (README "Errors"), never an undeclared 400
// without `errors`. Two ways in, both found by FuzzProblemWriter: a single-valued parameter given twice (the
// validator checks the first value, the binder refuses several), and a date of the right shape that does not
// exist (kin-openapi's "date" format is a regular expression that takes 2026-02-30; the binder's time.Parse
// does not).
func TestQueryParametersTheBinderRefusesAre422(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for _, sc := range []struct{ path, field string }{
			{"/api/v1/requests?status=open&status=denied", "status"},
			{"/api/v1/requests?limit=1&limit=2", "limit"},
			{"/api/v1/requests?due_before=2026-02-30", "due_before"},
			{"/api/v1/outbox?limit=1&limit=2", "limit"},
			{"/api/v1/calendars/cn/deadline?from=2026-02-30&working_days=1", "from"},
			{"/api/v1/calendars/cn/deadline?from=2026-09-15&working_days=1&working_days=2", "working_days"},
			{"/api/v1/reports/summary?from=2026-02-30&to=2026-12-31", "from"},
		} {
			res := h.Do(t, http.MethodGet, sc.path, h.admin, nil) // h.Do also checks the status is a declared one
			if res.Status != http.StatusUnprocessableEntity {
				t.Errorf("GET %s: %d, want 422 naming %s: %s", sc.path, res.Status, sc.field, res.Body)
				continue
			}
			if got := problemFields(t, res.Map(t)); len(got) != 1 || got[0] != sc.field {
				t.Errorf("GET %s: fields %v, want [%s]", sc.path, got, sc.field)
			}
		}
	})
}

// previewDeadline never answers a date outside openapi.yaml's `format: date` (YYYY-MM-DD): FuzzProblemWriter
// found it counting past 9999-12-31 to {"due_date":"10001-06-06"}. Inputs within the spec's own bounds answer
// a date of that format or 422 naming a parameter.
func TestDeadlinePreviewStaysWithinTheDateFormat(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for _, q := range []string{"from=9999-12-31&working_days=366", "from=9999-12-31&working_days=1"} {
			res := h.Do(t, http.MethodGet, "/api/v1/calendars/cn/deadline?"+q, h.admin, nil) // checks due_date's format
			switch res.Status {
			case http.StatusOK:
			case http.StatusUnprocessableEntity:
				if got := problemFields(t, res.Map(t)); len(got) == 0 {
					t.Errorf("%s: 422 naming no parameter: %s", q, res.Body)
				}
			default:
				t.Errorf("%s: %d, want 200 or 422: %s", q, res.Status, res.Body)
			}
		}
	})
}
