// Package calendar computes working-day deadlines, such as "reply within 15
// Chinese working days" for a data subject rights request.
//
// It is pure: no clock and no I/O beyond the embedded State Council schedules.
// Receipt dates are never counted; the n-th working day after receipt is due.
// When an answer rests on a year whose schedule has not been published yet,
// it is flagged provisional so callers can show the deadline as an estimate.
package calendar

import "time"

// Calendar answers whether a date is a working day, so deadline arithmetic
// works the same for every jurisdiction.
type Calendar interface {
	// Name identifies the calendar (e.g. "cn", "weekdays") in stored records.
	Name() string
	// IsWorkingDay reports whether d is a working day, and whether the answer
	// rests on an unpublished schedule.
	IsWorkingDay(d Date) (working, provisional bool)
}

// maxGap bounds the run of consecutive non-working days AddWorkingDays will
// scan, so that a broken Calendar panics instead of looping forever.
const maxGap = 3660

// AddWorkingDays returns the n-th working day after from; the receipt date
// from is not counted, and n <= 0 returns from unchanged. provisional is true
// if any day examined (from+1 through due) was provisional. It panics only if
// c reports no working day in ten years, which CN and Weekdays never do.
func AddWorkingDays(c Calendar, from Date, n int) (due Date, provisional bool) {
	d := from.normalized()
	gap := 0
	for n > 0 {
		d = d.AddDays(1)
		working, p := c.IsWorkingDay(d)
		provisional = provisional || p
		if working {
			n--
			gap = 0
			continue
		}
		gap++
		if gap > maxGap {
			panic("calendar: " + c.Name() + " has no working day after " + from.String())
		}
	}
	return d, provisional
}

// WorkingDaysBetween counts the working days d with from < d <= to (0 if to
// is not after from), i.e. how many working days of a deadline have elapsed.
// provisional is true if any day counted over was provisional.
func WorkingDaysBetween(c Calendar, from, to Date) (n int, provisional bool) {
	from, to = from.normalized(), to.normalized()
	if rc, ok := c.(rangeCounter); ok {
		if !to.After(from) {
			return 0, false
		}
		return rc.workingDaysBetween(from, to)
	}
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		working, p := c.IsWorkingDay(d)
		provisional = provisional || p
		if working {
			n++
		}
	}
	return n, provisional
}

// rangeCounter is a Calendar that counts the working days of a range without asking day by day (a request's
// clock is counted on every read, over weeks or months). Its answer equals WorkingDaysBetween's day by day; the
// tests compare the two. from < to, both normalised.
type rangeCounter interface {
	workingDaysBetween(from, to Date) (n int, provisional bool)
}

// weekdaysBetween counts the days Monday to Friday d with from < d <= to; from < to.
func weekdaysBetween(from, to Date) int {
	first, last := from.days()+1, to.days()
	span := last - first + 1
	n := span / 7 * 5 // every 7 consecutive days hold 5 weekdays
	for d := first + span/7*7; d <= last; d++ {
		if isWeekday(time.Weekday(floorMod64(d+int64(time.Thursday), 7))) {
			n++
		}
	}
	return int(n)
}

// Weekdays is the Monday-to-Friday calendar, for deadlines set in plain
// working days with no public holidays; it is never provisional.
type Weekdays struct{}

// Name returns "weekdays".
func (Weekdays) Name() string { return "weekdays" }

// IsWorkingDay reports whether d falls Monday to Friday; never provisional.
func (Weekdays) IsWorkingDay(d Date) (working, provisional bool) {
	return isWeekday(d.Weekday()), false
}

func (Weekdays) workingDaysBetween(from, to Date) (int, bool) {
	return weekdaysBetween(from, to), false
}

func isWeekday(w time.Weekday) bool {
	return w != time.Saturday && w != time.Sunday
}
