package service_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

func TestPreviewDeadline(t *testing.T) {
	tests := []struct {
		name  string
		actor service.Actor
		cal   string
		from  string
		n     int
		want  service.DeadlinePreview
		code  string
		field string
	}{
		{name: "contract example", cal: "cn", from: "2026-09-15", n: 15,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2026, 10, 12)}},
		{name: "zero days", cal: "cn", from: "2026-10-03", n: 0,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2026, 10, 3)}},
		{name: "one day over the National Day holiday", cal: "cn", from: "2026-09-30", n: 1,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2026, 10, 8)}},
		{name: "into unpublished 2027", cal: "cn", from: "2026-12-20", n: 15,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2027, 1, 11), Provisional: true}},
		{name: "weekdays ignore Chinese holidays", cal: "weekdays", from: "2026-09-15", n: 15,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2026, 10, 6)}},
		{name: "366 days allowed", cal: "weekdays", from: "2026-01-01", n: 366,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2027, 5, 28)}}, // 73 weeks and a day
		{name: "auditor may", actor: auditor, cal: "cn", from: "2026-09-15", n: 15,
			want: service.DeadlinePreview{DueDate: calendar.NewDate(2026, 10, 12)}},
		{name: "400 working days", cal: "cn", from: "2026-09-15", n: 400, code: service.EINVALID, field: "working_days"},
		{name: "negative working days", cal: "cn", from: "2026-09-15", n: -1, code: service.EINVALID, field: "working_days"},
		{name: "from before 1949", cal: "cn", from: "1900-01-01", n: 1, code: service.EINVALID, field: "from"},
		{name: "unknown calendar", cal: "us", from: "2026-09-15", n: 15, code: service.ENOTFOUND},
		{name: "intake may not", actor: intake, cal: "cn", from: "2026-09-15", n: 15, code: service.EFORBIDDEN},
		{name: "integration may not", actor: integration, cal: "cn", from: "2026-09-15", n: 15, code: service.EFORBIDDEN},
	}
	e := mustEnv(t, storetest.SQLite(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.actor
			if a.Role == "" {
				a = officer
			}
			got, err := e.svc.PreviewDeadline(context.Background(), a, tt.cal, mustDate(t, tt.from), tt.n)
			if tt.code != "" {
				var fields []string
				if tt.field != "" {
					fields = []string{tt.field}
				}
				wantError(t, err, tt.code, fields...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PreviewDeadline = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadCalendarYearErrors(t *testing.T) {
	const good2027 = `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`
	tests := []struct {
		name  string
		actor service.Actor
		cal   string
		year  int
		doc   string
		code  string
		field string
	}{
		{"body's year differs from the path's", admin, "cn", 2028, good2027, service.EINVALID, "year"},
		{"malformed date", admin, "cn", 2027,
			`{"year": 2027, "days": [{"name": "元旦", "date": "2027-13-01", "isOffDay": true}]}`, service.EINVALID, "days[0].date"},
		{"date two years off", admin, "cn", 2027,
			`{"year": 2027, "days": [{"name": "x", "date": "2027-01-01", "isOffDay": true},
			{"name": "x", "date": "2029-01-01", "isOffDay": true}]}`, service.EINVALID, "days[1].date"},
		{"isOffDay missing", admin, "cn", 2027, `{"year": 2027, "days": [{"name": "x", "date": "2027-01-01"}]}`,
			service.EINVALID, "days[0].isOffDay"},
		{"no days", admin, "cn", 2027, `{"year": 2027, "days": []}`, service.EINVALID, "days"},
		{"no year", admin, "cn", 2027, `{"days": []}`, service.EINVALID, "year"},
		{"not JSON", admin, "cn", 2027, `{"year": 2027,`, service.EINVALID, "body"},
		{"officer may not", officer, "cn", 2027, good2027, service.EFORBIDDEN, ""},
		{"auditor may not", auditor, "cn", 2027, good2027, service.EFORBIDDEN, ""},
		{"weekdays takes no schedule", admin, "weekdays", 2027, good2027, service.EINVALID, "name"},
		{"unknown calendar", admin, "us", 2027, good2027, service.ENOTFOUND, ""},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.LoadCalendarYear(ctx, tt.actor, tt.cal, tt.year, []byte(tt.doc))
				var fields []string
				if tt.field != "" {
					fields = []string{tt.field}
				}
				wantError(t, err, tt.code, fields...)
			})
		}
		// Nothing was loaded.
		cals, err := e.svc.Calendars(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if got := cals[0].PublishedYears; got[len(got)-1] != 2026 {
			t.Errorf("published years after refused loads = %v, want up to 2026", got)
		}
		fresh := mustService(t, e.store, e.clock)
		p, err := fresh.PreviewDeadline(ctx, admin, "cn", calendar.NewDate(2026, 12, 20), 15)
		if err != nil || !p.Provisional {
			t.Errorf("after refused loads, preview into 2027 = %+v, %v; want provisional", p, err)
		}
	})
}

func TestCalendars(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		got, err := e.svc.Calendars(ctx, auditor)
		if err != nil {
			t.Fatal(err)
		}
		want := []service.CalendarInfo{
			{Name: "cn", PublishedYears: []int{2020, 2021, 2022, 2023, 2024, 2025, 2026}},
			{Name: "weekdays", PublishedYears: []int{}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Calendars (-want +got):\n%s", diff)
		}
		_, err = e.svc.Calendars(ctx, intake)
		wantError(t, err, service.EFORBIDDEN)

		sch, err := e.svc.CalendarYear(ctx, officer, "cn", 2026)
		if err != nil {
			t.Fatal(err)
		}
		if sch.Year != 2026 || len(sch.Days) != 39 {
			t.Errorf("2026 schedule: year %d with %d days, want 2026 with 39", sch.Year, len(sch.Days))
		}
		_, err = e.svc.CalendarYear(ctx, officer, "cn", 2027)
		wantError(t, err, service.ENOTFOUND)
		_, err = e.svc.CalendarYear(ctx, officer, "weekdays", 2026)
		wantError(t, err, service.ENOTFOUND)
		_, err = e.svc.CalendarYear(ctx, officer, "us", 2026)
		wantError(t, err, service.ENOTFOUND)

		doc := []byte(`{"year": 2027, "days": [{"name": "b", "date": "2027-02-01", "isOffDay": true},
			{"name": "a", "date": "2027-01-01", "isOffDay": true}]}`)
		if _, err := e.svc.LoadCalendarYear(ctx, admin, "cn", 2027, doc); err != nil {
			t.Fatal(err)
		}
		for _, svc := range []*service.Service{e.svc, mustService(t, e.store, e.clock)} {
			sch, err := svc.CalendarYear(ctx, officer, "cn", 2027)
			if err != nil {
				t.Fatal(err)
			}
			wantDays := []calendar.Day{{Name: "a", Date: calendar.NewDate(2027, 1, 1), OffDay: true},
				{Name: "b", Date: calendar.NewDate(2027, 2, 1), OffDay: true}}
			if diff := cmp.Diff(wantDays, sch.Days); diff != "" {
				t.Errorf("loaded 2027 schedule, sorted by date (-want +got):\n%s", diff)
			}
		}
	})
}
