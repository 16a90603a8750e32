package service

import (
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

func mustPolicy(tb testing.TB, name string) *Policy {
	tb.Helper()
	for _, p := range ShippedPolicies() {
		if p.Name == name {
			return p
		}
	}
	tb.Fatalf("no shipped policy %q", name)
	return nil
}

func shippedCalendars() *calendarSet {
	return &calendarSet{cn: calendar.NewCN(calendar.ShippedSchedules()...)}
}

func d(y int, m time.Month, day int) calendar.Date { return calendar.NewDate(y, m, day) }

func TestAddMonths(t *testing.T) {
	tests := []struct {
		from calendar.Date
		n    int
		want calendar.Date
	}{
		{d(2026, 3, 15), 1, d(2026, 4, 15)},
		{d(2026, 1, 31), 1, d(2026, 2, 28)},
		{d(2024, 1, 31), 1, d(2024, 2, 29)},
		{d(2026, 3, 31), 1, d(2026, 4, 30)},
		{d(2026, 12, 15), 1, d(2027, 1, 15)},
		{d(2026, 12, 31), 2, d(2027, 2, 28)},
		{d(2026, 1, 31), 3, d(2026, 4, 30)},
		{d(2026, 11, 30), 3, d(2027, 2, 28)},
		{d(2026, 5, 31), 0, d(2026, 5, 31)},
		{d(2026, 2, 28), 1, d(2026, 3, 28)},
	}
	for _, tt := range tests {
		if got := addMonths(tt.from, tt.n); got != tt.want {
			t.Errorf("addMonths(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestDaysBetween(t *testing.T) {
	tests := []struct {
		a, b calendar.Date
		want int
	}{
		{d(2026, 1, 31), d(2026, 2, 28), 28},
		{d(2024, 1, 31), d(2024, 2, 29), 29},
		{d(2026, 3, 15), d(2026, 4, 15), 31},   // across the EU and US DST changes: UTC days only
		{d(2026, 10, 15), d(2026, 11, 15), 31}, // and back
		{d(2026, 12, 31), d(2027, 1, 31), 31},
		{d(2026, 5, 1), d(2026, 5, 1), 0},
		{d(2026, 5, 2), d(2026, 5, 1), -1},
	}
	for _, tt := range tests {
		if got := daysBetween(tt.a, tt.b); got != tt.want {
			t.Errorf("daysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestStartClock(t *testing.T) {
	tests := []struct {
		policy string
		at     time.Time
		want   Clock
	}{
		{"cn-pipl-15wd", time.Date(2026, 9, 15, 1, 59, 0, 0, time.UTC), Clock{Start: d(2026, 9, 15), Budget: 15}},
		{"cn-pipl-15wd", time.Date(2026, 9, 15, 16, 0, 0, 0, time.UTC), Clock{Start: d(2026, 9, 16), Budget: 15}},
		{"gdpr", time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), Clock{Start: d(2026, 1, 31), Budget: 28}},
		{"gdpr", time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC), Clock{Start: d(2026, 2, 1), Budget: 28}},
		{"gdpr", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), Clock{Start: d(2026, 12, 31), Budget: 31}},
		{"ccpa", time.Date(2026, 3, 16, 6, 0, 0, 0, time.UTC), Clock{Start: d(2026, 3, 15), Budget: 45}},
		{"lgpd", time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC), Clock{Start: d(2026, 3, 14), Budget: 15}},
	}
	for _, tt := range tests {
		got := mustPolicy(t, tt.policy).startClock(tt.at)
		if got.Start != tt.want.Start || got.Budget != tt.want.Budget || got.Used != 0 || got.Paused != nil {
			t.Errorf("%s.startClock(%s) = %+v, want %+v", tt.policy, tt.at, got, tt.want)
		}
	}
}

func TestPolicyDue(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		clock  Clock
		want   calendar.Date
		prov   bool
	}{
		{"cn contract example", "cn-pipl-15wd", Clock{Start: d(2026, 9, 15), Budget: 15}, d(2026, 10, 12), false},
		// Resumed on 10-08 with 5 days used: 10-09, 10-10 (adjusted), 10-12..16, 10-19..21.
		{"cn resumed count", "cn-pipl-15wd", Clock{Start: d(2026, 10, 8), Used: 5, Budget: 15}, d(2026, 10, 21), false},
		{"cn budget spent", "cn-pipl-15wd", Clock{Start: d(2026, 10, 8), Used: 15, Budget: 15}, d(2026, 10, 8), false},
		{"cn overspent", "cn-pipl-15wd", Clock{Start: d(2026, 10, 8), Used: 20, Budget: 15}, d(2026, 10, 8), false},
		{"cn extended budget", "cn-pipl-15wd", Clock{Start: d(2026, 9, 15), Budget: 30}, d(2026, 11, 2), false},
		{"cn into 2027", "cn-pipl-15wd", Clock{Start: d(2026, 12, 20), Budget: 15}, d(2027, 1, 11), true},
		{"cn spent before 2027 is provisional only if it looks into 2027", "cn-pipl-15wd",
			Clock{Start: d(2026, 12, 1), Budget: 15}, d(2026, 12, 22), false},
		{"gdpr Saturday rolled", "gdpr", Clock{Start: d(2026, 1, 31), Budget: 28}, d(2026, 3, 2), false},
		{"gdpr Sunday rolled", "gdpr", Clock{Start: d(2026, 2, 1), Budget: 28}, d(2026, 3, 2), false},
		{"gdpr weekday kept", "gdpr", Clock{Start: d(2026, 3, 15), Budget: 31}, d(2026, 4, 15), false},
		{"gdpr spent on a Saturday rolled", "gdpr", Clock{Start: d(2026, 2, 28), Used: 40, Budget: 28}, d(2026, 3, 2), false},
		{"gdpr never provisional", "gdpr", Clock{Start: d(2026, 12, 31), Budget: 31}, d(2027, 2, 1), false},
		{"ccpa calendar days, no roll", "ccpa", Clock{Start: d(2026, 3, 18), Budget: 45}, d(2026, 5, 2), false},
		{"lgpd calendar days, no roll", "lgpd", Clock{Start: d(2026, 3, 14), Budget: 15}, d(2026, 3, 29), false},
	}
	cals := shippedCalendars()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			got, err := p.due(cals, tt.clock)
			if err != nil {
				t.Fatal(err)
			}
			if got.Date != tt.want || got.Provisional != tt.prov {
				t.Errorf("due = %s provisional %v, want %s provisional %v", got.Date, got.Provisional, tt.want, tt.prov)
			}
			wantAt := time.Date(tt.want.Year, tt.want.Month, tt.want.Day, 23, 59, 59, 0, p.Location)
			if !got.At.Equal(wantAt) {
				t.Errorf("due at = %s, want %s", got.At, wantAt)
			}
		})
	}
}

