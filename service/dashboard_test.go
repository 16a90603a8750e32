package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// dashboardRequest is a request as the dashboard fixtures write it straight to the store.
type dashboardRequest struct {
	id       string
	typ      service.RequestType
	policy   string // default DefaultPolicy
	queue    string // queue ID, "" unrouted
	received time.Time
	due      string
	replied  time.Time // zero: not replied
	closed   time.Time // zero: open; the reply's time when replied
	status   service.Status
}

func (e *env) mustStoreDashboard(tb testing.TB, rs ...dashboardRequest) {
	tb.Helper()
	ctx := context.Background()
	err := e.store.WithTx(ctx, func(tx service.Store) error {
		for i, s := range rs {
			if s.policy == "" {
				s.policy = service.DefaultPolicy
			}
			loc := e.svc.Location(s.policy)
			due := mustDate(tb, s.due)
			r := &service.Request{
				ID: s.id, Reference: fmt.Sprintf("DSR-2026-%06d", i+1), Type: s.typ, Status: s.status,
				Subject: service.Subject{Name: "Li Wei"}, Channel: service.ChannelWebForm, Policy: s.policy,
				ReceivedAt: s.received, Due: service.Due{Date: due, At: due.EndOfDay(loc)},
				Clock:   service.Clock{Start: calendar.DateOf(s.received.In(loc)), Budget: 15},
				QueueID: s.queue, Locale: "en", CreatedBy: intake.UserID, CreatedAt: s.received, UpdatedAt: s.received,
			}
			if !s.replied.IsZero() {
				replied := s.replied
				r.RepliedAt, r.ClosedAt, r.Outcome = &replied, &replied, s.status
			}
			if !s.closed.IsZero() {
				closed := s.closed
				r.ClosedAt = &closed
			}
			if err := tx.CreateRequest(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// brussels time.
func bx(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, brussels)
}

func TestDashboard(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Set(reportNow) // Tuesday 20 October 2026, 12:00 in Shanghai
		officers := e.mustQueueOfficers(t, "Olivia")
		queues, err := e.svc.Queues(ctx, admin)
		if err != nil || len(queues) != 1 {
			t.Fatalf("Queues = %v, %v", queues, err)
		}
		privacy := queues[0]
		hrName := "hr"
		hr, err := e.svc.CreateQueue(ctx, admin, service.QueueInput{Name: &hrName})
		if err != nil {
			t.Fatal(err)
		}
		access, del, rect, port := service.TypeAccess, service.TypeDeletion, service.TypeRectification,
			service.TypePortability
		open, fulfilled, denied := service.StatusOpen, service.StatusFulfilled, service.StatusDenied
		e.mustStoreDashboard(t,
			// Open: one overdue of privacy, one not; one of hr; one unrouted.
			dashboardRequest{id: "o1", typ: access, queue: privacy.ID, received: sh(2026, 9, 1, 9, 0, 0), due: "2026-09-21", status: open},
			dashboardRequest{id: "o2", typ: access, queue: privacy.ID, received: sh(2026, 10, 15, 9, 0, 0), due: "2026-11-05", status: open},
			dashboardRequest{id: "o3", typ: access, queue: hr.ID, received: sh(2026, 10, 19, 9, 0, 0), due: "2026-11-09", status: open},
			dashboardRequest{id: "o4", typ: access, received: sh(2026, 10, 20, 8, 0, 0), due: "2026-11-10", status: open},
			// Replied: 13 working days (on time), 16 (late), 0.
			dashboardRequest{id: "a1", typ: access, queue: privacy.ID, received: sh(2026, 9, 15, 10, 0, 0), due: "2026-10-12",
				replied: sh(2026, 10, 9, 7, 30, 0), status: fulfilled},
			dashboardRequest{id: "a2", typ: access, queue: privacy.ID, received: sh(2026, 9, 15, 11, 0, 0), due: "2026-10-12",
				replied: sh(2026, 10, 13, 9, 0, 0), status: fulfilled},
			dashboardRequest{id: "a4", typ: access, queue: hr.ID, received: sh(2026, 9, 2, 9, 0, 0), due: "2026-09-22",
				replied: sh(2026, 9, 2, 17, 0, 0), status: denied},
			// Withdrawn: closed, never replied.
			dashboardRequest{id: "w1", typ: access, queue: privacy.ID, received: sh(2026, 10, 12, 9, 0, 0), due: "2026-11-02",
				closed: sh(2026, 10, 14, 9, 0, 0), status: service.StatusWithdrawn},
			// Received the Sunday before the first week, replied at its first instant: one working day.
			dashboardRequest{id: "d1", typ: del, queue: privacy.ID, received: sh(2026, 8, 2, 20, 0, 0), due: "2026-08-21",
				replied: sh(2026, 8, 3, 0, 0, 0), status: fulfilled},
			// Replied late in the first month counted; and in the month before it, not counted.
			dashboardRequest{id: "r1", typ: rect, queue: privacy.ID, received: sh(2025, 11, 3, 9, 0, 0), due: "2025-11-24",
				replied: sh(2025, 11, 28, 9, 0, 0), status: fulfilled},
			dashboardRequest{id: "r2", typ: rect, queue: privacy.ID, received: sh(2025, 10, 20, 9, 0, 0), due: "2025-11-10",
				replied: sh(2025, 10, 31, 23, 59, 59), status: fulfilled},
			// Under the GDPR policy, in Brussels: Sunday 23:30 to Tuesday 00:30 is Monday and Tuesday, two working
			// days, where Shanghai's or UTC's dates would make one.
			dashboardRequest{id: "p1", typ: port, policy: "gdpr", received: bx(2026, 10, 4, 23, 30), due: "2026-11-03",
				replied: bx(2026, 10, 6, 0, 30), status: fulfilled},
		)
		tape := e.mustBackupSystem(t, "tape", 2, 0)
		for _, er := range []struct {
			id       string
			executed time.Time
		}{{"a4", sh(2026, 9, 3, 9, 0, 0)}, {"a1", sh(2026, 10, 10, 9, 0, 0)}} {
			err := e.store.SaveErasure(ctx, &service.Erasure{RequestID: er.id, ExecutedAt: er.executed,
				Systems: []string{"crm"}, State: service.ErasurePending, RecordedAt: er.executed, RecordedBy: admin.UserID,
				Purges: []*service.Purge{{RequestID: er.id, BackupSystemID: tape.ID, BackupName: tape.Name,
					State: service.PurgePending, ExecutedAt: er.executed}}})
			if err != nil {
				t.Fatal(err)
			}
		}

		got, err := e.svc.Dashboard(ctx, auditor)
		if err != nil {
			t.Fatalf("Dashboard: %v", err)
		}
		if !got.GeneratedAt.Equal(reportNow) || got.Location.String() != "Asia/Shanghai" {
			t.Errorf("GeneratedAt, Location = %v, %v", got.GeneratedAt, got.Location)
		}
		wantQueues := []service.QueueLoad{
			{QueueID: hr.ID, QueueName: "hr", Open: 1},
			{QueueID: privacy.ID, QueueName: "privacy", Open: 2, Overdue: 1},
			{Open: 1},
		}
		if diff := cmp.Diff(wantQueues, got.Queues); diff != "" {
			t.Errorf("Queues (-want +got):\n%s", diff)
		}
		// Weeks start on Mondays in Shanghai, the last the current one.
		wantWeeks := weeksFrom(t, "2026-08-03", map[string][2]int{
			"2026-08-03": {0, 1}, "2026-08-31": {2, 1}, "2026-09-14": {2, 0}, "2026-10-05": {1, 2},
			"2026-10-12": {2, 2}, "2026-10-19": {2, 0},
		})
		if diff := cmp.Diff(wantWeeks, got.Weeks); diff != "" {
			t.Errorf("Weeks (-want +got):\n%s", diff)
		}
		if got.ReplyDaysFrom != mustDate(t, "2026-08-03") {
			t.Errorf("ReplyDaysFrom = %s", got.ReplyDaysFrom)
		}
		wantMonths := monthsFrom(2025, time.November, map[time.Month][2]int{
			time.November: {1, 0}, time.August: {1, 1}, time.September: {1, 1}, time.October: {3, 2},
		})
		if diff := cmp.Diff(wantMonths, got.Months); diff != "" {
			t.Errorf("Months (-want +got):\n%s", diff)
		}
		wantDays := replyDays(map[service.RequestType][3]float64{
			access: {3, 13, 16}, del: {1, 1, 1}, port: {1, 2, 2},
		})
		if diff := cmp.Diff(wantDays, got.ReplyDays); diff != "" {
			t.Errorf("ReplyDays (-want +got):\n%s", diff)
		}
		wantPurges := []service.PurgeLoad{{BackupSystemID: tape.ID, BackupName: "tape", Pending: 2,
			OldestExecutedAt: sh(2026, 9, 3, 9, 0, 0).UTC()}}
		if diff := cmp.Diff(wantPurges, got.Purges); diff != "" {
			t.Errorf("Purges (-want +got):\n%s", diff)
		}

		// An officer sees her queue's requests only.
		mine, err := e.svc.Dashboard(ctx, officers[0])
		if err != nil {
			t.Fatalf("Dashboard as officer: %v", err)
		}
		if diff := cmp.Diff(wantQueues[1:2], mine.Queues); diff != "" {
			t.Errorf("officer's Queues (-want +got):\n%s", diff)
		}
		wantMine := weeksFrom(t, "2026-08-03", map[string][2]int{
			"2026-08-03": {0, 1}, "2026-08-31": {1, 0}, "2026-09-14": {2, 0}, "2026-10-05": {0, 1},
			"2026-10-12": {2, 2},
		})
		if diff := cmp.Diff(wantMine, mine.Weeks); diff != "" {
			t.Errorf("officer's Weeks (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(replyDays(map[service.RequestType][3]float64{access: {2, 13, 16}, del: {1, 1, 1}}),
			mine.ReplyDays); diff != "" {
			t.Errorf("officer's ReplyDays (-want +got):\n%s", diff)
		}
		if len(mine.Purges) != 1 || mine.Purges[0].Pending != 1 {
			t.Errorf("officer's Purges = %+v, want the one of a1", mine.Purges)
		}

		// The web form and the backup tooling read no dashboard.
		for _, a := range []service.Actor{intake, integration} {
			_, err := e.svc.Dashboard(ctx, a)
			wantError(t, err, service.EFORBIDDEN)
		}
	})
}

// A dashboard of nothing has every period, with zeros, and no rates or reply times.
func TestDashboardEmpty(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(reportNow)
		got, err := e.svc.Dashboard(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Queues) != 0 || len(got.Purges) != 0 {
			t.Errorf("Queues, Purges = %v, %v", got.Queues, got.Purges)
		}
		if diff := cmp.Diff(weeksFrom(t, "2026-08-03", nil), got.Weeks); diff != "" {
			t.Errorf("Weeks (-want +got):\n%s", diff)
		}
		want := monthsFrom(2025, time.November, nil)
		if diff := cmp.Diff(want, got.Months); diff != "" {
			t.Errorf("Months (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(replyDays(nil), got.ReplyDays); diff != "" {
			t.Errorf("ReplyDays (-want +got):\n%s", diff)
		}
	})
}

// weeksFrom is twelve weeks from the Monday first, with the received and closed counts of counts.
func weeksFrom(tb testing.TB, first string, counts map[string][2]int) []service.WeekFlow {
	d := mustDate(tb, first)
	var out []service.WeekFlow
	for i := range 12 {
		w := d.AddDays(7 * i)
		c := counts[w.String()]
		out = append(out, service.WeekFlow{Start: w, Received: c[0], Closed: c[1]})
	}
	return out
}

// monthsFrom is twelve months from the first, all in the first's year but for those after December, which are
// in the next: replied and on-time counts from counts by month. The last is the running one.
func monthsFrom(year int, first time.Month, counts map[time.Month][2]int) []service.MonthOnTime {
	var out []service.MonthOnTime
	for i := range 12 {
		m := calendar.NewDate(year, first+time.Month(i), 1)
		c := counts[m.Month]
		mo := service.MonthOnTime{Year: m.Year, Month: m.Month, Replied: c[0], OnTime: c[1], Complete: i < 11}
		if c[0] > 0 {
			mo.Rate = num(float64(c[1]) / float64(c[0]))
		}
		out = append(out, mo)
	}
	return out
}

// replyDays is one TypeReplyDay per type, from counts of {replied, median, p90}.
func replyDays(counts map[service.RequestType][3]float64) []service.TypeReplyDay {
	var out []service.TypeReplyDay
	for _, rt := range service.RequestTypes {
		d := service.TypeReplyDay{Type: rt}
		if c, ok := counts[rt]; ok {
			d.Replied, d.Median, d.P90 = int(c[0]), num(c[1]), num(c[2])
		}
		out = append(out, d)
	}
	return out
}
