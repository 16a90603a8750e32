package calendar

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

//go:embed data/cn/*.json
var shippedFS embed.FS

// Limits enforced by ParseSchedule.
const (
	minScheduleYear = 1949
	maxScheduleYear = 9999
	maxScheduleDays = 400
	maxDayNameLen   = 100 // characters (runes)
)

// Day is one entry of a State Council schedule: a holiday (OffDay) or an
// adjusted working day (not OffDay), usually a weekend made a working day.
type Day struct {
	Name   string
	Date   Date
	OffDay bool
}

// Schedule is one published notice year; its Days may include dates of the
// neighbouring years (the 2023 notice lists 2022-12-31).
type Schedule struct {
	Year int
	Days []Day
}

// ScheduleError reports why a schedule was rejected, naming the offending
// field as a path such as "days[3].date" ("" for malformed JSON).
type ScheduleError struct {
	Field   string
	Message string
}

// Error returns the field path and message, fit to show an administrator.
func (e *ScheduleError) Error() string {
	if e.Field == "" {
		return "schedule: " + e.Message
	}
	return "schedule: " + e.Field + ": " + e.Message
}

func schedErr(field, format string, args ...any) error {
	return &ScheduleError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ParseSchedule decodes and validates the holiday-cn JSON shape, so that a
// bad file is rejected with the exact field at fault rather than silently
// moving legal deadlines. Unknown keys ($schema, $id, papers) are ignored;
// every error is a *ScheduleError.
func ParseSchedule(data []byte) (Schedule, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Schedule{}, schedErr("", "malformed JSON: %v", err)
	}
	if top == nil {
		return Schedule{}, schedErr("", "malformed JSON: expected an object")
	}
	var s Schedule
	raw, ok := top["year"]
	if !ok || string(raw) == "null" {
		return Schedule{}, schedErr("year", "is required")
	}
	if err := json.Unmarshal(raw, &s.Year); err != nil {
		return Schedule{}, schedErr("year", "must be an integer")
	}
	if s.Year < minScheduleYear || s.Year > maxScheduleYear {
		return Schedule{}, schedErr("year", "must be between %d and %d, got %d", minScheduleYear, maxScheduleYear, s.Year)
	}
	var rawDays []json.RawMessage
	raw, ok = top["days"]
	if !ok || string(raw) == "null" {
		return Schedule{}, schedErr("days", "is required")
	}
	if err := json.Unmarshal(raw, &rawDays); err != nil {
		return Schedule{}, schedErr("days", "must be an array")
	}
	if len(rawDays) == 0 {
		return Schedule{}, schedErr("days", "must not be empty")
	}
	if len(rawDays) > maxScheduleDays {
		return Schedule{}, schedErr("days", "has %d entries, at most %d allowed", len(rawDays), maxScheduleDays)
	}
	seen := make(map[Date]int, len(rawDays))
	s.Days = make([]Day, 0, len(rawDays))
	for i, r := range rawDays {
		day, err := parseDay(r, "days["+strconv.Itoa(i)+"]", s.Year)
		if err != nil {
			return Schedule{}, err
		}
		if j, dup := seen[day.Date]; dup {
			return Schedule{}, schedErr(fmt.Sprintf("days[%d].date", i), "%s is listed twice (also days[%d])", day.Date, j)
		}
		seen[day.Date] = i
		s.Days = append(s.Days, day)
	}
	return s, nil
}

func parseDay(raw json.RawMessage, field string, year int) (Day, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Day{}, schedErr(field, "must be an object")
	}
	var day Day
	var dateStr string
	fields := []struct {
		key  string
		dst  any
		kind string
	}{
		{"name", &day.Name, "a string"},
		{"date", &dateStr, "a string"},
		{"isOffDay", &day.OffDay, "true or false"},
	}
	for _, f := range fields {
		v, ok := obj[f.key]
		if !ok || string(v) == "null" {
			return Day{}, schedErr(field+"."+f.key, "is required")
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return Day{}, schedErr(field+"."+f.key, "must be %s", f.kind)
		}
	}
	if day.Name == "" {
		return Day{}, schedErr(field+".name", "must not be empty")
	}
	if n := utf8.RuneCountInString(day.Name); n > maxDayNameLen {
		return Day{}, schedErr(field+".name", "is %d characters long, at most %d allowed", n, maxDayNameLen)
	}
	d, err := ParseDate(dateStr)
	if err != nil {
		return Day{}, schedErr(field+".date", "%v", err)
	}
	if d.Year < year-1 || d.Year > year+1 {
		return Day{}, schedErr(field+".date", "%s is outside the years %d to %d", d, year-1, year+1)
	}
	day.Date = d
	return day, nil
}

