package calendar

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// mustDate parses a "YYYY-MM-DD" literal in tests.
func mustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr string // substring; "" means success
	}{
		{"2026-10-12", Date{2026, time.October, 12}, ""},
		{"2024-02-29", Date{2024, time.February, 29}, ""},
		{"2000-02-29", Date{2000, time.February, 29}, ""},
		{"9999-12-31", Date{9999, time.December, 31}, ""},
		{"2026-02-29", Date{}, "has no day 29"},
		{"1900-02-29", Date{}, "has no day 29"},
		{"2026-04-31", Date{}, "has no day 31"},
		{"2026-00-10", Date{}, "month must be 01 to 12"},
		{"2026-13-01", Date{}, "month must be 01 to 12"},
		{"2026-01-00", Date{}, "has no day 0"},
		{"2026-1-05", Date{}, "YYYY-MM-DD"},
		{"2026-01-5", Date{}, "YYYY-MM-DD"},
		{"26-01-05", Date{}, "YYYY-MM-DD"},
		{"2026/01/05", Date{}, "YYYY-MM-DD"},
		{" 2026-01-05", Date{}, "YYYY-MM-DD"},
		{"2026-01-05 ", Date{}, "YYYY-MM-DD"},
		{"2026-01-05T00:00:00Z", Date{}, "YYYY-MM-DD"},
		{"+026-01-05", Date{}, "YYYY-MM-DD"},
		{"2026-+1-05", Date{}, "YYYY-MM-DD"},
		{"２０２６-01-05", Date{}, "YYYY-MM-DD"},
		{"", Date{}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseDate(%q) = %v, nil; want error containing %q", tt.in, got, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseDate(%q) error = %v; want containing %q", tt.in, err, tt.wantErr)
		}
		if !strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseDate(%q) error %q does not quote the input", tt.in, err)
		}
	}
}

func TestDateStringRoundTrip(t *testing.T) {
	for _, s := range []string{"0001-01-01", "1949-10-01", "2026-01-04", "2026-12-31", "9999-12-31"} {
		got := mustDate(s).String()
		if got != s {
			t.Errorf("ParseDate(%q).String() = %q", s, got)
		}
	}
}

func TestNewDateMatchesTimeDate(t *testing.T) {
	for y := -401; y <= 2401; y += 7 {
		for m := time.Month(-13); m <= 26; m += 3 {
			for day := -40; day <= 70; day += 11 {
				got := NewDate(y, m, day)
				want := DateOf(time.Date(y, m, day, 12, 0, 0, 0, time.UTC))
				if got != want {
					t.Fatalf("NewDate(%d, %d, %d) = %v; want %v", y, m, day, got, want)
				}
			}
		}
	}
}

func TestAddDaysAndWeekday(t *testing.T) {
	start := time.Date(2019, time.December, 25, 0, 0, 0, 0, time.UTC)
	base := DateOf(start)
	for n := -800; n <= 3200; n++ {
		tm := start.AddDate(0, 0, n)
		got := base.AddDays(n)
		if want := DateOf(tm); got != want {
			t.Fatalf("%v.AddDays(%d) = %v; want %v", base, n, got, want)
		}
		if got, want := got.Weekday(), tm.Weekday(); got != want {
			t.Fatalf("%v.Weekday() = %v; want %v", base.AddDays(n), got, want)
		}
	}
}

