package service

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// CalendarCN and CalendarWeekdays are the calendars a policy may count in.
const (
	CalendarCN       = "cn"
	CalendarWeekdays = "weekdays"
)

// calendarSet is an immutable snapshot of the working-day calendars; a loaded year swaps in a new one.
type calendarSet struct {
	cn       *calendar.CN
	weekdays calendar.Weekdays
}

func (cs *calendarSet) lookup(name string) (calendar.Calendar, error) {
	switch name {
	case CalendarCN:
		return cs.cn, nil
	case CalendarWeekdays:
		return cs.weekdays, nil
	}
	return nil, Errorf(ENOTFOUND, "no such calendar (known: cn, weekdays)")
}

// CalendarStore keeps the calendar years loaded after release, so that every replica and restart sees them.
type CalendarStore interface {
	// SaveCalendarYear inserts or replaces the schedule of s.Year for the named calendar.
	SaveCalendarYear(ctx context.Context, name string, s calendar.Schedule) error
	// CalendarYears returns every schedule loaded for the named calendar, ascending by year.
	CalendarYears(ctx context.Context, name string) ([]calendar.Schedule, error)
}

// CalendarInfo describes a calendar for people choosing or checking one.
type CalendarInfo struct {
	Name           string
	PublishedYears []int
}

// DeadlinePreview is the answer to "what is the n-th working day after this date".
type DeadlinePreview struct {
	DueDate     calendar.Date
	Provisional bool
}

// CalendarYearLoaded reports the effect of loading a year.
type CalendarYearLoaded struct {
	Year       int
	Days       int
	Recomputed int // open requests whose provisional due date was recomputed
}

// loadCalendars builds the calendar snapshot from the shipped schedules and those loaded since.
func loadCalendars(ctx context.Context, st CalendarStore) (*calendarSet, error) {
	loaded, err := st.CalendarYears(ctx, CalendarCN)
	if err != nil {
		return nil, fmt.Errorf("load calendar years: %w", err)
	}
	schedules := append(calendar.ShippedSchedules(), loaded...)
	return &calendarSet{cn: calendar.NewCN(schedules...)}, nil
}

// RefreshCalendars reloads the calendars from the store, picking up years another replica loaded.
func (s *core) RefreshCalendars(ctx context.Context) error {
	cs, err := loadCalendars(ctx, s.store)
	if err != nil {
		return err
	}
	s.cals.Store(cs)
	return nil
}

// Calendars lists the calendars and their published years.
func (s *Admin) Calendars(ctx context.Context, a Actor) ([]CalendarInfo, error) {
	if err := authorize(a, permReadReference); err != nil {
		return nil, err
	}
	cs := s.cals.Load()
	return []CalendarInfo{
		{Name: CalendarCN, PublishedYears: cs.cn.Years()},
		{Name: CalendarWeekdays, PublishedYears: []int{}},
	}, nil
}

// CalendarYear returns a published year's schedule. ENOTFOUND for an unknown calendar or unpublished year.
func (s *Admin) CalendarYear(ctx context.Context, a Actor, name string, year int) (calendar.Schedule, error) {
	if err := authorize(a, permReadReference); err != nil {
		return calendar.Schedule{}, err
	}
	if _, err := s.cals.Load().lookup(name); err != nil {
		return calendar.Schedule{}, err
	}
	for _, sch := range s.cals.Load().cn.Schedules() {
		if name == CalendarCN && sch.Year == year {
			return sch, nil
		}
	}
	return calendar.Schedule{}, Errorf(ENOTFOUND, "calendar %s has no published schedule for %d", name, year)
}

// PreviewDeadline answers the n-th working day after from in the named calendar.
func (s *Admin) PreviewDeadline(ctx context.Context, a Actor, name string, from calendar.Date, n int) (DeadlinePreview, error) {
	if err := authorize(a, permReadReference); err != nil {
		return DeadlinePreview{}, err
	}
	cal, err := s.cals.Load().lookup(name)
	if err != nil {
		return DeadlinePreview{}, err
	}
	var f fieldErrors
	if n < 0 || n > 366 {
		f.add("working_days", "must be between 0 and 366")
	}
	if from.Year < 1949 || from.Year > 9998 {
		f.add("from", "must be a date from 1949 to 9998")
	}
	if err := f.err(); err != nil {
		return DeadlinePreview{}, err
	}
	due, provisional := calendar.AddWorkingDays(cal, from, n)
	return DeadlinePreview{DueDate: due, Provisional: provisional}, nil
}

