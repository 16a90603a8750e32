package service

import (
	"context"
	"fmt"
	"time"
)

// CheckCalendars reloads the calendars (years loaded on other replicas) and warns of every cn schedule that should
// be loaded and is not (see Warnings): by e-mail to every admin with an address, once per year and kind of gap.
func (s *Escalation) CheckCalendars(ctx context.Context) ([]string, error) {
	if err := s.RefreshCalendars(ctx); err != nil {
		return nil, err
	}
	gaps := s.calendarGaps()
	if len(gaps) == 0 {
		return nil, nil
	}
	warnings := s.Warnings()
	users, err := s.db.ListUsers(ctx)
	if err != nil {
		return warnings, err
	}
	now := s.now()
	err = s.begin(ctx, func(tx escalationStore) error {
		for _, g := range gaps {
			data := map[string]any{"Org": s.orgName, "Year": g.Year, "Current": g.Current,
				"Link": fmt.Sprintf("%s/api/v1/calendars/cn/years/%d", s.publicURL, g.Year)}
			subject, text, err := renderMail("calendar_missing", "en", data)
			if err != nil {
				return err
			}
			// One mail when next year's schedule is due (from 1 December), one more if the year begins without it.
			kind := "calendar-missing"
			if g.Current {
				kind = "calendar-missing-current"
			}
			for _, u := range users {
				if u.Role != RoleAdmin || u.Email == "" {
					continue
				}
				if _, err := tx.EnqueueMail(ctx, &Mail{ID: s.newID(), DedupeKey: fmt.Sprintf("%s:%d:%s", kind, g.Year, u.ID),
					Kind: "calendar_missing", To: u.Email, Subject: subject, Text: text,
					Status: MailPending, NextAttemptAt: now, CreatedAt: now}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return warnings, err
}

// calendarGaps lists, in the default policy's time zone, the current year when its cn schedule is not loaded and,
// from 1 December, next year when its schedule is not loaded. A clock before the first published year (a zero
// time) has nothing to load.
func (s *Escalation) calendarGaps() []calendarGap {
	p, _ := s.policy(DefaultPolicy)
	day := today(p, s.now())
	cn := s.cals.Load().cn
	var gaps []calendarGap
	if years := cn.Years(); len(years) > 0 && day.Year > years[0] && !cn.Published(day.Year) {
		gaps = append(gaps, calendarGap{Year: day.Year, Current: true})
	}
	if day.Month == time.December && !cn.Published(day.Year+1) {
		gaps = append(gaps, calendarGap{Year: day.Year + 1})
	}
	return gaps
}

// Warnings are conditions an operator must act on; the readiness probe and the jobs view show them.
func (s *Escalation) Warnings() []string {
	var out []string
	for _, g := range s.calendarGaps() {
		if g.Current {
			out = append(out, fmt.Sprintf("the State Council holiday schedule for %d, the current year, is not loaded: "+
				"due dates in %d are provisional (weekdays minus the fixed-date holidays) until it is; "+
				"load it with PUT /api/v1/calendars/cn/years/%d", g.Year, g.Year, g.Year))
			continue
		}
		out = append(out, fmt.Sprintf("the State Council holiday schedule for %d is not loaded: due dates reaching "+
			"into %d are provisional; load it with PUT /api/v1/calendars/cn/years/%d", g.Year, g.Year, g.Year))
	}
	return out
}
