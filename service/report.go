package service

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// ReportStore reads what the compliance reports count. Neither method returns personal data.
type ReportStore interface {
	// ReportRequests calls fn for every request received in [from, to), ascending by receipt time then ID,
	// without its subject and details; only those of the officer visibleTo's queues when it is not nil. It
	// reads in batches so that memory stays flat however long the range; the first error of fn stops the scan
	// and is returned as is.
	ReportRequests(ctx context.Context, from, to time.Time, visibleTo *string, fn func(*Request) error) error
	// OpenRequestCounts counts, per type, the requests open at now (status not terminal and no reply sent)
	// and those of them past their due time; only those of the officer visibleTo's queues when it is not nil.
	// Types with no open request are absent.
	OpenRequestCounts(ctx context.Context, now time.Time, visibleTo *string) ([]OpenCount, error)
}

// OpenCount is the backlog of one type of request.
type OpenCount struct {
	Type    RequestType
	Open    int // status not terminal and not replied to
	Overdue int // open and due before now
}

// maxReportDays bounds the range of a report: three years, the span regulators ask about at most.
const maxReportDays = 366 * 3

// SummaryQuery selects the requests a summary counts: those received from From to To, both inclusive, as
// dates in the default policy's time zone.
type SummaryQuery struct {
	From, To calendar.Date
}

// Summary is the compliance summary regulators ask for (e.g. the CCPA's annual disclosure of the requests
// received, complied with and denied, and the time taken to respond).
type Summary struct {
	From, To    calendar.Date
	GeneratedAt time.Time
	Types       []TypeSummary // one per RequestTypes, in that order, even when nothing was received
	Total       TypeSummary   // every type together; its Type is ""
}

// TypeSummary is the summary of one type of request. Received to RepliedOnTime and the reply times count the
// requests received in the summary's range by their status and reply now; OpenNow and OverdueNow are the
// backlog at GeneratedAt, whenever its requests were received.
type TypeSummary struct {
	Type      RequestType // "" for the total
	Received  int
	Fulfilled int
	Denied    int
	// DeniedByReason has every DenialReason, zero included; a denial without a known reason counts as other.
	DeniedByReason map[DenialReason]int
	Withdrawn      int
	Expired        int
	Duplicate      int
	Replied        int // a reply was sent, whatever the outcome
	RepliedOnTime  int // the reply was sent by the due time
	OnTimeRate     *float64
	// MedianDaysToReply and P90DaysToReply are nearest-rank percentiles of the working days, in the
	// calendar of each request's policy, from the receipt date to the reply date; nil when nothing was replied.
	MedianDaysToReply *float64
	P90DaysToReply    *float64
	OpenNow           int
	OverdueNow        int
}

// Summary counts the requests received in q's range and the backlog now: for an officer, only her queues'
// requests; for admins and auditors, all. EINVALID naming "from" or "to" for a bad range; EFORBIDDEN for roles
// that may not read reports.
func (s *Reporting) Summary(ctx context.Context, a Actor, q SummaryQuery) (*Summary, error) {
	if err := authorize(a, permReadReports); err != nil {
		return nil, err
	}
	if err := validateSummaryQuery(q); err != nil {
		return nil, err
	}
	def, err := s.policy(DefaultPolicy)
	if err != nil {
		return nil, err
	}
	now := s.now()
	t := newSummaryTally(s.cals.Load(), s.policies)
	from, to := q.From.Start(def.Location), q.To.AddDays(1).Start(def.Location)
	var visibleTo *string
	if a.Role == RoleOfficer {
		visibleTo = &a.UserID
	}
	if err := s.db.ReportRequests(ctx, from, to, visibleTo, t.add); err != nil {
		return nil, fmt.Errorf("summary %s to %s: %w", q.From, q.To, err)
	}
	open, err := s.db.OpenRequestCounts(ctx, now, visibleTo)
	if err != nil {
		return nil, fmt.Errorf("summary open requests: %w", err)
	}
	for _, c := range open {
		ty, ok := t.types[c.Type]
		if !ok {
			return nil, fmt.Errorf("summary open requests: unknown request type %q", c.Type)
		}
		ty.OpenNow += c.Open
		ty.OverdueNow += c.Overdue
		t.total.OpenNow += c.Open
		t.total.OverdueNow += c.Overdue
	}
	sum := &Summary{From: q.From, To: q.To, GeneratedAt: now, Types: make([]TypeSummary, 0, len(RequestTypes))}
	for _, rt := range RequestTypes {
		sum.Types = append(sum.Types, t.types[rt].finish())
	}
	sum.Total = t.total.finish()
	return sum, nil
}

func validateSummaryQuery(q SummaryQuery) error {
	var f fieldErrors
	check := func(field string, d calendar.Date) bool {
		switch {
		case d.IsZero():
			f.add(field, "is required")
		case calendar.NewDate(d.Year, d.Month, d.Day) != d:
			f.add(field, "is not a valid date")
		default:
			return true
		}
		return false
	}
	fromOK, toOK := check("from", q.From), check("to", q.To)
	switch {
	case !fromOK || !toOK:
	case q.To.Before(q.From):
		f.add("to", "must not be before from")
	case daysBetween(q.From, q.To)+1 > maxReportDays:
		f.add("to", "the range may span at most %d days", maxReportDays)
	}
	return f.err()
}

// summaryTally accumulates a summary one request at a time.
type summaryTally struct {
	cals     *calendarSet
	policies map[string]*Policy
	types    map[RequestType]*typeTally
	total    *typeTally
}

// typeTally is a TypeSummary in the making, with its reply times as a histogram (working days -> replies),
// which stays small however many requests are counted.
type typeTally struct {
	TypeSummary
	days map[int]int
}

