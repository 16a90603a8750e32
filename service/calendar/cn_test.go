package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestShippedSchedulesParse(t *testing.T) {
	files, err := filepath.Glob("data/cn/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("Glob = %v, %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSchedule(data)
		if err != nil {
			t.Errorf("ParseSchedule(%s): %v", f, err)
			continue
		}
		if got, want := fmt.Sprintf("data/cn/%d.json", s.Year), filepath.ToSlash(f); got != want {
			t.Errorf("%s holds year %d", f, s.Year)
		}
	}
	if _, err := os.Stat("data/cn/LICENSE"); err != nil {
		t.Errorf("holiday-cn LICENSE missing: %v", err)
	}

	shipped := ShippedSchedules() // must not panic
	var got []int
	for _, s := range shipped {
		got = append(got, s.Year)
	}
	if want := []int{2020, 2021, 2022, 2023, 2024, 2025, 2026}; !slices.Equal(got, want) {
		t.Errorf("shipped years = %v; want %v", got, want)
	}
	if got, want := len(shipped[len(shipped)-1].Days), 39; got != want {
		t.Errorf("2026 has %d days; want %d", got, want)
	}
}

func TestCNIsWorkingDay2026(t *testing.T) {
	c := shippedCN()
	working := map[string]bool{
		"2026-01-04": true, "2026-02-14": true, "2026-02-28": true,
		"2026-05-09": true, "2026-09-20": true, "2026-10-10": true,
	}
	holidays := []string{
		"2026-01-01", "2026-01-03",
		"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
		"2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
		"2026-04-04", "2026-04-05", "2026-04-06",
		"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
		"2026-06-19", "2026-06-20", "2026-06-21",
		"2026-09-25", "2026-09-26", "2026-09-27",
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
	}
	for _, h := range holidays {
		working[h] = false
	}
	// Unlisted dates follow Monday-Friday.
	working["2026-10-08"] = true  // Thursday
	working["2026-10-11"] = false // Sunday
	working["2026-03-07"] = false // Saturday
	working["2026-12-31"] = true  // Thursday
	for date, want := range working {
		got, gotProv := c.IsWorkingDay(mustDate(date))
		if got != want || gotProv {
			t.Errorf("IsWorkingDay(%s) = %v, %v; want %v, false", date, got, gotProv, want)
		}
	}
}

func TestCNProvisional(t *testing.T) {
	c := shippedCN()
	tests := []struct {
		date     string
		want     bool
		wantProv bool
	}{
		{"2027-01-01", false, true}, // Friday, fixed New Year
		{"2027-01-04", true, true},
		{"2027-05-01", false, true}, // Saturday anyway
		{"2028-05-01", false, true}, // Monday, fixed
		{"2028-05-02", false, true}, // Tuesday, fixed
		{"2028-05-03", true, true},  // Wednesday, not fixed
		{"2027-10-01", false, true}, // Friday, fixed
		{"2030-10-03", false, true}, // Thursday, fixed
		{"2030-10-04", true, true},  // Friday, not fixed
		{"2027-01-09", false, true}, // Saturday
		{"2019-10-01", false, true}, // before the shipped data
		{"2019-10-08", true, true},
		{"2026-10-09", true, false}, // published year, unlisted
	}
	for _, tt := range tests {
		got, gotProv := c.IsWorkingDay(mustDate(tt.date))
		if got != tt.want || gotProv != tt.wantProv {
			t.Errorf("IsWorkingDay(%s) = %v, %v; want %v, %v", tt.date, got, gotProv, tt.want, tt.wantProv)
		}
	}
}

