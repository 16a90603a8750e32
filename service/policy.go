package service

import (
	"fmt"
	"time"
	_ "time/tzdata" // policies name IANA zones; the binary must not depend on the host's zoneinfo

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// PeriodUnit is what a policy's period counts.
type PeriodUnit string

// The units a period may count in.
const (
	UnitWorkingDays PeriodUnit = "working_days" // days the policy's calendar calls working days
	UnitDays        PeriodUnit = "days"         // calendar days
	UnitMonths      PeriodUnit = "months"       // calendar months, ending on the same date (or the month's last)
)

// Period is an amount of time in a policy's unit.
type Period struct {
	Count int
	Unit  PeriodUnit
}

// PauseAwaitingSubjectInformation is the hold reason that stops the clock under every shipped policy.
const PauseAwaitingSubjectInformation = "awaiting_subject_information"

// DefaultPolicy is the policy of a request that names none: the company's promise of 15 working days.
const DefaultPolicy = "cn-pipl-15wd"

// Policy is a legal regime's deadline rule.
type Policy struct {
	Name        string
	Description string
	Calendar    string // the working-day calendar: counts UnitWorkingDays, and rolls a due date forward
	Location    *time.Location
	Period      Period
	Extension   Period // the most the deadline may be extended in all; Count 0: no extension
	// RollForward moves a due date that falls on a non-working day to the next working day (EU Regulation
	// 1182/71, Article 3(4), for GDPR periods).
	RollForward  bool
	PauseReasons []string
}

// Pauses reports whether a hold for reason stops the clock under p.
func (p *Policy) Pauses(reason string) bool {
	for _, r := range p.PauseReasons {
		if r == reason {
			return true
		}
	}
	return false
}

// ReceiptDate is the civil date of t in the policy's time zone: the day the count starts after.
func (p *Policy) ReceiptDate(t time.Time) calendar.Date {
	return calendar.DateOf(t.In(p.Location))
}

// budget is the number of counting-calendar days the period gives when counted after start.
func (p *Policy) budget(start calendar.Date, period Period) int {
	if period.Unit != UnitMonths {
		return period.Count
	}
	end := addMonths(start, period.Count)
	return daysBetween(start, end)
}

// startClock starts the count for a request received at t.
func (p *Policy) startClock(t time.Time) Clock {
	start := p.ReceiptDate(t)
	return Clock{Start: start, Budget: p.budget(start, p.Period)}
}

// counts reports which calendar the clock's days are counted in.
func (p *Policy) countingCalendar(cals *calendarSet) (calendar.Calendar, error) {
	if p.Period.Unit != UnitWorkingDays {
		return everyDay{}, nil
	}
	return cals.lookup(p.Calendar)
}

// due computes the deadline of a clock under p. While the clock is paused the due date is the one the count
// would reach had it not stopped; it moves when the clock resumes.
func (p *Policy) due(cals *calendarSet, c Clock) (Due, error) {
	counting, err := p.countingCalendar(cals)
	if err != nil {
		return Due{}, err
	}
	remaining := c.Budget - c.Used
	if remaining < 0 {
		remaining = 0
	}
	date, provisional := calendar.AddWorkingDays(counting, c.Start, remaining)
	if p.RollForward {
		working, err := cals.lookup(p.Calendar)
		if err != nil {
			return Due{}, err
		}
		for {
			ok, prov := working.IsWorkingDay(date)
			provisional = provisional || prov
			if ok {
				break
			}
			date = date.AddDays(1)
		}
	}
	return Due{Date: date, At: date.EndOfDay(p.Location), Provisional: provisional}, nil
}

// daysUsed counts the days of the period used by the instant now.
func (p *Policy) daysUsed(cals *calendarSet, c Clock, now time.Time) int {
	if c.Paused != nil {
		return c.Used
	}
	counting, err := p.countingCalendar(cals)
	if err != nil {
		return c.Used
	}
	n, _ := calendar.WorkingDaysBetween(counting, c.Start, calendar.DateOf(now.In(p.Location)))
	return c.Used + n
}

// everyDay counts calendar days.
type everyDay struct{}

func (everyDay) Name() string                            { return "days" }
func (everyDay) IsWorkingDay(calendar.Date) (bool, bool) { return true, false }

// addMonths is the same date n months later, or that month's last day when it has no such date.
func addMonths(d calendar.Date, n int) calendar.Date {
	first := calendar.NewDate(d.Year, d.Month+time.Month(n), 1)
	last := calendar.NewDate(first.Year, first.Month+1, 0)
	if d.Day > last.Day {
		return last
	}
	return calendar.NewDate(first.Year, first.Month, d.Day)
}

// daysBetween is the number of days from a to b.
func daysBetween(a, b calendar.Date) int {
	return int(b.Start(time.UTC).Sub(a.Start(time.UTC)).Hours() / 24)
}

// ShippedPolicies returns the policies Rightsdesk knows, the default first.
func ShippedPolicies() []*Policy {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(fmt.Sprintf("embedded tzdata lacks %s: %v", name, err))
		}
		return loc
	}
	pause := []string{PauseAwaitingSubjectInformation}
	return []*Policy{{
		Name: DefaultPolicy,
		Description: "China PIPL, as the privacy policy promises: a reply within 15 working days of the " +
			"State Council's calendar.",
		Calendar: "cn", Location: zone("Asia/Shanghai"),
		Period: Period{15, UnitWorkingDays}, PauseReasons: pause,
	}, {
		Name: "gdpr",
		Description: "EU GDPR Article 12(3): one month, extendable by up to two further months; a period " +
			"ending on a Saturday or Sunday ends on the next working day.",
		Calendar: "weekdays", Location: zone("Europe/Brussels"),
		Period: Period{1, UnitMonths}, Extension: Period{2, UnitMonths}, RollForward: true, PauseReasons: pause,
	}, {
		Name:        "ccpa",
		Description: "California CCPA: 45 calendar days, extendable once by up to 45 more.",
		Calendar:    "weekdays", Location: zone("America/Los_Angeles"),
		Period: Period{45, UnitDays}, Extension: Period{45, UnitDays}, PauseReasons: pause,
	}, {
		Name:        "lgpd",
		Description: "Brazil LGPD Article 19(II): 15 days, no extension.",
		Calendar:    "weekdays", Location: zone("America/Sao_Paulo"),
		Period: Period{15, UnitDays}, PauseReasons: pause,
	}}
}

// Location is the time zone of the named policy, in which its requests' times are shown; UTC if unknown.
func (s *core) Location(policy string) *time.Location {
	if p, err := s.policy(policy); err == nil {
		return p.Location
	}
	return time.UTC
}

// DaysUsed is how many days of its period a request has used by now: frozen while its clock is paused.
func (s *core) DaysUsed(r *Request) int {
	p, err := s.policy(r.Policy)
	if err != nil {
		return r.Clock.Used
	}
	return p.daysUsed(s.cals.Load(), r.Clock, s.now())
}