func newSummaryTally(cals *calendarSet, policies []*Policy) *summaryTally {
	t := &summaryTally{cals: cals, policies: make(map[string]*Policy, len(policies)),
		types: make(map[RequestType]*typeTally, len(RequestTypes)), total: newTypeTally("")}
	for _, p := range policies {
		t.policies[p.Name] = p
	}
	for _, rt := range RequestTypes {
		t.types[rt] = newTypeTally(rt)
	}
	return t
}

func newTypeTally(rt RequestType) *typeTally {
	reasons := make(map[DenialReason]int, len(DenialReasons))
	for _, r := range DenialReasons {
		reasons[r] = 0
	}
	return &typeTally{TypeSummary: TypeSummary{Type: rt, DeniedByReason: reasons}, days: map[int]int{}}
}

// add counts r in its type and the total.
func (t *summaryTally) add(r *Request) error {
	ty, ok := t.types[r.Type]
	if !ok {
		return fmt.Errorf("request %s has unknown type %q", r.ID, r.Type)
	}
	days := -1
	if r.RepliedAt != nil {
		p, ok := t.policies[r.Policy]
		if !ok {
			return fmt.Errorf("request %s names unknown policy %q", r.ID, r.Policy)
		}
		cal, err := t.cals.lookup(p.Calendar)
		if err != nil {
			return fmt.Errorf("request %s: %w", r.ID, err)
		}
		days, _ = calendar.WorkingDaysBetween(cal, p.ReceiptDate(r.ReceivedAt),
			calendar.DateOf(r.RepliedAt.In(p.Location)))
	}
	ty.add(r, days)
	t.total.add(r, days)
	return nil
}

// add counts r, replied after days working days (-1: not replied).
func (t *typeTally) add(r *Request, days int) {
	t.Received++
	switch r.Status {
	case StatusFulfilled:
		t.Fulfilled++
	case StatusDenied:
		t.Denied++
		reason := r.DenialReason
		if _, known := t.DeniedByReason[reason]; !known {
			reason = DenialOther
		}
		t.DeniedByReason[reason]++
	case StatusWithdrawn:
		t.Withdrawn++
	case StatusExpired:
		t.Expired++
	case StatusDuplicate:
		t.Duplicate++
	}
	if r.RepliedAt == nil {
		return
	}
	t.Replied++
	if !r.RepliedAt.After(r.Due.At) {
		t.RepliedOnTime++
	}
	t.days[days]++
}

// finish computes the rates and percentiles.
func (t *typeTally) finish() TypeSummary {
	s := t.TypeSummary
	if s.Replied > 0 {
		rate := float64(s.RepliedOnTime) / float64(s.Replied)
		s.OnTimeRate = &rate
	}
	s.MedianDaysToReply = nearestRank(t.days, s.Replied, 50)
	s.P90DaysToReply = nearestRank(t.days, s.Replied, 90)
	return s
}

// nearestRank is the p-th percentile of the n values of hist (value -> occurrences) by the nearest-rank method:
// the value at rank ceil(p/100 * n) of the values sorted ascending, so always one of the values (the median of
// an even count is the lower middle one). Nil when n is 0.
func nearestRank(hist map[int]int, n, p int) *float64 {
	if n == 0 {
		return nil
	}
	rank := (p*n + 99) / 100
	if rank < 1 {
		rank = 1
	}
	values := make([]int, 0, len(hist))
	for v := range hist {
		values = append(values, v)
	}
	sort.Ints(values)
	seen := 0
	for _, v := range values {
		seen += hist[v]
		if seen >= rank {
			f := float64(v)
			return &f
		}
	}
	return nil // unreachable when n is the sum of hist
}

// WriteCSV writes the summary as CSV: a header row, one row per type, then the total as type "total". Values
// that do not exist (a rate without replies) are empty cells; rates have four decimals.
func (s *Summary) WriteCSV(w io.Writer) error {
	header := []string{"type", "received", "fulfilled", "denied"}
	for _, r := range DenialReasons {
		header = append(header, "denied_"+string(r))
	}
	header = append(header, "withdrawn", "expired", "duplicate", "replied", "replied_on_time", "on_time_rate",
		"median_working_days_to_reply", "p90_working_days_to_reply", "open_now", "overdue_now")
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, t := range s.Types {
		if err := cw.Write(t.csvRecord(string(t.Type))); err != nil {
			return err
		}
	}
	if err := cw.Write(s.Total.csvRecord("total")); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func (t *TypeSummary) csvRecord(name string) []string {
	n := strconv.Itoa
	rec := []string{name, n(t.Received), n(t.Fulfilled), n(t.Denied)}
	for _, r := range DenialReasons {
		rec = append(rec, n(t.DeniedByReason[r]))
	}
	return append(rec, n(t.Withdrawn), n(t.Expired), n(t.Duplicate), n(t.Replied), n(t.RepliedOnTime),
		csvFloat(t.OnTimeRate, 4), csvFloat(t.MedianDaysToReply, -1), csvFloat(t.P90DaysToReply, -1),
		n(t.OpenNow), n(t.OverdueNow))
}

// csvFloat formats v with prec decimals (-1: as few as exact), or "" for nil.
func csvFloat(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// RequestCounts counts every request by type and status, for metrics.
func (s *Reporting) RequestCounts(ctx context.Context) (map[RequestType]map[Status]int, error) {
	return s.db.CountRequestsByTypeStatus(ctx)
}

// OpenCounts counts the open and overdue requests by type now, for metrics.
func (s *Reporting) OpenCounts(ctx context.Context) ([]OpenCount, error) {
	return s.db.OpenRequestCounts(ctx, s.now(), nil)
}