func TestCNCrossYearEntry(t *testing.T) {
	s2023 := findShipped(t, 2023)
	if !slices.ContainsFunc(s2023.Days, func(d Day) bool { return d.Date == mustDate("2022-12-31") && d.OffDay }) {
		t.Fatal("2023 schedule does not list 2022-12-31 as a holiday")
	}
	// Only the 2023 notice loaded: 2022 is unpublished, yet 2022-12-31 is listed.
	only2023 := NewCN(s2023)
	tests := []struct {
		date     string
		want     bool
		wantProv bool
	}{
		{"2022-12-31", false, false},
		{"2022-12-30", true, true},
		{"2023-01-02", false, false},
	}
	for _, tt := range tests {
		got, gotProv := only2023.IsWorkingDay(mustDate(tt.date))
		if got != tt.want || gotProv != tt.wantProv {
			t.Errorf("IsWorkingDay(%s) = %v, %v; want %v, %v", tt.date, got, gotProv, tt.want, tt.wantProv)
		}
	}
	if got, gotProv := shippedCN().IsWorkingDay(mustDate("2022-12-31")); got || gotProv {
		t.Errorf("shipped IsWorkingDay(2022-12-31) = %v, %v; want false, false", got, gotProv)
	}
	// A weekday listed for the previous year by a later notice wins too.
	c := NewCN(Schedule{Year: 2027, Days: []Day{{Name: "元旦", Date: mustDate("2026-12-31"), OffDay: true}}})
	if got, gotProv := c.IsWorkingDay(mustDate("2026-12-31")); got || gotProv {
		t.Errorf("IsWorkingDay(2026-12-31) = %v, %v; want false, false", got, gotProv)
	}
}

func findShipped(t *testing.T, year int) Schedule {
	t.Helper()
	for _, s := range ShippedSchedules() {
		if s.Year == year {
			return s
		}
	}
	t.Fatalf("no shipped schedule for %d", year)
	return Schedule{}
}

func TestCNYearsAndWith(t *testing.T) {
	c := shippedCN()
	if got := c.Name(); got != "cn" {
		t.Errorf("Name() = %q", got)
	}
	if got, want := c.Years(), []int{2020, 2021, 2022, 2023, 2024, 2025, 2026}; !slices.Equal(got, want) {
		t.Errorf("Years() = %v; want %v", got, want)
	}
	if !c.Published(2026) || c.Published(2027) || c.Published(2019) {
		t.Errorf("Published(2026, 2027, 2019) = %v, %v, %v", c.Published(2026), c.Published(2027), c.Published(2019))
	}

	c2 := c.With(synthetic2027())
	if got, want := c2.Years(), []int{2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027}; !slices.Equal(got, want) {
		t.Errorf("With(2027).Years() = %v; want %v", got, want)
	}
	if c.Published(2027) {
		t.Error("With changed the receiver")
	}

	// Replacing 2026 with a schedule that drops the national day holidays.
	c3 := c2.With(Schedule{Year: 2026, Days: []Day{{Name: "测试", Date: mustDate("2026-10-17"), OffDay: false}}})
	tests := []struct {
		date string
		want bool
	}{
		{"2026-10-01", true},  // no longer listed
		{"2026-10-10", false}, // no longer listed, Saturday
		{"2026-10-17", true},  // new adjusted working Saturday
		{"2026-12-31", false}, // still listed by the 2027 notice
	}
	for _, tt := range tests {
		got, gotProv := c3.IsWorkingDay(mustDate(tt.date))
		if got != tt.want || gotProv {
			t.Errorf("replaced IsWorkingDay(%s) = %v, %v; want %v, false", tt.date, got, gotProv, tt.want)
		}
	}
	if got := len(c3.Schedules()); got != 8 {
		t.Errorf("len(Schedules()) = %d; want 8", got)
	}
}

func TestNewCNLaterSameYearWins(t *testing.T) {
	a := Schedule{Year: 2030, Days: []Day{{Name: "a", Date: mustDate("2030-01-01"), OffDay: true}}}
	b := Schedule{Year: 2030, Days: []Day{{Name: "b", Date: mustDate("2030-01-02"), OffDay: true}}}
	c := NewCN(a, b)
	if got, _ := c.IsWorkingDay(mustDate("2030-01-01")); !got {
		t.Error("2030-01-01 from the replaced schedule still a holiday")
	}
	if got, _ := c.IsWorkingDay(mustDate("2030-01-02")); got {
		t.Error("2030-01-02 from the later schedule is not a holiday")
	}
	if got := c.Schedules(); len(got) != 1 || got[0].Days[0].Name != "b" {
		t.Errorf("Schedules() = %v; want only b", got)
	}
}

