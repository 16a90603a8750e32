package service

import (
	"context"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// The dashboard looks back over bounded periods, so that it costs the same at a million requests as at a
// hundred: the store aggregates each period in one indexed range scan.
const (
	dashboardWeeks  = 12 // requests received and closed per week
	dashboardMonths = 12 // on-time rate per month
)

// DashboardStore aggregates what the dashboard shows. No method returns personal data; each counts only the
// requests of the officer visibleTo's queues when it is not nil.
type DashboardStore interface {
	// OpenCountsByQueue counts, per queue, the requests open at now (status not terminal and no reply sent)
	// and those of them due before now. The unrouted requests are the row with QueueID "". Queues with no open
	// request are absent; rows are ordered by queue name, the unrouted row last.
	OpenCountsByQueue(ctx context.Context, now time.Time, visibleTo *string) ([]QueueLoad, error)
	// CountInPeriods counts the requests whose moment (received, closed or replied) falls in each period
	// [bounds[i], bounds[i+1]); for MomentReplied, OnTime counts the replies sent by the due time. It answers
	// len(bounds)-1 counts; bounds ascend.
	CountInPeriods(ctx context.Context, moment Moment, bounds []time.Time, visibleTo *string) ([]PeriodCount, error)
	// ReplyDayPairs groups the requests of policy replied in [from, to) by type, receipt day and reply day, with
	// days as buckets: a bucket b covers the instants t with (unix(t) + bucket.Offset) / bucket.Seconds = b
	// (integer division). Groups come in no particular order.
	ReplyDayPairs(ctx context.Context, policy string, from, to time.Time, bucket DayBucket, visibleTo *string) ([]ReplyDayPair, error)
	// PendingPurgeCounts counts the pending backup purges per backup system (erasures waiting to be applied
	// again after a restore excluded, as in PendingPurges), by system name; systems with none are absent.
	PendingPurgeCounts(ctx context.Context, visibleTo *string) ([]PurgeLoad, error)
}

// Moment is the instant of a request's life a period count looks at.
type Moment string

// The moments CountInPeriods counts.
const (
	MomentReceived Moment = "received"
	MomentClosed   Moment = "closed"
	MomentReplied  Moment = "replied"
)

// PeriodCount is how many requests one period counted, and for replies how many were on time.
type PeriodCount struct {
	Count  int
	OnTime int
}

// DayBucket says how the store cuts instants into buckets: Seconds long, shifted by Offset seconds.
type DayBucket struct {
	Seconds int64
	Offset  int64
}

// ReplyDayPair is one group of ReplyDayPairs.
type ReplyDayPair struct {
	Type                          RequestType
	ReceivedBucket, RepliedBucket int64
	Count                         int
}

// QueueLoad is the backlog of one queue.
type QueueLoad struct {
	QueueID   string // "" for the requests not routed to any queue
	QueueName string // "" for the unrouted
	Open      int
	Overdue   int
}

// PurgeLoad is what one backup system still holds of erased requests.
type PurgeLoad struct {
	BackupSystemID string
	BackupName     string
	Pending        int
	// OldestExecutedAt is when the oldest erasure still waiting for this backup was carried out.
	OldestExecutedAt time.Time
}

// Dashboard is the picture of the work the data protection officer looks at: the backlog per queue, the flow of
// requests per week, the on-time rate per month, the reply times per type and the backups still to purge.
type Dashboard struct {
	GeneratedAt time.Time
	Location    *time.Location // the default policy's time zone, in which weeks and months are cut
	Queues      []QueueLoad
	Weeks       []WeekFlow     // the last dashboardWeeks weeks, oldest first, the current one last
	Months      []MonthOnTime  // the last dashboardMonths months, oldest first, the current one last
	ReplyDays   []TypeReplyDay // one per RequestTypes, in that order
	// ReplyDaysFrom is the start of the period whose replies ReplyDays measures (the first week's Monday).
	ReplyDaysFrom calendar.Date
	Purges        []PurgeLoad
}

// WeekFlow is the requests received and closed in the week that starts on Monday Start.
type WeekFlow struct {
	Start    calendar.Date
	Received int
	Closed   int
}

// MonthOnTime is the replies sent in one month and how many of them were sent by the due time.
type MonthOnTime struct {
	Year     int
	Month    time.Month
	Replied  int
	OnTime   int
	Rate     *float64 // OnTime/Replied; nil without replies
	Complete bool     // false for the current month, still running
}

// TypeReplyDay is how many working days the replies of one type took, from the receipt date to the reply date
// in the request's policy calendar (as the summary counts them), over the replies sent since ReplyDaysFrom.
type TypeReplyDay struct {
	Type    RequestType
	Replied int
	Median  *float64 // nearest-rank; nil without replies
	P90     *float64
}

// Dashboard aggregates the dashboard at the clock's now: for an officer, only her queues' requests; for admins
// and auditors, all. EFORBIDDEN for roles that may not read reports.
func (s *Reporting) Dashboard(ctx context.Context, a Actor) (*Dashboard, error) {
	if err := authorize(a, permReadReports); err != nil {
		return nil, err
	}
	def, err := s.policy(DefaultPolicy)
	if err != nil {
		return nil, err
	}
	var visibleTo *string
	if a.Role == RoleOfficer {
		visibleTo = &a.UserID
	}
	now := s.now()
	loc := def.Location
	d := &Dashboard{GeneratedAt: now, Location: loc}
	if d.Queues, err = s.db.OpenCountsByQueue(ctx, now, visibleTo); err != nil {
		return nil, fmt.Errorf("dashboard queues: %w", err)
	}
	if err := s.dashboardWeeks(ctx, d, visibleTo); err != nil {
		return nil, err
	}
	if err := s.dashboardMonths(ctx, d, visibleTo); err != nil {
		return nil, err
	}
	if err := s.dashboardReplyDays(ctx, d, visibleTo); err != nil {
		return nil, err
	}
	if d.Purges, err = s.db.PendingPurgeCounts(ctx, visibleTo); err != nil {
		return nil, fmt.Errorf("dashboard purges: %w", err)
	}
	return d, nil
}

// weekStarts are the Mondays of the last n weeks in loc, the current week's last.
func weekStarts(now time.Time, loc *time.Location, n int) []calendar.Date {
	today := calendar.DateOf(now.In(loc))
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	out := make([]calendar.Date, n)
	for i := range n {
		out[i] = monday.AddDays(-7 * (n - 1 - i))
	}
	return out
}

func (s *Reporting) dashboardWeeks(ctx context.Context, d *Dashboard, visibleTo *string) error {
	starts := weekStarts(d.GeneratedAt, d.Location, dashboardWeeks)
	bounds := make([]time.Time, 0, len(starts)+1)
	for _, w := range starts {
		bounds = append(bounds, w.Start(d.Location))
	}
	bounds = append(bounds, starts[len(starts)-1].AddDays(7).Start(d.Location))
	received, err := s.db.CountInPeriods(ctx, MomentReceived, bounds, visibleTo)
	if err != nil {
		return fmt.Errorf("dashboard received per week: %w", err)
	}
	closed, err := s.db.CountInPeriods(ctx, MomentClosed, bounds, visibleTo)
	if err != nil {
		return fmt.Errorf("dashboard closed per week: %w", err)
	}
	if len(received) != len(starts) || len(closed) != len(starts) {
		return fmt.Errorf("dashboard weeks: the store answered %d and %d counts for %d weeks", len(received),
			len(closed), len(starts))
	}
	for i, w := range starts {
		d.Weeks = append(d.Weeks, WeekFlow{Start: w, Received: received[i].Count, Closed: closed[i].Count})
	}
	d.ReplyDaysFrom = starts[0]
	return nil
}

func (s *Reporting) dashboardMonths(ctx context.Context, d *Dashboard, visibleTo *string) error {
	today := calendar.DateOf(d.GeneratedAt.In(d.Location))
	first := calendar.NewDate(today.Year, today.Month-dashboardMonths+1, 1)
	bounds := make([]time.Time, 0, dashboardMonths+1)
	for i := range dashboardMonths + 1 {
		bounds = append(bounds, calendar.NewDate(first.Year, first.Month+time.Month(i), 1).Start(d.Location))
	}
	counts, err := s.db.CountInPeriods(ctx, MomentReplied, bounds, visibleTo)
	if err != nil {
		return fmt.Errorf("dashboard on time per month: %w", err)
	}
	if len(counts) != dashboardMonths {
		return fmt.Errorf("dashboard months: the store answered %d counts for %d months", len(counts), dashboardMonths)
	}
	for i, c := range counts {
		m := calendar.NewDate(first.Year, first.Month+time.Month(i), 1)
		mo := MonthOnTime{Year: m.Year, Month: m.Month, Replied: c.Count, OnTime: c.OnTime,
			Complete: i < dashboardMonths-1}
		if c.Count > 0 {
			rate := float64(c.OnTime) / float64(c.Count)
			mo.Rate = &rate
		}
		d.Months = append(d.Months, mo)
	}
	return nil
}

// dashboardReplyDays measures the replies sent since the first dashboard week, policy by policy: the store
// groups them by receipt and reply day in the policy's time zone, and the working days between the two come
// from the policy's calendar, so each pair of days is counted once however many requests share it.
func (s *Reporting) dashboardReplyDays(ctx context.Context, d *Dashboard, visibleTo *string) error {
	from := d.ReplyDaysFrom.Start(d.Location)
	to := d.GeneratedAt.Add(time.Second)
	hists := make(map[RequestType]map[int]int, len(RequestTypes))
	counts := make(map[RequestType]int, len(RequestTypes))
	cals := s.cals.Load()
	for _, p := range s.policies {
		cal, err := cals.lookup(p.Calendar)
		if err != nil {
			return fmt.Errorf("dashboard reply days: policy %s: %w", p.Name, err)
		}
		bucket, toDate := dayBuckets(p.Location, from, to)
		pairs, err := s.db.ReplyDayPairs(ctx, p.Name, from, to, bucket, visibleTo)
		if err != nil {
			return fmt.Errorf("dashboard reply days: policy %s: %w", p.Name, err)
		}
		for _, pr := range pairs {
			if hists[pr.Type] == nil {
				hists[pr.Type] = map[int]int{}
			}
			days, _ := calendar.WorkingDaysBetween(cal, toDate(pr.ReceivedBucket), toDate(pr.RepliedBucket))
			hists[pr.Type][days] += pr.Count
			counts[pr.Type] += pr.Count
		}
	}
	for _, rt := range RequestTypes {
		d.ReplyDays = append(d.ReplyDays, TypeReplyDay{Type: rt, Replied: counts[rt],
			Median: nearestRank(hists[rt], counts[rt], 50), P90: nearestRank(hists[rt], counts[rt], 90)})
	}
	return nil
}

// zoneHistory is how far before a period dayBuckets checks that a zone kept one offset: the receipt of a
// request replied in the period lies within it in practice (retention and expiry close older ones).
const zoneHistory = 3 * 366 * 24 * time.Hour

// dayBuckets chooses how the store groups instants into the days of loc. A zone that kept one UTC offset over
// the period and the years before it gets whole days, shifted by that offset, so that each bucket is one date; a
// zone that changed its offset (summer time) gets quarter hours, which every offset and change of offset respects,
// and each bucket's date is found in Go. toDate turns a bucket into its date.
func dayBuckets(loc *time.Location, from, to time.Time) (b DayBucket, toDate func(int64) calendar.Date) {
	_, offset := from.In(loc).Zone()
	fixed := true
	for t := from.Add(-zoneHistory); t.Before(to); t = t.Add(24 * time.Hour) {
		if _, o := t.In(loc).Zone(); o != offset {
			fixed = false
			break
		}
	}
	if _, o := to.In(loc).Zone(); o != offset {
		fixed = false
	}
	if fixed {
		return DayBucket{Seconds: 86400, Offset: int64(offset)}, func(b int64) calendar.Date {
			return calendar.NewDate(1970, time.January, 1+int(b))
		}
	}
	const quarter = 15 * 60
	return DayBucket{Seconds: quarter}, func(b int64) calendar.Date {
		return calendar.DateOf(time.Unix(b*quarter, 0).In(loc))
	}
}

// PendingPurges counts, per backup system, the erased requests whose data it still holds: an officer's only of
// her queues' requests; admins, auditors and the backup integrations see all (as OverduePurges).
func (s *Reporting) PendingPurges(ctx context.Context, a Actor) ([]PurgeLoad, error) {
	if err := authorize(a, permReadBackups); err != nil {
		return nil, err
	}
	var visibleTo *string
	if a.Role == RoleOfficer {
		visibleTo = &a.UserID
	}
	return s.db.PendingPurgeCounts(ctx, visibleTo)
}
