package service_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// notice2027 is a synthetic State Council notice for 2027 in the shipped JSON shape.
const notice2027 = `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`

// calendarGap is what one warning must name: a year, and whether it is the year under way.
type calendarGap struct {
	year    int
	current bool
}

// wantWarnings fails unless warnings name exactly the gaps, in order, each with the year and how to load it.
func wantWarnings(tb testing.TB, warnings []string, gaps ...calendarGap) {
	tb.Helper()
	if len(warnings) != len(gaps) {
		tb.Fatalf("%d warning(s) %q, want %d: %v", len(warnings), warnings, len(gaps), gaps)
	}
	for i, g := range gaps {
		w := warnings[i]
		for _, part := range []string{
			fmt.Sprintf("holiday schedule for %d", g.year),
			fmt.Sprintf("PUT /api/v1/calendars/cn/years/%d", g.year),
			"provisional",
		} {
			if !strings.Contains(w, part) {
				tb.Errorf("warning %q lacks %q", w, part)
			}
		}
		if got := strings.Contains(w, "the current year"); got != g.current {
			tb.Errorf("warning %q: names the current year %v, want %v", w, got, g.current)
		}
	}
}

// TestCalendarWarnings: the warning comes from 1 December (in the default policy's zone) while next year's cn
// schedule is not loaded, and whenever the current year's is not; loading the year ends it.
func TestCalendarWarnings(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		load bool // with 2027 loaded
		want []calendarGap
	}{
		{name: "30 November, 2026 loaded", at: time.Date(2026, 11, 30, 23, 59, 59, 0, shanghai)},
		{name: "1 December: next year missing", at: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai),
			want: []calendarGap{{year: 2027}}},
		{name: "1 December in Shanghai, still 30 November in UTC", at: time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC),
			want: []calendarGap{{year: 2027}}},
		{name: "31 December", at: time.Date(2026, 12, 31, 23, 59, 0, 0, shanghai), want: []calendarGap{{year: 2027}}},
		{name: "2 January, the year unloaded", at: time.Date(2027, 1, 2, 10, 0, 0, 0, shanghai),
			want: []calendarGap{{year: 2027, current: true}}},
		{name: "30 November, the year unloaded", at: time.Date(2027, 11, 30, 10, 0, 0, 0, shanghai),
			want: []calendarGap{{year: 2027, current: true}}},
		{name: "1 December, this year and next unloaded", at: time.Date(2027, 12, 1, 10, 0, 0, 0, shanghai),
			want: []calendarGap{{year: 2027, current: true}, {year: 2028}}},
		{name: "a zero clock has nothing to load", at: time.Time{}},
		{name: "1 December, 2027 loaded early", at: time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai), load: true},
		{name: "2 January, after loading", at: time.Date(2027, 1, 2, 10, 0, 0, 0, shanghai), load: true},
		{name: "1 December, after loading this year", at: time.Date(2027, 12, 1, 10, 0, 0, 0, shanghai), load: true,
			want: []calendarGap{{year: 2028}}},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		loaded := false
		for _, tt := range tests { // the cases that load 2027 come last
			if tt.load && !loaded {
				e.clock.Set(time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai))
				if _, err := e.svc.LoadCalendarYear(context.Background(), admin, service.CalendarCN, 2027,
					[]byte(notice2027)); err != nil {
					t.Fatal(err)
				}
				loaded = true
			}
			t.Run(tt.name, func(t *testing.T) {
				e.clock.Set(tt.at)
				wantWarnings(t, e.svc.Warnings(), tt.want...)
			})
		}
	})
}

// TestCalendarWarningMail: the calendars job mails every admin with an address once about next year from
// 1 December, once more if the year begins without its schedule, and no more once it is loaded.
func TestCalendarWarningMail(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, p := range []service.NewPrincipal{
			{Name: "Ada", Email: "ada@staff.example", Role: service.RoleAdmin},
			{Name: "Bo", Role: service.RoleAdmin}, // no address
			{Name: "Olivia", Email: "olivia@staff.example", Role: service.RoleOfficer},
		} {
			if _, err := e.svc.CreatePrincipal(ctx, service.SystemActor, p); err != nil {
				t.Fatal(err)
			}
		}
		check := func(at time.Time, wantWarn []calendarGap, wantSubjects ...string) {
			t.Helper()
			e.clock.Set(at)
			for range 2 { // a second run on the same day sends nothing more
				w, err := e.svc.CheckCalendars(ctx)
				if err != nil {
					t.Fatalf("CheckCalendars at %s: %v", at, err)
				}
				wantWarnings(t, w, wantWarn...)
			}
			mails := mailsOfKind(t, e, "calendar_missing")
			var subjects []string
			for _, m := range mails {
				subjects = append(subjects, m.Subject)
				if m.To != "ada@staff.example" {
					t.Errorf("calendar warning to %s, want only the admin with an address", m.To)
				}
				if !strings.Contains(m.Text, "PUT http://localhost:8080/api/v1/calendars/cn/years/") ||
					!strings.Contains(m.HTMLPart(), "/api/v1/calendars/cn/years/") {
					t.Errorf("mail %q does not say how to load the year:\n%s", m.Subject, m.Text)
				}
			}
			sort.Strings(subjects)
			sort.Strings(wantSubjects)
			if strings.Join(subjects, "\n") != strings.Join(wantSubjects, "\n") {
				t.Errorf("at %s, calendar warning mails:\n%s\nwant:\n%s", at, strings.Join(subjects, "\n"),
					strings.Join(wantSubjects, "\n"))
			}
		}
		const (
			december = "[Rightsdesk] Load the 2027 State Council holiday schedule"
			january  = "[Rightsdesk] Load the 2027 State Council holiday schedule: due dates are provisional"
		)
		check(time.Date(2026, 11, 30, 23, 0, 0, 0, shanghai), nil)
		check(time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), []calendarGap{{year: 2027}}, december)
		check(time.Date(2026, 12, 28, 9, 0, 0, 0, shanghai), []calendarGap{{year: 2027}}, december)
		check(time.Date(2027, 1, 2, 10, 0, 0, 0, shanghai), []calendarGap{{year: 2027, current: true}}, december, january)
		if _, err := e.svc.LoadCalendarYear(ctx, admin, service.CalendarCN, 2027, []byte(notice2027)); err != nil {
			t.Fatal(err)
		}
		check(time.Date(2027, 1, 3, 10, 0, 0, 0, shanghai), nil, december, january)
	})
}
