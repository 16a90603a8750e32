package calendar

import (
	"strings"
	"testing"
)

// shippedCN is the calendar every service instance starts from.
func shippedCN() *CN { return NewCN(ShippedSchedules()...) }

type addCase struct {
	name     string
	from     string
	n        int
	want     string
	wantProv bool
}

func runAddCases(t *testing.T, c Calendar, tests []addCase) {
	t.Helper()
	for _, tt := range tests {
		got, gotProv := AddWorkingDays(c, mustDate(tt.from), tt.n)
		if got != mustDate(tt.want) || gotProv != tt.wantProv {
			t.Errorf("%s: AddWorkingDays(%s, %s, %d) = %v, %v; want %s, %v",
				tt.name, c.Name(), tt.from, tt.n, got, gotProv, tt.want, tt.wantProv)
		}
	}
}

func TestAddWorkingDaysContractExample(t *testing.T) {
	got, gotProv := AddWorkingDays(shippedCN(), mustDate("2026-09-15"), 15)
	if want := mustDate("2026-10-12"); got != want || gotProv {
		t.Errorf("AddWorkingDays(cn, 2026-09-15, 15) = %v, %v; want %v, false", got, gotProv, want)
	}
}

func TestAddWorkingDaysCN2026HolidayPeriods(t *testing.T) {
	runAddCases(t, shippedCN(), []addCase{
		// 元旦 01-01..03, 01-04 (Sun) worked.
		{"new year, 1 day", "2025-12-31", 1, "2026-01-04", false},
		{"new year, 15 days", "2025-12-31", 15, "2026-01-22", false},
		// 春节 02-15..23, 02-14 and 02-28 (Sat) worked.
		{"spring festival, 1 day", "2026-02-13", 1, "2026-02-14", false},
		{"spring festival, 2 days", "2026-02-13", 2, "2026-02-24", false},
		{"spring festival, 15 days", "2026-02-13", 15, "2026-03-12", false},
		{"spring festival, 15 days from Thu", "2026-02-12", 15, "2026-03-11", false},
		// 清明节 04-04..06.
		{"qingming, 1 day", "2026-04-03", 1, "2026-04-07", false},
		{"qingming, 2 days", "2026-04-03", 2, "2026-04-08", false},
		{"qingming, 15 days", "2026-04-03", 15, "2026-04-27", false},
		// 劳动节 05-01..05, 05-09 (Sat) worked.
		{"labour day, 1 day", "2026-04-30", 1, "2026-05-06", false},
		{"labour day, 2 days", "2026-04-30", 2, "2026-05-07", false},
		{"labour day, 15 days", "2026-04-30", 15, "2026-05-25", false},
		// 端午节 06-19..21.
		{"dragon boat, 1 day", "2026-06-18", 1, "2026-06-22", false},
		{"dragon boat, 2 days", "2026-06-18", 2, "2026-06-23", false},
		{"dragon boat, 15 days", "2026-06-18", 15, "2026-07-10", false},
		// 中秋节 09-25..27.
		{"mid-autumn, 1 day", "2026-09-24", 1, "2026-09-28", false},
		{"mid-autumn, 2 days", "2026-09-24", 2, "2026-09-29", false},
		{"mid-autumn, 15 days", "2026-09-24", 15, "2026-10-22", false},
		// 国庆节 10-01..07, 10-10 (Sat) worked.
		{"national day, 1 day", "2026-09-30", 1, "2026-10-08", false},
		{"national day, 2 days", "2026-09-30", 2, "2026-10-09", false},
		{"national day, 15 days", "2026-09-30", 15, "2026-10-27", false},
	})
}