type jsonDay struct {
	Name     string `json:"name"`
	Date     Date   `json:"date"`
	IsOffDay bool   `json:"isOffDay"`
}

type jsonSchedule struct {
	Year int       `json:"year"`
	Days []jsonDay `json:"days"`
}

// MarshalJSON encodes s in the holiday-cn shape that ParseSchedule reads,
// {"year":..,"days":[{"name","date","isOffDay"}]}, so schedules round-trip.
func (s Schedule) MarshalJSON() ([]byte, error) {
	js := jsonSchedule{Year: s.Year, Days: make([]jsonDay, len(s.Days))}
	for i, d := range s.Days {
		js.Days[i] = jsonDay{Name: d.Name, Date: d.Date, IsOffDay: d.OffDay}
	}
	return json.Marshal(js)
}

// UnmarshalJSON decodes and validates s with ParseSchedule, so that
// json.Unmarshal is as strict as MarshalJSON's shape.
func (s *Schedule) UnmarshalJSON(data []byte) error {
	v, err := ParseSchedule(data)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

func (s Schedule) clone() Schedule {
	return Schedule{Year: s.Year, Days: slices.Clone(s.Days)}
}

// CN is the Chinese working-day calendar built from State Council schedules.
// It is immutable after construction and safe for concurrent use. The zero
// CN has no schedules, so every answer from it is provisional.
type CN struct {
	schedules []Schedule    // one per year, ascending, private copies
	offDay    map[Date]bool // listed dates: true holiday, false adjusted working day
	listed    []Date        // the keys of offDay, in order
	published map[int]bool
}

// NewCN builds a calendar from schedules. A later schedule for the same Year
// replaces an earlier one; days of all schedules are merged by date, and if
// two notices list the same date the later notice year wins.
func NewCN(schedules ...Schedule) *CN {
	byYear := make(map[int]Schedule, len(schedules))
	for _, s := range schedules {
		byYear[s.Year] = s
	}
	c := &CN{
		schedules: make([]Schedule, 0, len(byYear)),
		offDay:    make(map[Date]bool),
		published: make(map[int]bool, len(byYear)),
	}
	for _, y := range slices.Sorted(maps.Keys(byYear)) {
		s := byYear[y].clone()
		c.schedules = append(c.schedules, s)
		c.published[y] = true
		for _, d := range s.Days {
			c.offDay[d.Date.normalized()] = d.OffDay
		}
	}
	c.listed = slices.SortedFunc(maps.Keys(c.offDay), Date.Compare)
	return c
}

// workingDaysBetween counts as IsWorkingDay day by day would, from the weekdays of the range: each listed date
// corrects its weekday's answer, and in a year not published the fixed holidays not listed come off, and any
// date not listed makes the count provisional.
func (c *CN) workingDaysBetween(from, to Date) (n int, provisional bool) {
	n = weekdaysBetween(from, to)
	inRange := func(d Date) bool { return d.After(from) && !d.After(to) }
	for i := c.firstListedAfter(from); i < len(c.listed) && !c.listed[i].After(to); i++ {
		d := c.listed[i]
		if weekday, working := isWeekday(d.Weekday()), !c.offDay[d]; weekday && !working {
			n--
		} else if !weekday && working {
			n++
		}
	}
	for y := from.Year; y <= to.Year; y++ {
		if c.published[y] {
			continue
		}
		first, last := NewDate(y, time.January, 1), NewDate(y, time.December, 31)
		if first.Compare(from) <= 0 {
			first = from.AddDays(1)
		}
		if last.After(to) {
			last = to
		}
		if listed := c.firstListedAfter(last) - c.firstListedAfter(first.AddDays(-1)); int64(listed) < last.days()-first.days()+1 {
			provisional = true
		}
		for _, h := range []Date{NewDate(y, time.January, 1), NewDate(y, time.May, 1), NewDate(y, time.May, 2),
			NewDate(y, time.October, 1), NewDate(y, time.October, 2), NewDate(y, time.October, 3)} {
			if _, isListed := c.offDay[h]; inRange(h) && !isListed && isWeekday(h.Weekday()) {
				n--
			}
		}
	}
	return n, provisional
}

// firstListedAfter is the index in c.listed of the first date after d.
func (c *CN) firstListedAfter(d Date) int {
	i, found := slices.BinarySearchFunc(c.listed, d, Date.Compare)
	if found {
		i++
	}
	return i
}

// Name returns "cn".
func (c *CN) Name() string { return "cn" }

// IsWorkingDay applies the State Council rules: a listed adjusted working day
// works, a listed holiday does not, other dates work Monday to Friday. For an
// unlisted date in an unpublished year the answer is provisional: weekdays
// minus 1 January, 1-2 May and 1-3 October.
func (c *CN) IsWorkingDay(d Date) (working, provisional bool) {
	d = d.normalized()
	if off, ok := c.offDay[d]; ok {
		return !off, false
	}
	working = isWeekday(d.Weekday())
	if c.published[d.Year] {
		return working, false
	}
	return working && !fixedHoliday(d), true
}

// fixedHoliday reports the fixed-date statutory holidays assumed for years
// whose schedule is not yet published.
func fixedHoliday(d Date) bool {
	switch d.Month {
	case time.January:
		return d.Day == 1
	case time.May:
		return d.Day <= 2
	case time.October:
		return d.Day <= 3
	}
	return false
}

// Years returns the published years in ascending order.
func (c *CN) Years() []int {
	ys := make([]int, len(c.schedules))
	for i, s := range c.schedules {
		ys[i] = s.Year
	}
	return ys
}

// Published reports whether the schedule for year is loaded, i.e. whether
// unlisted dates of that year are answered definitively.
func (c *CN) Published(year int) bool { return c.published[year] }

// Schedules returns copies of the schedules c was built from, one per year,
// ascending, e.g. to show or persist them.
func (c *CN) Schedules() []Schedule {
	out := make([]Schedule, len(c.schedules))
	for i, s := range c.schedules {
		out[i] = s.clone()
	}
	return out
}

// With returns a new CN with s added, or replacing the schedule of its year,
// e.g. when next year's notice is published; c itself is unchanged.
func (c *CN) With(s Schedule) *CN {
	return NewCN(append(c.Schedules(), s)...)
}

var shipped = sync.OnceValue(func() []Schedule {
	names, err := shippedFS.ReadDir("data/cn")
	if err != nil {
		panic("calendar: embedded schedules: " + err.Error())
	}
	var out []Schedule
	for _, e := range names {
		if path.Ext(e.Name()) != ".json" {
			continue
		}
		data, err := shippedFS.ReadFile("data/cn/" + e.Name())
		if err != nil {
			panic("calendar: embedded schedule " + e.Name() + ": " + err.Error())
		}
		s, err := ParseSchedule(data)
		if err != nil {
			panic("calendar: embedded schedule " + e.Name() + ": " + err.Error())
		}
		if want := strconv.Itoa(s.Year) + ".json"; e.Name() != want {
			panic("calendar: embedded schedule " + e.Name() + " is for year " + strconv.Itoa(s.Year))
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Schedule) int { return cmpInt(a.Year, b.Year) })
	return out
})

// ShippedSchedules returns copies of the schedules embedded in the binary
// (2020-2026 today), ascending by year. It panics only if the embedded data is
// corrupt, which the package tests rule out.
func ShippedSchedules() []Schedule {
	src := shipped()
	out := make([]Schedule, len(src))
	for i, s := range src {
		out[i] = s.clone()
	}
	return out
}
