package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestPreviewDeadline(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for _, sc := range []struct {
			query      string
			wantStatus int
			want       map[string]any
		}{
			{"from=2026-09-15&working_days=15", 200, map[string]any{"due_date": "2026-10-12", "provisional": false}},
			// Received on the National Day holiday: the count starts after it and crosses the adjusted Saturday.
			{"from=2026-10-03&working_days=5", 200, map[string]any{"due_date": "2026-10-13", "provisional": false}},
			{"from=2026-12-15&working_days=15", 200, map[string]any{"due_date": "2027-01-06", "provisional": true}},
			{"from=2026-09-15", 422, nil},
			{"from=15/09/2026&working_days=15", 422, nil},
			{"from=2026-09-15&working_days=-1", 422, nil},
		} {
			res := h.Do(t, http.MethodGet, "/api/v1/calendars/cn/deadline?"+sc.query, h.admin, nil)
			if res.Status != sc.wantStatus {
				t.Errorf("%s: %d, want %d: %s", sc.query, res.Status, sc.wantStatus, res.Body)
				continue
			}
			if sc.want == nil {
				continue
			}
			got := res.Map(t)
			for k, v := range sc.want {
				if got[k] != v {
					t.Errorf("%s: %s = %v, want %v", sc.query, k, got[k], v)
				}
			}
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/calendars/moon/deadline?from=2026-09-15&working_days=1", h.admin, nil); res.Status != 404 {
			t.Errorf("unknown calendar: %d, want 404", res.Status)
		}
	})
}

// schedule2027 is a synthetic notice for 2027 in the shipped JSON shape: New Year's Day on Friday with the
// Monday after it off as well, and Saturday 9 January an adjusted working day.
var schedule2027 = map[string]any{
	"$schema": "https://example.com/schema.json", "year": 2027, "papers": []string{"https://www.gov.cn/"},
	"days": []map[string]any{
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "元旦", "date": "2027-01-04", "isOffDay": true},
		{"name": "元旦", "date": "2027-01-09", "isOffDay": false},
	},
}

func TestLoadingAYearRecomputesProvisionalDueDates(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.clock.Set(time.Date(2026, 12, 16, 9, 0, 0, 0, shanghai))
		id := h.fileAt(t, "access", time.Date(2026, 12, 15, 9, 0, 0, 0, shanghai))
		before := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t)
		if before["due_date"] != "2027-01-06" || before["due_provisional"] != true {
			t.Fatalf("before: due %v provisional %v, want 2027-01-06 provisional", before["due_date"], before["due_provisional"])
		}
		officer, _ := h.token(t, service.RoleOfficer, "olivia")
		if res := h.Do(t, http.MethodPut, "/api/v1/calendars/cn/years/2027", officer, schedule2027); res.Status != 403 {
			t.Errorf("officer loads a year: %d, want 403", res.Status)
		}
		res := h.Do(t, http.MethodPut, "/api/v1/calendars/cn/years/2027", h.admin, schedule2027)
		if res.Status != http.StatusOK {
			t.Fatalf("load 2027: %d %s", res.Status, res.Body)
		}
		if got := res.Map(t); got["recomputed_requests"] != 1.0 || got["days"] != 3.0 {
			t.Errorf("load answered %v", got)
		}
		after := h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil).Map(t)
		// 16-18, 21-25, 28-31 December are 12 working days; 1 and 4 January are off; 5, 6 and 7 January follow.
		if after["due_date"] != "2027-01-07" || after["due_provisional"] != false {
			t.Errorf("after: due %v provisional %v, want 2027-01-07 not provisional", after["due_date"], after["due_provisional"])
		}
		cals := h.Do(t, http.MethodGet, "/api/v1/calendars", h.admin, nil).Map(t)["items"].([]any)
		years := cals[0].(map[string]any)["published_years"].([]any)
		if last := years[len(years)-1]; last != 2027.0 {
			t.Errorf("published years end with %v, want 2027", last)
		}
		year := h.Do(t, http.MethodGet, "/api/v1/calendars/cn/years/2027", h.admin, nil)
		if days := year.Map(t)["days"].([]any); len(days) != 3 {
			t.Errorf("2027 has %d days", len(days))
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/calendars/cn/years/2031", h.admin, nil); res.Status != 404 {
			t.Errorf("unpublished year: %d, want 404", res.Status)
		}
	})
}

func TestLoadingABadYearIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for _, sc := range []struct {
			name, path string
			body       any
			wantStatus int
			wantField  string
		}{
			{"year differs from path", "/api/v1/calendars/cn/years/2028", schedule2027, 422, "year"},
			{"date outside the year", "/api/v1/calendars/cn/years/2027", map[string]any{"year": 2027,
				"days": []map[string]any{{"name": "x", "date": "2031-01-01", "isOffDay": true}}}, 422, "days[0].date"},
			{"date listed twice", "/api/v1/calendars/cn/years/2027", map[string]any{"year": 2027,
				"days": []map[string]any{{"name": "x", "date": "2027-01-01", "isOffDay": true}, {"name": "x", "date": "2027-01-01", "isOffDay": true}}}, 422, "days[1].date"},
			{"not a date", "/api/v1/calendars/cn/years/2027", map[string]any{"year": 2027,
				"days": []map[string]any{{"name": "x", "date": "1 Jan", "isOffDay": true}}}, 422, "days[0].date"},
			{"unknown field", "/api/v1/calendars/cn/years/2027", map[string]any{"year": 2027, "days": []any{}, "extra": 1}, 422, "extra"},
			{"weekdays has no years", "/api/v1/calendars/weekdays/years/2027", schedule2027, 422, "name"},
		} {
			res := h.Do(t, http.MethodPut, sc.path, h.admin, sc.body)
			if res.Status != sc.wantStatus {
				t.Errorf("%s: %d, want %d: %s", sc.name, res.Status, sc.wantStatus, res.Body)
				continue
			}
			if got := problemFields(t, res.Map(t)); len(got) == 0 || got[0] != sc.wantField {
				t.Errorf("%s: fields %v, want %s first", sc.name, got, sc.wantField)
			}
		}
		cals := h.Do(t, http.MethodGet, "/api/v1/calendars", h.admin, nil).Map(t)["items"].([]any)
		years := cals[0].(map[string]any)["published_years"].([]any)
		if last := years[len(years)-1]; last != 2026.0 {
			t.Errorf("a refused year was loaded: published years end with %v", last)
		}
	})
}

func TestPolicies(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		items := h.Do(t, http.MethodGet, "/api/v1/policies", h.admin, nil).Map(t)["items"].([]any)
		var names []string
		for _, it := range items {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		if len(names) != 4 || names[0] != "cn-pipl-15wd" || items[0].(map[string]any)["default"] != true {
			t.Errorf("policies %v", names)
		}
		res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["policy"], b["received_at"] = "gdpr", "2026-01-31T12:00:00+01:00"
		}))
		// One month from 31 January is 28 February 2026, a Saturday: the period ends on Monday 2 March.
		if got := res.Map(t); got["due_date"] != "2026-03-02" || got["due_at"] != "2026-03-02T23:59:59+01:00" {
			t.Errorf("gdpr due %v at %v, want 2026-03-02 at 23:59:59+01:00", got["due_date"], got["due_at"])
		}
	})
}
