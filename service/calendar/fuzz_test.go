package calendar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// FuzzCalendarYear: ParseSchedule never panics, refuses with a *ScheduleError only, accepts only schedules
// within its documented limits, and what it accepts round-trips through MarshalJSON to an equal value (and
// to the same bytes again).
func FuzzCalendarYear(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("data", "cn", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("shipped schedules: %v, %d files", err, len(files))
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	day := func(name, date, off string) string {
		return `{"name":` + name + `,"date":` + date + `,"isOffDay":` + off + `}`
	}
	doc := func(year string, days ...string) string {
		return `{"year":` + year + `,"days":[` + strings.Join(days, ",") + `]}`
	}
	ok := day(`"元旦"`, `"2027-01-01"`, "true")
	for _, s := range []string{
		doc("2027", ok),
		doc("2027", ok, day(`"元旦"`, `"2027-01-09"`, "false"), day(`"跨年"`, `"2026-12-31"`, "true"), day(`"x"`, `"2028-01-01"`, "false")),
		`{"$schema":"s","$id":"i","papers":["p"],"year":2027,"days":[` + ok + `],"year":2027}`, // duplicate key
		doc("1949", day(`"a"`, `"1948-12-31"`, "true")),
		doc("9999", day(`"a"`, `"9999-12-31"`, "true")),
		doc("2027.0", ok), doc("2.027e3", ok), doc("1e309", ok), doc("-2027", ok), doc(`"2027"`, ok),
		doc("2027", day(`"\u0000"`, `"2027-01-01"`, "true")),
		doc("2027", day(`"\ud800\udc00\ud800"`, `"2027-01-01"`, "true")),
		doc("2027", day(`"`+"\xff\xfe"+`"`, `"2027-01-01"`, "true")),
		doc("2027", day(`"<b>&amp;</b>\u2028"`, `"2027-01-01"`, "true")),
		doc("2027", day(`"`+strings.Repeat("节", 100)+`"`, `"2027-01-01"`, "true")),
		doc("2027", day(`"x"`, `"2027-02-29"`, "true")),
		doc("2028", day(`"x"`, `"2028-02-29"`, "true")),
		doc("2027", day(`"x"`, `"+027-01-01"`, "true")),
		doc("2027", day(`"x"`, `"2027-1-01"`, "true")),
		doc("2027", ok, ok),
		doc("2027", day(`"x"`, `"2027-01-01"`, "1")),
		doc("2027"), `{"year":2027}`, `{"year":2027,"days":null}`, `null`, `[]`, `{`, ``, "\x00",
		doc("2027", strings.Repeat("[", 1000)+strings.Repeat("]", 1000)),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := calendar.ParseSchedule(data)
		if err != nil {
			var se *calendar.ScheduleError
			if !errors.As(err, &se) || se.Error() == "" {
				t.Fatalf("ParseSchedule(%q) error = %v (%T); want a *ScheduleError", data, err, err)
			}
			return
		}
		checkLimits(t, data, s)
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("ParseSchedule(%q) = %+v, which MarshalJSON refuses: %v", data, s, err)
		}
		again, err := calendar.ParseSchedule(out)
		if err != nil {
			t.Fatalf("ParseSchedule(%q) = %+v, whose MarshalJSON %s ParseSchedule refuses: %v", data, s, out, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("ParseSchedule(%q) = %+v; through MarshalJSON %s it becomes %+v", data, s, out, again)
		}
		var viaJSON calendar.Schedule
		if err := json.Unmarshal(out, &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, s) {
			t.Fatalf("json.Unmarshal(%s) = %+v, %v; want %+v", out, viaJSON, err, s)
		}
		if out2, err := again.MarshalJSON(); err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("MarshalJSON is not stable: %s then %s (%v)", out, out2, err)
		}
	})
}

// checkLimits fails the test unless an accepted schedule is within the limits ParseSchedule documents.
func checkLimits(t *testing.T, data []byte, s calendar.Schedule) {
	t.Helper()
	if s.Year < 1949 || s.Year > 9999 || len(s.Days) == 0 || len(s.Days) > 400 {
		t.Fatalf("ParseSchedule(%q) accepted year %d with %d days", data, s.Year, len(s.Days))
	}
	seen := map[calendar.Date]bool{}
	for i, d := range s.Days {
		if d.Name == "" || !utf8.ValidString(d.Name) || utf8.RuneCountInString(d.Name) > 100 {
			t.Fatalf("ParseSchedule(%q) accepted days[%d].name %q", data, i, d.Name)
		}
		if p, err := calendar.ParseDate(d.Date.String()); err != nil || p != d.Date {
			t.Fatalf("ParseSchedule(%q) accepted days[%d].date %+v, not a normalised date", data, i, d.Date)
		}
		if d.Date.Year < s.Year-1 || d.Date.Year > s.Year+1 || seen[d.Date] {
			t.Fatalf("ParseSchedule(%q) accepted days[%d].date %s (year %d, duplicate %t)", data, i, d.Date, s.Year, seen[d.Date])
		}
		seen[d.Date] = true
	}
}