func TestPolicyDaysUsed(t *testing.T) {
	cn := mustPolicy(t, DefaultPolicy)
	cals := shippedCalendars()
	start := Clock{Start: d(2026, 9, 15), Budget: 15}
	paused := d(2026, 9, 18)
	tests := []struct {
		name  string
		clock Clock
		now   time.Time
		want  int
	}{
		{"receipt day", start, time.Date(2026, 9, 15, 23, 0, 0, 0, cn.Location), 0},
		{"next morning in Shanghai, still 09-15 in UTC", start, time.Date(2026, 9, 15, 17, 0, 0, 0, time.UTC), 1},
		{"across the adjusted Sunday", start, time.Date(2026, 9, 21, 12, 0, 0, 0, cn.Location), 5},
		{"on the due date", start, time.Date(2026, 10, 12, 12, 0, 0, 0, cn.Location), 15},
		{"after the due date", start, time.Date(2026, 10, 14, 12, 0, 0, 0, cn.Location), 17},
		{"resumed", Clock{Start: d(2026, 10, 8), Used: 4, Budget: 15}, time.Date(2026, 10, 12, 12, 0, 0, 0, cn.Location), 7},
		{"paused", Clock{Start: d(2026, 9, 15), Used: 3, Budget: 15, Paused: &paused},
			time.Date(2026, 10, 30, 12, 0, 0, 0, cn.Location), 3},
	}
	for _, tt := range tests {
		if got := cn.daysUsed(cals, tt.clock, tt.now); got != tt.want {
			t.Errorf("%s: daysUsed = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPolicyPauses(t *testing.T) {
	for _, p := range ShippedPolicies() {
		if !p.Pauses(PauseAwaitingSubjectInformation) {
			t.Errorf("%s does not pause for %s", p.Name, PauseAwaitingSubjectInformation)
		}
		if p.Pauses("vacation") {
			t.Errorf("%s pauses for vacation", p.Name)
		}
	}
}
