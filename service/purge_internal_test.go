package service

import (
	"testing"
	"time"
)

// weekly is the contract's example schedule: Sundays at 03:00 UTC.
const weekly = "0 3 * * 0"

// deletedAt is a Wednesday: the next Sundays are 18 and 25 October, 1 and 8 November 2026.
var deletedAt = time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)

func utcAt(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

// sundays returns n weekly snapshot times at 03:00 UTC, the first on first.
func sundays(first time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = first.AddDate(0, 0, 7*i)
	}
	return out
}

func TestPurgedAt(t *testing.T) {
	before := utcAt(2026, 10, 11, 3) // the Sunday before the deletion
	tests := []struct {
		name        string
		generations int
		snapshots   []time.Time
		want        *time.Time
	}{
		{"no snapshots", 1, nil, nil},
		{"g1 only a snapshot before the deletion", 1, []time.Time{before}, nil},
		{"g1 the first Sunday after", 1, []time.Time{before, utcAt(2026, 10, 18, 3)}, ptrTo(utcAt(2026, 10, 18, 3))},
		{"g1 a snapshot at executed_at counts", 1, []time.Time{before, deletedAt}, ptrTo(deletedAt)},
		{"g1 a snapshot a microsecond early does not", 1, []time.Time{deletedAt.Add(-time.Microsecond)}, nil},
		{"g4 the fourth Sunday after", 4, sundays(before, 6), ptrTo(utcAt(2026, 11, 8, 3))},
		{"g4 the earlier Sunday never counts", 4, sundays(before, 5), ptrTo(utcAt(2026, 11, 8, 3))},
		{"g4 three after is not enough", 4, sundays(before, 4), nil},
		{"g4 at executed_at and three Sundays", 4, append([]time.Time{deletedAt}, sundays(utcAt(2026, 10, 18, 3), 3)...),
			ptrTo(utcAt(2026, 11, 1, 3))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := purgedAt(deletedAt, tt.generations, tt.snapshots)
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil:
				t.Fatalf("purgedAt = %v, want %v", fmtPtr(got), fmtPtr(tt.want))
			case !got.Equal(*tt.want):
				t.Fatalf("purgedAt = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPurgedAtDoesNotAlias checks that the answer is a copy: the caller's slice may be reused.
func TestPurgedAtDoesNotAlias(t *testing.T) {
	snaps := []time.Time{utcAt(2026, 10, 18, 3)}
	got := purgedAt(deletedAt, 1, snaps)
	snaps[0] = time.Time{}
	if want := utcAt(2026, 10, 18, 3); got == nil || !got.Equal(want) {
		t.Fatalf("purgedAt = %v after reusing the slice, want %s", fmtPtr(got), want)
	}
}

func TestPurgeDeadline(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		schedule    string
		generations int
		grace       int
		executed    time.Time
		want        time.Time
	}{
		{"g1 grace 24h", weekly, 1, 24, deletedAt, utcAt(2026, 10, 19, 3)},
		{"g4 no grace", weekly, 4, 0, deletedAt, utcAt(2026, 11, 8, 3)},
		{"executed given in another zone", weekly, 1, 0, deletedAt.In(shanghai), utcAt(2026, 10, 18, 3)},
		// 03:00 on Sunday in Shanghai is 19:00 UTC on Saturday.
		{"CRON_TZ Shanghai", "CRON_TZ=Asia/Shanghai " + weekly, 1, 0, deletedAt, utcAt(2026, 10, 17, 19)},
		{"CRON_TZ Shanghai g2 grace 2h", "CRON_TZ=Asia/Shanghai " + weekly, 2, 2, deletedAt, utcAt(2026, 10, 24, 21)},
		{"daily descriptor", "@daily", 3, 1, deletedAt, utcAt(2026, 10, 17, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &BackupSystem{ID: "b1", RefreshSchedule: tt.schedule, Generations: tt.generations, GraceHours: tt.grace}
			got, err := purgeDeadline(b, tt.executed)
			if err != nil {
				t.Fatalf("purgeDeadline: %v", err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("purgeDeadline = %s, want %s", got.UTC(), tt.want)
			}
		})
	}
}

func TestPurgeDeadlineInvalidSchedule(t *testing.T) {
	for _, schedule := range []string{"", "every sunday", "0 3 * * 8", "CRON_TZ=Mars/Olympus 0 3 * * 0"} {
		b := &BackupSystem{ID: "b1", RefreshSchedule: schedule, Generations: 1}
		if got, err := purgeDeadline(b, deletedAt); err == nil {
			t.Errorf("purgeDeadline(%q) = %s, want an error", schedule, got)
		}
	}
}

// TestPurgeDeadlineMatchesOnTimeRefreshes: a backup that refreshes exactly on its schedule purges a deletion
// exactly at its deadline less the grace, whatever the number of generations.
func TestPurgeDeadlineMatchesOnTimeRefreshes(t *testing.T) {
	for _, schedule := range []string{weekly, "CRON_TZ=Asia/Shanghai 30 1 * * *", "0 */6 * * *"} {
		sched, err := cronParser.Parse(schedule)
		if err != nil {
			t.Fatal(err)
		}
		var snaps []time.Time
		for at := sched.Next(deletedAt.AddDate(0, 0, -8)); at.Before(deletedAt.AddDate(0, 0, 60)); at = sched.Next(at) {
			snaps = append(snaps, at)
		}
		for g := 1; g <= 6; g++ {
			b := &BackupSystem{ID: "b1", RefreshSchedule: schedule, Generations: g, GraceHours: 5}
			deadline, err := purgeDeadline(b, deletedAt)
			if err != nil {
				t.Fatal(err)
			}
			got := purgedAt(deletedAt, g, snaps)
			if want := deadline.Add(-5 * time.Hour); got == nil || !got.Equal(want) {
				t.Errorf("%q g%d: purgedAt = %v, want deadline less grace %s", schedule, g, fmtPtr(got), want)
			}
		}
	}
}

func ptrTo(t time.Time) *time.Time { return &t }

func fmtPtr(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