func TestWeekdayKnown(t *testing.T) {
	tests := []struct {
		date string
		want time.Weekday
	}{
		{"1970-01-01", time.Thursday},
		{"1969-12-31", time.Wednesday},
		{"2026-01-04", time.Sunday},
		{"2026-10-10", time.Saturday},
		{"2026-10-12", time.Monday},
		{"2027-01-01", time.Friday},
	}
	for _, tt := range tests {
		if got := mustDate(tt.date).Weekday(); got != tt.want {
			t.Errorf("%s.Weekday() = %v; want %v", tt.date, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-10-12", "2026-10-12", 0},
		{"2026-10-11", "2026-10-12", -1},
		{"2026-10-12", "2026-09-30", 1},
		{"2025-12-31", "2026-01-01", -1},
		{"2027-01-01", "2026-12-31", 1},
	}
	for _, tt := range tests {
		a, b := mustDate(tt.a), mustDate(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
		if got, want := a.Before(b), tt.want < 0; got != want {
			t.Errorf("%s.Before(%s) = %v; want %v", tt.a, tt.b, got, want)
		}
		if got, want := a.After(b), tt.want > 0; got != want {
			t.Errorf("%s.After(%s) = %v; want %v", tt.a, tt.b, got, want)
		}
	}
}

func TestIsZero(t *testing.T) {
	if !(Date{}).IsZero() {
		t.Error("Date{}.IsZero() = false")
	}
	if mustDate("0001-01-01").IsZero() {
		t.Error("0001-01-01 IsZero() = true")
	}
}

func TestDateOfUsesOwnLocation(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 2026-09-30 20:00 UTC is already 1 October in Shanghai.
	instant := time.Date(2026, time.September, 30, 20, 0, 0, 0, time.UTC)
	if got, want := DateOf(instant), mustDate("2026-09-30"); got != want {
		t.Errorf("DateOf(UTC) = %v; want %v", got, want)
	}
	if got, want := DateOf(instant.In(sh)), mustDate("2026-10-01"); got != want {
		t.Errorf("DateOf(Shanghai) = %v; want %v", got, want)
	}
}

func TestStartAndEndOfDay(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	d := mustDate("2026-10-12")
	if got, want := d.EndOfDay(sh).Format(time.RFC3339Nano), "2026-10-12T23:59:59+08:00"; got != want {
		t.Errorf("EndOfDay(Shanghai) = %s; want %s", got, want)
	}
	if got, want := d.Start(sh).Format(time.RFC3339Nano), "2026-10-12T00:00:00+08:00"; got != want {
		t.Errorf("Start(Shanghai) = %s; want %s", got, want)
	}
	if got, want := d.EndOfDay(nil).Format(time.RFC3339Nano), "2026-10-12T23:59:59Z"; got != want {
		t.Errorf("EndOfDay(nil) = %s; want %s", got, want)
	}
	if got := d.EndOfDay(sh).Nanosecond(); got != 0 {
		t.Errorf("EndOfDay nanoseconds = %d; want 0", got)
	}
}

func TestDateText(t *testing.T) {
	type rec struct {
		Due Date `json:"due"`
	}
	b, err := json.Marshal(rec{Due: mustDate("2026-10-12")})
	if got, want := string(b), `{"due":"2026-10-12"}`; err != nil || got != want {
		t.Fatalf("Marshal = %s, %v; want %s", got, err, want)
	}
	var r rec
	if err := json.Unmarshal(b, &r); err != nil || r.Due != mustDate("2026-10-12") {
		t.Fatalf("Unmarshal = %v, %v", r.Due, err)
	}
	b, err = json.Marshal(rec{})
	if got, want := string(b), `{"due":""}`; err != nil || got != want {
		t.Fatalf("Marshal(zero) = %s, %v; want %s", got, err, want)
	}
	r = rec{Due: mustDate("2026-01-01")}
	if err := json.Unmarshal(b, &r); err != nil || !r.Due.IsZero() {
		t.Fatalf("Unmarshal(zero) = %v, %v", r.Due, err)
	}
	if err := json.Unmarshal([]byte(`{"due":"2026-02-30"}`), &r); err == nil {
		t.Error("Unmarshal(2026-02-30) succeeded")
	}
	if _, err := (Date{2026, time.February, 30}).MarshalText(); err == nil {
		t.Error("MarshalText(2026-02-30) succeeded")
	}
	if _, err := (Date{10000, time.January, 1}).MarshalText(); err == nil {
		t.Error("MarshalText(10000-01-01) succeeded")
	}
}