func TestAddWorkingDaysReceiptNotCounted(t *testing.T) {
	runAddCases(t, shippedCN(), []addCase{
		{"on new year holiday", "2026-01-01", 15, "2026-01-22", false},
		{"on spring festival holiday", "2026-02-17", 1, "2026-02-24", false},
		{"on spring festival holiday, 15", "2026-02-17", 15, "2026-03-13", false},
		{"on national day", "2026-10-01", 1, "2026-10-08", false},
		{"on national day holiday Sat", "2026-10-03", 15, "2026-10-27", false},
		{"on national day holiday Sun", "2026-10-04", 15, "2026-10-27", false},
		{"on mid-autumn Sat", "2026-09-26", 1, "2026-09-28", false},
		{"on labour day Sun", "2026-05-03", 1, "2026-05-06", false},
		{"on dragon boat Sat", "2026-06-20", 1, "2026-06-22", false},
		{"on plain Sunday", "2026-03-01", 1, "2026-03-02", false},
		{"on plain Sunday, 15", "2026-03-01", 15, "2026-03-20", false},
		{"on plain Sunday after national day", "2026-10-11", 1, "2026-10-12", false},
		{"on adjusted Sat 02-14", "2026-02-14", 1, "2026-02-24", false},
		{"on adjusted Sat 02-14, 15", "2026-02-14", 15, "2026-03-13", false},
		{"on adjusted Sat 02-28", "2026-02-28", 1, "2026-03-02", false},
		{"on adjusted Sat 05-09", "2026-05-09", 1, "2026-05-11", false},
		{"on adjusted Sun 09-20", "2026-09-20", 1, "2026-09-21", false},
		{"on adjusted Sun 09-20, 15", "2026-09-20", 15, "2026-10-16", false},
		{"on adjusted Sat 10-10", "2026-10-10", 1, "2026-10-12", false},
		{"on adjusted Sat 10-10, 15", "2026-10-10", 15, "2026-10-30", false},
		{"n zero on a Sunday", "2026-03-01", 0, "2026-03-01", false},
		{"n zero on a holiday", "2026-10-01", 0, "2026-10-01", false},
		{"n negative", "2026-10-01", -5, "2026-10-01", false},
	})
}

func TestAddWorkingDaysDueOnAdjustedWorkingDay(t *testing.T) {
	runAddCases(t, shippedCN(), []addCase{
		{"15th is 01-04 Sun", "2025-12-11", 15, "2026-01-04", false},
		{"15th is 02-14 Sat", "2026-01-26", 15, "2026-02-14", false},
		{"15th is 02-28 Sat", "2026-02-02", 15, "2026-02-28", false},
		{"15th is 05-09 Sat", "2026-04-15", 15, "2026-05-09", false},
		{"15th is 09-20 Sun", "2026-08-31", 15, "2026-09-20", false},
		{"15th is 10-10 Sat", "2026-09-14", 15, "2026-10-10", false},
		{"next is 09-20 Sun", "2026-09-18", 1, "2026-09-20", false},
		{"next is 10-10 Sat", "2026-10-09", 1, "2026-10-10", false},
		{"4th after labour eve is 05-09", "2026-04-30", 4, "2026-05-09", false},
	})
}

func TestAddWorkingDaysOtherYears(t *testing.T) {
	runAddCases(t, shippedCN(), []addCase{
		// 2020: 01-19 (Sun) worked, spring festival from 01-24.
		{"2020 new year", "2020-01-01", 15, "2020-01-21", false},
		// 2022-12-31 holiday comes from the 2023 notice.
		{"2022 year end", "2022-12-30", 1, "2023-01-03", false},
	})
}

// synthetic2027 is a made-up 2027 notice: it moves 2026-12-31 off, keeps
// 2027-01-01 off, adds 2027-01-04 off and works Saturday 2027-01-09.
func synthetic2027() Schedule {
	return Schedule{Year: 2027, Days: []Day{
		{Name: "元旦", Date: mustDate("2026-12-31"), OffDay: true},
		{Name: "元旦", Date: mustDate("2027-01-01"), OffDay: true},
		{Name: "元旦", Date: mustDate("2027-01-04"), OffDay: true},
		{Name: "元旦", Date: mustDate("2027-01-09"), OffDay: false},
	}}
}