// LoadCalendarYear stores a newly published schedule, makes it the one in force, and recomputes the due dates
// of open requests that were provisional.
// The schedule is the holiday-cn JSON document the State Council's notice is published as.
func (s *Admin) LoadCalendarYear(ctx context.Context, a Actor, name string, year int, doc []byte) (CalendarYearLoaded, error) {
	if err := authorize(a, permLoadCalendar); err != nil {
		return CalendarYearLoaded{}, err
	}
	sch, err := calendar.ParseSchedule(doc)
	if err != nil {
		var se *calendar.ScheduleError
		if errors.As(err, &se) && se.Field != "" {
			return CalendarYearLoaded{}, Invalid(FieldError{se.Field, se.Message})
		}
		return CalendarYearLoaded{}, Invalid(FieldError{"body", err.Error()})
	}
	if _, err := s.cals.Load().lookup(name); err != nil {
		return CalendarYearLoaded{}, err
	}
	if name != CalendarCN {
		return CalendarYearLoaded{}, Invalid(FieldError{"name", "only the cn calendar takes published schedules"})
	}
	if sch.Year != year {
		return CalendarYearLoaded{}, Invalid(FieldError{"year", fmt.Sprintf("the body's year %d differs from the path's %d", sch.Year, year)})
	}
	sort.Slice(sch.Days, func(i, j int) bool { return sch.Days[i].Date.Before(sch.Days[j].Date) })
	var (
		next       *calendarSet
		recomputed int
	)
	err = s.begin(ctx, func(tx adminStore) error {
		if err := tx.SaveCalendarYear(ctx, name, sch); err != nil {
			return err
		}
		cs, err := loadCalendars(ctx, tx)
		if err != nil {
			return err
		}
		next = cs
		if recomputed, err = s.recomputeProvisional(ctx, tx, a, cs); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "calendar.year_loaded", "", map[string]string{
			"calendar": name, "year": fmt.Sprint(year), "days": fmt.Sprint(len(sch.Days)),
			"recomputed_requests": fmt.Sprint(recomputed),
		})
	})
	if err != nil {
		return CalendarYearLoaded{}, err
	}
	s.cals.Store(next)
	return CalendarYearLoaded{Year: year, Days: len(sch.Days), Recomputed: recomputed}, nil
}

// recomputeProvisional recomputes every open request whose due date rested on an unpublished year.
func (s *Admin) recomputeProvisional(ctx context.Context, tx adminStore, a Actor, cs *calendarSet) (int, error) {
	reqs, err := tx.ProvisionalRequests(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range reqs {
		p, err := s.policy(r.Policy)
		if err != nil {
			return n, err
		}
		due, err := p.due(cs, r.Clock)
		if err != nil {
			return n, err
		}
		if due.Date == r.Due.Date && due.Provisional == r.Due.Provisional {
			continue
		}
		old := r.Due
		r.Due = due
		r.UpdatedAt = s.now()
		if err := tx.UpdateRequestParts(ctx, r, PartClock); err != nil {
			return n, err
		}
		n++
		if err := s.appendEvent(ctx, tx, a, "request.due_recomputed", r.ID, map[string]string{
			"from": old.Date.String(), "to": due.Date.String(), "provisional": fmt.Sprint(due.Provisional),
		}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// calendarGap is a cn year whose schedule should be loaded by now and is not.
type calendarGap struct {
	Year int
	// Current marks the year under way: every due date counted in it is provisional now, not only those of
	// requests filed late in the year before.
	Current bool
}

// ProvisionalRequest is an open request whose due date counts into a year whose holidays are not published yet.
type ProvisionalRequest struct {
	ID        string
	Reference string
	Type      RequestType
	DueDate   calendar.Date
}

// ProvisionalRequests lists the open requests with a provisional due date (admin): those that loading next
// year's calendar will recompute.
func (s *Admin) ProvisionalRequests(ctx context.Context, a Actor) ([]ProvisionalRequest, error) {
	if err := authorize(a, permLoadCalendar); err != nil {
		return nil, err
	}
	rs, err := s.db.ProvisionalRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProvisionalRequest, len(rs))
	for i, r := range rs {
		out[i] = ProvisionalRequest{ID: r.ID, Reference: r.Reference, Type: r.Type, DueDate: r.Due.Date}
	}
	return out, nil
}
