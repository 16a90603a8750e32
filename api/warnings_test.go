package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// warningsOf reads the warnings of /readyz (unauthenticated) and of the jobs view (admin).
func (h *harness) warningsOf(t *testing.T) (ready, jobs []string) {
	t.Helper()
	res := h.Do(t, http.MethodGet, "/readyz", "", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("readyz: %d %s", res.Status, res.Body)
	}
	var health struct {
		Status   string
		Warnings *[]string
	}
	res.JSON(t, &health)
	if health.Warnings != nil {
		if len(*health.Warnings) == 0 {
			t.Errorf("readyz carries an empty warnings list; it should leave it out")
		}
		ready = *health.Warnings
	}
	res = h.Do(t, http.MethodGet, "/api/v1/jobs", h.admin, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("jobs: %d %s", res.Status, res.Body)
	}
	var view struct{ Warnings []string }
	res.JSON(t, &view)
	return ready, view.Warnings
}

// TestCalendarWarningShown: the missing-calendar warning reaches operators where they look, /readyz (still 200)
// and the jobs view, from 1 December while next year's schedule is missing and while the current year's is, with
// the year and how to load it; loading the year clears it.
func TestCalendarWarningShown(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		steps := []struct {
			name  string
			at    time.Time
			load  bool   // load 2027 first
			years []int  // the years warned of
			also  string // a phrase the first warning must have
		}{
			{name: "20 November", at: time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai)},
			{name: "30 November", at: time.Date(2026, 11, 30, 23, 59, 0, 0, shanghai)},
			{name: "1 December", at: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), years: []int{2027}},
			{name: "15 December", at: time.Date(2026, 12, 15, 9, 0, 0, 0, shanghai), years: []int{2027}},
			{name: "4 January, still unloaded", at: time.Date(2027, 1, 4, 9, 0, 0, 0, shanghai), years: []int{2027},
				also: "the current year"},
			{name: "after loading 2027", at: time.Date(2027, 1, 4, 10, 0, 0, 0, shanghai), load: true},
			{name: "1 December 2027", at: time.Date(2027, 12, 1, 9, 0, 0, 0, shanghai), years: []int{2028}},
		}
		for _, st := range steps {
			h.clock.Set(st.at)
			if st.load {
				if res := h.Do(t, http.MethodPut, "/api/v1/calendars/cn/years/2027", h.admin, schedule2027); res.Status != http.StatusOK {
					t.Fatalf("load 2027: %d %s", res.Status, res.Body)
				}
			}
			ready, jobs := h.warningsOf(t)
			if strings.Join(ready, "\n") != strings.Join(jobs, "\n") {
				t.Errorf("%s: readyz warns %q, the jobs view %q", st.name, ready, jobs)
			}
			if len(ready) != len(st.years) {
				t.Errorf("%s: warnings %q, want %d", st.name, ready, len(st.years))
				continue
			}
			for i, y := range st.years {
				for _, want := range []string{fmt.Sprint(y), fmt.Sprintf("PUT /api/v1/calendars/cn/years/%d", y), "provisional"} {
					if !strings.Contains(ready[i], want) {
						t.Errorf("%s: warning %q lacks %q", st.name, ready[i], want)
					}
				}
			}
			if st.also != "" && !strings.Contains(ready[0], st.also) {
				t.Errorf("%s: warning %q lacks %q", st.name, ready[0], st.also)
			}
		}
	})
}

// TestCalendarJobReportsWarning: run by an admin in December, the calendars job reports the warning in its run and
// in the jobs view's last run.
func TestCalendarJobReportsWarning(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
		run := h.Do(t, http.MethodPost, "/api/v1/jobs/calendars/runs", h.admin, nil)
		if run.Status != http.StatusCreated {
			t.Fatalf("run calendars: %d %s", run.Status, run.Body)
		}
		if got := run.Map(t); got["outcome"] != "ok" || !strings.Contains(fmt.Sprint(got["detail"]), "PUT /api/v1/calendars/cn/years/2027") {
			t.Errorf("calendars run: %v", got)
		}
		var view struct {
			Items []struct {
				Name    string
				LastRun *struct{ Detail string } `json:"last_run"`
			}
		}
		h.Do(t, http.MethodGet, "/api/v1/jobs", h.admin, nil).JSON(t, &view)
		found := false
		for _, j := range view.Items {
			if j.Name == "calendars" {
				found = true
				if j.LastRun == nil || !strings.Contains(j.LastRun.Detail, "2027") {
					t.Errorf("jobs view, calendars' last run: %+v", j.LastRun)
				}
			}
		}
		if !found {
			t.Errorf("jobs view lacks the calendars job: %+v", view.Items)
		}
	})
}