func TestAddWorkingDaysYearBoundary(t *testing.T) {
	shippedOnly := shippedCN()
	runAddCases(t, shippedOnly, []addCase{
		{"stays in 2026", "2026-12-10", 15, "2026-12-31", false},
		{"stays in 2026, 5", "2026-12-24", 5, "2026-12-31", false},
		{"into 2027 skips fixed 01-01", "2026-12-31", 1, "2027-01-04", true},
		{"into 2027 by 2", "2026-12-30", 2, "2027-01-04", true},
		{"into 2027 from 12-11", "2026-12-11", 15, "2027-01-04", true},
		{"into 2027 from 12-15", "2026-12-15", 15, "2027-01-06", true},
		{"into 2027 from 12-31", "2026-12-31", 15, "2027-01-22", true},
		{"n zero at year end", "2026-12-31", 0, "2026-12-31", false},
	})

	with2027 := shippedOnly.With(synthetic2027())
	runAddCases(t, with2027, []addCase{
		{"12-31 now a holiday", "2026-12-10", 15, "2027-01-05", false},
		{"skips 01-01 and 01-04", "2026-12-31", 1, "2027-01-05", false},
		{"into 2027 by 2", "2026-12-30", 2, "2027-01-06", false},
		{"into 2027 from 12-15", "2026-12-15", 15, "2027-01-08", false},
		{"into 2027 from 12-31, Sat 01-09 worked", "2026-12-31", 15, "2027-01-22", false},
	})
	// With is not allowed to change the original.
	runAddCases(t, shippedOnly, []addCase{
		{"original unchanged", "2026-12-15", 15, "2027-01-06", true},
	})
}

func TestAddWorkingDaysWeekdays(t *testing.T) {
	runAddCases(t, Weekdays{}, []addCase{
		{"over national day", "2026-09-30", 1, "2026-10-01", false},
		{"contract example", "2026-09-15", 15, "2026-10-06", false},
		{"Friday", "2026-10-09", 1, "2026-10-12", false},
		{"Saturday receipt", "2026-10-10", 1, "2026-10-12", false},
		{"Sunday receipt", "2026-10-11", 5, "2026-10-16", false},
		{"far future", "2030-12-31", 1, "2031-01-01", false},
	})
}