func TestCNIsImmutable(t *testing.T) {
	s := Schedule{Year: 2030, Days: []Day{{Name: "x", Date: mustDate("2030-01-01"), OffDay: true}}}
	c := NewCN(s)
	s.Days[0].OffDay = false
	c.Schedules()[0].Days[0].OffDay = false
	ShippedSchedules()[0].Days[0].OffDay = !ShippedSchedules()[0].Days[0].OffDay
	if got, _ := c.IsWorkingDay(mustDate("2030-01-01")); got {
		t.Error("mutating inputs or outputs changed the calendar")
	}
	if got := c.Schedules()[0].Days[0].OffDay; !got {
		t.Error("mutating Schedules() changed the stored schedule")
	}
	if got, _ := shippedCN().IsWorkingDay(mustDate("2020-01-01")); got {
		t.Error("mutating ShippedSchedules() changed the shipped data")
	}
}

func TestCNConcurrentUse(t *testing.T) {
	c := shippedCN()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, _ := AddWorkingDays(c, mustDate("2026-09-15"), 15); got != mustDate("2026-10-12") {
				t.Errorf("concurrent AddWorkingDays = %v", got)
			}
		})
	}
	wg.Wait()
}

func TestZeroCNIsProvisional(t *testing.T) {
	var c CN
	if got, gotProv := c.IsWorkingDay(mustDate("2026-10-01")); got || !gotProv {
		t.Errorf("zero CN IsWorkingDay(2026-10-01) = %v, %v; want false, true", got, gotProv)
	}
}

