package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Date is a civil date (no time, no zone). Legal deadlines count calendar
// days, so a plain comparable value avoids time-zone and DST mistakes and can
// be used as a map key. Construct it with NewDate, ParseDate or DateOf so that
// it is normalised; the zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date for year, month and day, normalising out-of-range
// values exactly like time.Date (2026-02-30 becomes 2026-03-02).
func NewDate(year int, month time.Month, day int) Date {
	m0 := int(month) - 1
	year += floorDiv(m0, 12)
	month = time.Month(m0-floorDiv(m0, 12)*12) + 1
	return fromDays(daysFromCivil(year, month, 1) + int64(day) - 1)
}

// ParseDate parses a strict "YYYY-MM-DD" date, the only form accepted from
// users and data files; the error message is fit to show a user.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("invalid date %q: use the form YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("invalid date %q: use the form YYYY-MM-DD", s)
	}
	if m < 1 || m > 12 {
		return Date{}, fmt.Errorf("invalid date %q: month must be 01 to 12", s)
	}
	if d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, fmt.Errorf("invalid date %q: %s %d has no day %d", s, time.Month(m), y, d)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// DateOf returns the civil date of t in t's own location, so callers decide
// the zone (e.g. the date a request was received in Asia/Shanghai).
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as "YYYY-MM-DD", the form used in notices and APIs.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date, which stands for "no date".
func (d Date) IsZero() bool {
	return d == Date{}
}

// AddDays returns d moved by n calendar days (n may be negative).
func (d Date) AddDays(n int) Date {
	return fromDays(d.days() + int64(n))
}

// Weekday returns the day of the week of d, the basis of every working-day rule.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday(floorMod64(d.days()+int64(time.Thursday), 7))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o, for
// sorting and range checks.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Start returns 00:00:00 of d in loc (nil means UTC), the instant a
// period beginning on d starts.
func (d Date) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// EndOfDay returns 23:59:59 of d in loc (nil means UTC), with no
// nanoseconds, the last displayable instant a deadline on d is still met.
func (d Date) EndOfDay(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, loc)
}

// MarshalText encodes d as "YYYY-MM-DD" for JSON and text formats; the zero
// Date encodes as "" and an invalid or unrepresentable Date is an error.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if d.Year < 0 || d.Year > 9999 || !d.valid() {
		return nil, errors.New("calendar: cannot encode invalid date " + d.String())
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes a strict "YYYY-MM-DD" date; "" decodes to the zero
// Date so that MarshalText and UnmarshalText round-trip.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// valid reports whether d is already normalised.
func (d Date) valid() bool {
	return d.Month >= time.January && d.Month <= time.December &&
		d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// normalized returns d normalised, cheaply when it already is.
func (d Date) normalized() Date {
	if d.valid() {
		return d
	}
	return NewDate(d.Year, d.Month, d.Day)
}

// days returns the number of days since 1970-01-01 (negative before).
func (d Date) days() int64 {
	if d.valid() {
		return daysFromCivil(d.Year, d.Month, d.Day)
	}
	n := NewDate(d.Year, d.Month, d.Day)
	return daysFromCivil(n.Year, n.Month, n.Day)
}

// daysFromCivil converts a proleptic Gregorian date (month 1..12, day may be
// out of range) to days since 1970-01-01. Algorithm by Howard Hinnant.
func daysFromCivil(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv64(yy, 400)
	yoe := yy - era*400
	mp := int64(m) + 9
	if m > 2 {
		mp = int64(m) - 3
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fromDays is the inverse of daysFromCivil.
func fromDays(z int64) Date {
	z += 719468
	era := floorDiv64(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return Date{Year: int(y), Month: time.Month(m), Day: int(d)}
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	default:
		return 31
	}
}

// digits parses an all-ASCII-digit string.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod64(a, b int64) int64 {
	return a - floorDiv64(a, b)*b
}