func TestWeekdaysCalendar(t *testing.T) {
	if got := (Weekdays{}).Name(); got != "weekdays" {
		t.Errorf("Name() = %q", got)
	}
	tests := []struct {
		date string
		want bool
	}{
		{"2026-10-01", true},  // holiday in cn, Thursday
		{"2026-10-10", false}, // adjusted working Saturday in cn
		{"2026-09-20", false}, // adjusted working Sunday in cn
		{"2026-10-12", true},
		{"2035-05-01", true},
		{"1999-01-02", false},
	}
	for _, tt := range tests {
		got, gotProv := Weekdays{}.IsWorkingDay(mustDate(tt.date))
		if got != tt.want || gotProv {
			t.Errorf("Weekdays.IsWorkingDay(%s) = %v, %v; want %v, false", tt.date, got, gotProv, tt.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := shippedCN()
	tests := []struct {
		from, to string
		want     int
		wantProv bool
	}{
		{"2026-09-15", "2026-10-12", 15, false},
		{"2026-09-15", "2026-10-11", 14, false},
		{"2026-09-30", "2026-10-07", 0, false},
		{"2026-09-30", "2026-10-08", 1, false},
		{"2026-10-12", "2026-10-12", 0, false},
		{"2026-10-12", "2026-09-15", 0, false},
		{"2026-12-30", "2026-12-31", 1, false},
		{"2026-12-31", "2027-01-01", 0, true},
		{"2026-12-31", "2027-01-04", 1, true},
		{"2020-01-01", "2026-12-31", 1744, false},
	}
	for _, tt := range tests {
		got, gotProv := WorkingDaysBetween(c, mustDate(tt.from), mustDate(tt.to))
		if got != tt.want || gotProv != tt.wantProv {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, %v; want %d, %v", tt.from, tt.to, got, gotProv, tt.want, tt.wantProv)
		}
	}
}

// TestWorkingDaysBetweenInvertsAdd checks, for every receipt date from 2020
// to 2027, that the due date is a working day, that exactly n working days
// have elapsed at it, and that both functions agree on provisional.
func TestWorkingDaysBetweenInvertsAdd(t *testing.T) {
	for _, c := range []Calendar{shippedCN(), shippedCN().With(synthetic2027()), Weekdays{}} {
		for from := mustDate("2020-01-01"); from.Year <= 2027; from = from.AddDays(1) {
			for n := 0; n <= 30; n++ {
				due, prov := AddWorkingDays(c, from, n)
				got, gotProv := WorkingDaysBetween(c, from, due)
				if got != n || gotProv != prov {
					t.Fatalf("%s: WorkingDaysBetween(%v, AddWorkingDays(%v, %d) = %v, %v) = %d, %v",
						c.Name(), from, from, n, due, prov, got, gotProv)
				}
				if n == 0 {
					continue
				}
				if w, _ := c.IsWorkingDay(due); !w {
					t.Fatalf("%s: AddWorkingDays(%v, %d) = %v, not a working day", c.Name(), from, n, due)
				}
				if got, _ := WorkingDaysBetween(c, from, due.AddDays(-1)); got != n-1 {
					t.Fatalf("%s: due %v for %v+%d is not the first day with %d elapsed", c.Name(), due, from, n, n)
				}
			}
		}
	}
}

// dayByDay hides a calendar's range count, so that WorkingDaysBetween asks it day by day.
type dayByDay struct{ Calendar }

// TestWorkingDaysBetweenCountsAsDayByDay: the calendars' range counts (weekdays of the range, corrected by the
// listed dates and the fixed holidays of unpublished years) answer exactly what asking each day answers, for
// every range of up to 200 days starting from 2019 (no schedule published) through 2028 (none either), with and
// without a year published late, and for long ranges across every year.
func TestWorkingDaysBetweenCountsAsDayByDay(t *testing.T) {
	for _, c := range []Calendar{shippedCN(), shippedCN().With(synthetic2027()), Weekdays{}, &CN{}} {
		if _, ok := c.(rangeCounter); !ok {
			t.Fatalf("%s counts day by day", c.Name())
		}
		check := func(from, to Date) {
			got, gotProv := WorkingDaysBetween(c, from, to)
			want, wantProv := WorkingDaysBetween(dayByDay{c}, from, to)
			if got != want || gotProv != wantProv {
				t.Fatalf("%s: WorkingDaysBetween(%v, %v) = %d, %v; day by day %d, %v", c.Name(), from, to, got, gotProv, want, wantProv)
			}
		}
		for from := mustDate("2019-12-01"); from.Year <= 2028; from = from.AddDays(3) {
			for n := -1; n <= 200; n += 1 + n/20 {
				check(from, from.AddDays(n))
			}
		}
		for from := mustDate("2015-06-30"); from.Year <= 2030; from = from.AddDays(97) {
			check(from, mustDate("2031-01-02"))
		}
	}
}

// neverWorks is a broken calendar used to prove AddWorkingDays terminates.
type neverWorks struct{}

func (neverWorks) Name() string                   { return "never" }
func (neverWorks) IsWorkingDay(Date) (bool, bool) { return false, false }

func TestAddWorkingDaysBrokenCalendarPanics(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "no working day") {
			t.Errorf("recover() = %v; want a panic naming the problem", r)
		}
	}()
	AddWorkingDays(neverWorks{}, mustDate("2026-01-01"), 1)
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c := shippedCN()
	from := mustDate("2026-09-15")
	for b.Loop() {
		AddWorkingDays(c, from, 15)
	}
}