func TestScheduleJSONRoundTrip(t *testing.T) {
	for _, s := range ShippedSchedules() {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(%d): %v", s.Year, err)
		}
		got, err := ParseSchedule(data)
		if err != nil || got.Year != s.Year || !slices.Equal(got.Days, s.Days) {
			t.Errorf("round trip %d = %v, %v", s.Year, got.Year, err)
		}
		var viaUnmarshal Schedule
		if err := json.Unmarshal(data, &viaUnmarshal); err != nil || !slices.Equal(viaUnmarshal.Days, s.Days) {
			t.Errorf("json.Unmarshal %d: %v", s.Year, err)
		}
	}
	s := Schedule{Year: 2030, Days: []Day{{Name: "元旦", Date: mustDate("2030-01-01"), OffDay: true}}}
	data, err := json.Marshal(s)
	want := `{"year":2030,"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}`
	if got := string(data); err != nil || got != want {
		t.Errorf("Marshal = %s, %v; want %s", got, err, want)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	day := func(name, date, off string) string {
		return `{"name":` + name + `,"date":` + date + `,"isOffDay":` + off + `}`
	}
	ok := day(`"元旦"`, `"2026-01-01"`, "true")
	ok2 := day(`"元旦"`, `"2026-01-02"`, "true")
	doc := func(year string, days ...string) string {
		return `{"year":` + year + `,"days":[` + strings.Join(days, ",") + `]}`
	}
	many := make([]string, 401)
	for i := range many {
		many[i] = day(`"d"`, `"`+mustDate("2025-06-01").AddDays(i).String()+`"`, "true")
	}
	tests := []struct {
		name      string
		in        string
		wantField string
		wantMsg   string
	}{
		{"not JSON", `{"year":`, "", "malformed JSON"},
		{"trailing garbage", doc("2026", ok) + "x", "", "malformed JSON"},
		{"array", `[]`, "", "malformed JSON"},
		{"null", `null`, "", "expected an object"},
		{"missing year", `{"days":[` + ok + `]}`, "year", "required"},
		{"null year", doc("null", ok), "year", "required"},
		{"string year", doc(`"2026"`, ok), "year", "integer"},
		{"fractional year", doc("2026.5", ok), "year", "integer"},
		{"year too small", doc("1948", ok), "year", "between 1949 and 9999"},
		{"year too large", doc("10000", ok), "year", "between 1949 and 9999"},
		{"missing days", `{"year":2026}`, "days", "required"},
		{"days object", `{"year":2026,"days":{}}`, "days", "array"},
		{"empty days", doc("2026"), "days", "must not be empty"},
		{"too many days", doc("2026", many...), "days", "at most 400"},
		{"day not object", doc("2026", ok, `"x"`), "days[1]", "object"},
		{"day null", doc("2026", ok, `null`), "days[1]", "object"},
		{"missing name", doc("2026", ok, `{"date":"2026-01-02","isOffDay":true}`), "days[1].name", "required"},
		{"name number", doc("2026", day("1", `"2026-01-02"`, "true")), "days[0].name", "string"},
		{"empty name", doc("2026", day(`""`, `"2026-01-02"`, "true")), "days[0].name", "empty"},
		{"long name", doc("2026", day(`"`+strings.Repeat("节", 101)+`"`, `"2026-01-02"`, "true")), "days[0].name", "at most 100"},
		{"missing date", doc("2026", ok, ok2, `{"name":"x","isOffDay":true}`), "days[2].date", "required"},
		{"bad date", doc("2026", ok, ok2, day(`"x"`, `"2026-02-30"`, "true")), "days[2].date", "no day 30"},
		{"date form", doc("2026", day(`"x"`, `"2026/01/02"`, "true")), "days[0].date", "YYYY-MM-DD"},
		{"date before range", doc("2026", day(`"x"`, `"2024-12-31"`, "true")), "days[0].date", "outside the years 2025 to 2027"},
		{"date after range", doc("2026", day(`"x"`, `"2028-01-01"`, "true")), "days[0].date", "outside"},
		{"duplicate date", doc("2026", ok, day(`"x"`, `"2026-01-02"`, "true"), day(`"y"`, `"2026-01-01"`, "false")), "days[2].date", "listed twice (also days[0])"},
		{"missing isOffDay", doc("2026", `{"name":"x","date":"2026-01-02"}`), "days[0].isOffDay", "required"},
		{"string isOffDay", doc("2026", day(`"x"`, `"2026-01-02"`, `"true"`)), "days[0].isOffDay", "true or false"},
		{"null isOffDay", doc("2026", day(`"x"`, `"2026-01-02"`, `null`)), "days[0].isOffDay", "required"},
	}
	for _, tt := range tests {
		_, err := ParseSchedule([]byte(tt.in))
		var se *ScheduleError
		if !errors.As(err, &se) {
			t.Errorf("%s: error = %v (%T); want *ScheduleError", tt.name, err, err)
			continue
		}
		if se.Field != tt.wantField || !strings.Contains(se.Message, tt.wantMsg) {
			t.Errorf("%s: error = {%q, %q}; want field %q, message containing %q", tt.name, se.Field, se.Message, tt.wantField, tt.wantMsg)
		}
		if tt.wantField != "" && !strings.Contains(se.Error(), tt.wantField+": ") {
			t.Errorf("%s: Error() = %q does not name the field", tt.name, se.Error())
		}
	}
}

func TestParseScheduleAcceptsExtraKeys(t *testing.T) {
	in := `{"$schema":"s","$id":"i","year":2026,"papers":["p"],"days":[
		{"name":"国庆节","date":"2026-10-01","isOffDay":true,"note":"x"},
		{"name":"国庆节","date":"2026-10-10","isOffDay":false}]}`
	got, err := ParseSchedule([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{Year: 2026, Days: []Day{
		{Name: "国庆节", Date: mustDate("2026-10-01"), OffDay: true},
		{Name: "国庆节", Date: mustDate("2026-10-10"), OffDay: false},
	}}
	if got.Year != want.Year || !slices.Equal(got.Days, want.Days) {
		t.Errorf("ParseSchedule = %+v; want %+v", got, want)
	}
	// A name of exactly 100 characters is allowed.
	in = `{"year":2026,"days":[{"name":"` + strings.Repeat("节", 100) + `","date":"2026-10-01","isOffDay":true}]}`
	if _, err := ParseSchedule([]byte(in)); err != nil {
		t.Errorf("100-character name rejected: %v", err)
	}
}
