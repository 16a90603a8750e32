package service

import (
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// dayBuckets gives whole days to a zone of one offset and quarter hours to a zone with summer time, and each
// bucket's date is the date of its instants in the zone.
func TestDayBuckets(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tests := []struct {
		zone    string
		seconds int64
	}{
		{"Asia/Shanghai", 86400},
		{"UTC", 86400},
		{"Europe/Brussels", 900},
		{"America/Los_Angeles", 900},
		{"Asia/Kolkata", 86400}, // +05:30: whole days still, shifted by a half hour
	}
	from := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		loc := load(tt.zone)
		b, toDate := dayBuckets(loc, from, to)
		if b.Seconds != tt.seconds {
			t.Errorf("%s: bucket of %d seconds, want %d", tt.zone, b.Seconds, tt.seconds)
		}
		// Every quarter hour around midnight and both summer-time changes of 2026 in Europe and America.
		for _, day := range []time.Time{time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)} {
			for q := -96; q < 96; q++ {
				at := day.Add(time.Duration(q) * 15 * time.Minute)
				bucket := (at.Unix() + b.Offset) / b.Seconds
				if got, want := toDate(bucket), calendar.DateOf(at.In(loc)); got != want {
					t.Fatalf("%s: %s falls in bucket %d of %s, want %s", tt.zone, at, bucket, got, want)
				}
			}
		}
	}
}
