package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// reportNow is the clock of the report tests: after every reply of the fixtures, before some due dates.
var reportNow = time.Date(2026, 10, 20, 12, 0, 0, 0, shanghai)

// stored is a request as the report fixtures write it straight to the store, with the fields (outcome, reply,
// denial reason) that no use case sets yet. The due date is given, as the policy's calendar makes it.
type stored struct {
	id       string
	typ      service.RequestType
	status   service.Status
	policy   string // default DefaultPolicy
	received time.Time
	due      string
	replied  time.Time // zero: not replied
	reason   service.DenialReason
}

// mustStore writes the requests through the store in one transaction.
func (e *env) mustStore(tb testing.TB, rs ...stored) {
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
				ID: s.id, Reference: fmt.Sprintf("DSR-%d-%06d", s.received.Year(), i+1), Type: s.typ,
				Status: s.status, Subject: service.Subject{Name: "Li Wei"}, Channel: service.ChannelWebForm,
				Policy: s.policy, ReceivedAt: s.received, Due: service.Due{Date: due, At: due.EndOfDay(loc)},
				Clock:  service.Clock{Start: calendar.DateOf(s.received.In(loc)), Budget: 15},
				Locale: "en", CreatedBy: intake.UserID, CreatedAt: s.received, UpdatedAt: s.received,
			}
			if !s.replied.IsZero() {
				replied := s.replied
				r.RepliedAt = &replied
				r.Outcome = s.status
				r.DenialReason = s.reason
			}
			if err := tx.CreateRequest(ctx, r); err != nil {
				return fmt.Errorf("create %s: %w", s.id, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// mustSummary runs a summary as the auditor.
func (e *env) mustSummary(tb testing.TB, from, to string) *service.Summary {
	tb.Helper()
	sum, err := e.svc.Summary(context.Background(), auditor, service.SummaryQuery{From: mustDate(tb, from),
		To: mustDate(tb, to)})
	if err != nil {
		tb.Fatalf("Summary(%s, %s): %v", from, to, err)
	}
	return sum
}

// sh is a time in Shanghai.
func sh(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, shanghai)
}

// zeroSummary is the summary of a type with nothing received, replied or open.
func zeroSummary(t service.RequestType) service.TypeSummary {
	reasons := map[service.DenialReason]int{}
	for _, r := range service.DenialReasons {
		reasons[r] = 0
	}
	return service.TypeSummary{Type: t, DeniedByReason: reasons}
}

// typeSummary is zeroSummary edited by fn.
func typeSummary(t service.RequestType, fn func(s *service.TypeSummary)) service.TypeSummary {
	s := zeroSummary(t)
	fn(&s)
	return s
}

func num(f float64) *float64 { return &f }

func TestSummary(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(reportNow)
		const (
			access  = service.TypeAccess
			rect    = service.TypeRectification
			del     = service.TypeDeletion
			cancel  = service.TypeAccountCancellation
			port    = service.TypePortability
			open    = service.StatusOpen
			working = service.StatusInProgress
		)
		fulfilled, denied := service.StatusFulfilled, service.StatusDenied
		e.mustStore(t,
			// Access: five replies of 13, 16 (late), 2, 0 and 15 working days.
			// 16-18, 20 (a working Sunday), 21-24, 28-30 Sep, 8-9 Oct: 13 days, by the due date 12 Oct. The reply
			// is dated in Shanghai (9 Oct), not in UTC (8 Oct).
			stored{id: "a1", typ: access, status: fulfilled, received: sh(2026, 9, 15, 10, 0, 0), due: "2026-10-12",
				replied: sh(2026, 10, 9, 7, 30, 0)},
			// The same plus 10 Oct (a working Saturday), 12 and 13 Oct: 16 days, a day late.
			stored{id: "a2", typ: access, status: fulfilled, received: sh(2026, 9, 15, 11, 0, 0), due: "2026-10-12",
				replied: sh(2026, 10, 13, 9, 0, 0)},
			// Received at the first instant of the range.
			stored{id: "a3", typ: access, status: denied, received: sh(2026, 9, 1, 0, 0, 0), due: "2026-09-21",
				replied: sh(2026, 9, 3, 9, 0, 0), reason: service.DenialNoMatch},
			stored{id: "a4", typ: access, status: denied, received: sh(2026, 9, 2, 9, 0, 0), due: "2026-09-22",
				replied: sh(2026, 9, 2, 17, 0, 0), reason: service.DenialInsufficientVerification},
			// At the last second of its due date, still on time: 8-11, 14-18, 20-24 and 28 Sep, 15 days.
			stored{id: "a5", typ: access, status: fulfilled, received: sh(2026, 9, 7, 9, 0, 0), due: "2026-09-28",
				replied: sh(2026, 9, 28, 23, 59, 59)},
			stored{id: "a6", typ: access, status: service.StatusWithdrawn, received: sh(2026, 9, 10, 9, 0, 0),
				due: "2026-10-08"},
			stored{id: "a7", typ: access, status: open, received: sh(2026, 10, 15, 9, 0, 0), due: "2026-11-05"},
			// Before the range: not received in it, but a8 was replied to (not open) and a9 is overdue.
			stored{id: "a8", typ: access, status: working, received: sh(2026, 8, 20, 9, 0, 0), due: "2026-09-10",
				replied: sh(2026, 8, 25, 9, 0, 0)},
			stored{id: "a9", typ: access, status: open, received: sh(2026, 8, 31, 23, 59, 59), due: "2026-09-20"},

			stored{id: "r1", typ: rect, status: service.StatusOnHold, received: sh(2026, 9, 3, 10, 0, 0),
				due: "2026-09-23"},

			stored{id: "d1", typ: del, status: working, received: sh(2026, 9, 1, 9, 0, 0), due: "2026-09-21"},
			// 21-24, 28 Sep: 5 days.
			stored{id: "d2", typ: del, status: denied, received: sh(2026, 9, 20, 10, 0, 0), due: "2026-10-16",
				replied: sh(2026, 9, 28, 10, 0, 0), reason: service.DenialLegalObligation},
			// A denial without a coded reason counts as other.
			stored{id: "d3", typ: del, status: denied, received: sh(2026, 10, 8, 9, 0, 0), due: "2026-10-28",
				replied: sh(2026, 10, 9, 10, 0, 0)},
			// Expired past its due date: closed, so neither open nor overdue.
			stored{id: "d4", typ: del, status: service.StatusExpired, received: sh(2026, 9, 4, 9, 0, 0),
				due: "2026-09-24"},
			stored{id: "d5", typ: del, status: service.StatusDuplicate, received: sh(2026, 9, 30, 9, 0, 0),
				due: "2026-10-27"},
			// 9, 10 (Saturday), 12-16, 19-23, 26-29 Oct: 16 days, a day late.
			stored{id: "d6", typ: del, status: denied, received: sh(2026, 10, 8, 10, 0, 0), due: "2026-10-28",
				replied: sh(2026, 10, 29, 10, 0, 0), reason: service.DenialNotCovered},

			// Received at the last instant of the range, and at the first after it.
			stored{id: "c1", typ: cancel, status: service.StatusUnverified, received: sh(2026, 10, 31, 23, 59, 59),
				due: "2026-11-20"},
			stored{id: "c2", typ: cancel, status: open, received: sh(2026, 11, 1, 0, 0, 0), due: "2026-11-20"},

			// GDPR, counted in weekdays of its own zone: 16-18 Sep, 3 days, within the month.
			stored{id: "p1", typ: port, status: fulfilled, policy: "gdpr",
				received: time.Date(2026, 9, 15, 10, 0, 0, 0, brussels), due: "2026-10-15",
				replied: time.Date(2026, 9, 18, 12, 0, 0, 0, brussels)},
			// Received 31 Aug in Brussels, 1 Sep in Shanghai: in the range, which is in Shanghai time. Replied
			// 1 Oct in Brussels (2 Oct in Shanghai): 22 weekdays of September and 1 Oct, 23 days, a day late.
			stored{id: "p2", typ: port, status: fulfilled, policy: "gdpr",
				received: time.Date(2026, 8, 31, 20, 0, 0, 0, brussels), due: "2026-09-30",
				replied: time.Date(2026, 10, 1, 23, 0, 0, 0, brussels)},
		)

		got := e.mustSummary(t, "2026-09-01", "2026-10-31")
		want := &service.Summary{
			From: mustDate(t, "2026-09-01"), To: mustDate(t, "2026-10-31"), GeneratedAt: reportNow.UTC(),
			Types: []service.TypeSummary{
				typeSummary(access, func(s *service.TypeSummary) {
					s.Received, s.Fulfilled, s.Denied, s.Withdrawn = 7, 3, 2, 1
					s.DeniedByReason[service.DenialNoMatch] = 1
					s.DeniedByReason[service.DenialInsufficientVerification] = 1
					s.Replied, s.RepliedOnTime, s.OnTimeRate = 5, 4, num(0.8)
					// Sorted 0, 2, 13, 15, 16: the median is the 3rd, the 90th percentile the 5th (ceil 4.5).
					s.MedianDaysToReply, s.P90DaysToReply = num(13), num(16)
					s.OpenNow, s.OverdueNow = 2, 1
				}),
				typeSummary(rect, func(s *service.TypeSummary) {
					s.Received, s.OpenNow, s.OverdueNow = 1, 1, 1
				}),
				typeSummary(del, func(s *service.TypeSummary) {
					s.Received, s.Denied, s.Expired, s.Duplicate = 6, 3, 1, 1
					s.DeniedByReason[service.DenialLegalObligation] = 1
					s.DeniedByReason[service.DenialOther] = 1
					s.DeniedByReason[service.DenialNotCovered] = 1
					s.Replied, s.RepliedOnTime, s.OnTimeRate = 3, 2, num(2.0/3.0)
					// Sorted 1, 5, 16: the 2nd (ceil 1.5) and the 3rd (ceil 2.7).
					s.MedianDaysToReply, s.P90DaysToReply = num(5), num(16)
					s.OpenNow, s.OverdueNow = 1, 1
				}),
				zeroSummary(service.TypeConsentWithdrawal),
				typeSummary(cancel, func(s *service.TypeSummary) {
					s.Received, s.OpenNow = 1, 2
				}),
				typeSummary(port, func(s *service.TypeSummary) {
					s.Received, s.Fulfilled = 2, 2
					s.Replied, s.RepliedOnTime, s.OnTimeRate = 2, 1, num(0.5)
					// Sorted 3, 23: the median is the lower (rank 1), the 90th percentile the 2nd (ceil 1.8).
					s.MedianDaysToReply, s.P90DaysToReply = num(3), num(23)
				}),
			},
			Total: typeSummary("", func(s *service.TypeSummary) {
				s.Received, s.Fulfilled, s.Denied = 17, 5, 5
				s.Withdrawn, s.Expired, s.Duplicate = 1, 1, 1
				for _, r := range []service.DenialReason{service.DenialInsufficientVerification,
					service.DenialNoMatch, service.DenialNotCovered, service.DenialLegalObligation,
					service.DenialOther} {
					s.DeniedByReason[r] = 1
				}
				s.Replied, s.RepliedOnTime, s.OnTimeRate = 10, 7, num(0.7)
				// Sorted 0, 1, 2, 3, 5, 13, 15, 16, 16, 23: the 5th and the 9th.
				s.MedianDaysToReply, s.P90DaysToReply = num(5), num(16)
				s.OpenNow, s.OverdueNow = 6, 3
			}),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Summary (-want +got):\n%s", diff)
		}

		// One day, 1 September in Shanghai: a3 at its first instant, d1, and p2 (31 August in Brussels); not a9,
		// a second before. The backlog is the same whatever the range.
		got = e.mustSummary(t, "2026-09-01", "2026-09-01")
		received := map[service.RequestType]int{}
		for _, s := range got.Types {
			received[s.Type] = s.Received
		}
		wantReceived := map[service.RequestType]int{access: 1, rect: 0, del: 1, service.TypeConsentWithdrawal: 0,
			cancel: 0, port: 1}
		if diff := cmp.Diff(wantReceived, received); diff != "" {
			t.Errorf("received on 1 Sep (-want +got):\n%s", diff)
		}
		if got.Total.Received != 3 || got.Total.OpenNow != 6 || got.Total.OverdueNow != 3 {
			t.Errorf("1 Sep: received %d, open %d, overdue %d; want 3, 6, 3", got.Total.Received,
				got.Total.OpenNow, got.Total.OverdueNow)
		}
	})
}

func TestSummaryPercentiles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(reportNow)
		// Received Monday 7 September; 8-11, 14 and 15 September are its 1st to 6th working days.
		received := sh(2026, 9, 7, 9, 0, 0)
		replyDays := map[service.RequestType][]int{
			service.TypeAccess:        {2, 6, 1, 5, 3, 4},
			service.TypeRectification: {1, 6, 1, 1, 1, 1},
			service.TypeDeletion:      {4},
		}
		dates := []time.Time{{}, sh(2026, 9, 8, 12, 0, 0), sh(2026, 9, 9, 12, 0, 0), sh(2026, 9, 10, 12, 0, 0),
			sh(2026, 9, 11, 12, 0, 0), sh(2026, 9, 14, 12, 0, 0), sh(2026, 9, 15, 12, 0, 0)}
		var rs []stored
		for _, rt := range service.RequestTypes {
			for i, d := range replyDays[rt] {
				rs = append(rs, stored{id: fmt.Sprintf("%s-%d", rt, i), typ: rt, status: service.StatusFulfilled,
					received: received, due: "2026-09-28", replied: dates[d]})
			}
		}
		e.mustStore(t, rs...)
		got := e.mustSummary(t, "2026-09-01", "2026-09-30")
		tests := []struct {
			summary     service.TypeSummary
			median, p90 float64
		}{
			// 1..6: the median is the 3rd value, the 90th percentile the 6th (ceil 5.4, not 5.4 rounded).
			{got.Types[0], 3, 6},
			// 1, 1, 1, 1, 1, 6: the 3rd and the 6th.
			{got.Types[1], 1, 6},
			// One value is every percentile.
			{got.Types[2], 4, 4},
			// Thirteen values: 1 x6, 2, 3, 4, 5, 6 x2, 4: sorted 1,1,1,1,1,1,2,3,4,4,5,6,6; ranks 7 and 12.
			{got.Total, 2, 6},
		}
		for _, tt := range tests {
			s := tt.summary
			if s.MedianDaysToReply == nil || s.P90DaysToReply == nil {
				t.Errorf("%q: median %v, p90 %v; want %v, %v", s.Type, s.MedianDaysToReply, s.P90DaysToReply,
					tt.median, tt.p90)
				continue
			}
			if *s.MedianDaysToReply != tt.median || *s.P90DaysToReply != tt.p90 {
				t.Errorf("%q: median %v, p90 %v; want %v, %v", s.Type, *s.MedianDaysToReply, *s.P90DaysToReply,
					tt.median, tt.p90)
			}
		}
	})
}

func TestSummaryNothingReplied(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(reportNow)
		got := e.mustSummary(t, "2026-01-01", "2026-12-31")
		want := &service.Summary{From: mustDate(t, "2026-01-01"), To: mustDate(t, "2026-12-31"),
			GeneratedAt: reportNow.UTC(), Total: zeroSummary("")}
		for _, rt := range service.RequestTypes {
			want.Types = append(want.Types, zeroSummary(rt))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("empty Summary (-want +got):\n%s", diff)
		}

		// Received and open, but nothing replied: rates and percentiles do not exist.
		e.mustStore(t, stored{id: "a1", typ: service.TypeAccess, status: service.StatusOpen,
			received: sh(2026, 10, 15, 9, 0, 0), due: "2026-11-05"})
		got = e.mustSummary(t, "2026-01-01", "2026-12-31")
		for _, s := range append(got.Types[:1:1], got.Total) {
			if s.Received != 1 || s.Replied != 0 || s.OpenNow != 1 || s.OverdueNow != 0 {
				t.Errorf("%q: received %d, replied %d, open %d, overdue %d; want 1, 0, 1, 0", s.Type, s.Received,
					s.Replied, s.OpenNow, s.OverdueNow)
			}
			if s.OnTimeRate != nil || s.MedianDaysToReply != nil || s.P90DaysToReply != nil {
				t.Errorf("%q: rate %v, median %v, p90 %v; want nil", s.Type, s.OnTimeRate, s.MedianDaysToReply,
					s.P90DaysToReply)
			}
		}

		// The backlog is counted at the service clock: a month on, the request is overdue.
		e.clock.Set(time.Date(2026, 11, 6, 0, 0, 0, 0, shanghai))
		got = e.mustSummary(t, "2026-01-01", "2026-12-31")
		if got.Total.OpenNow != 1 || got.Total.OverdueNow != 1 {
			t.Errorf("on 6 Nov: open %d, overdue %d; want 1, 1", got.Total.OpenNow, got.Total.OverdueNow)
		}
	})
}

func TestSummaryCSV(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(reportNow)
		// a1 is received and replied to before 08:00 in Shanghai, the day before in UTC: its 13 days are counted
		// between dates in the policy's zone.
		e.mustStore(t,
			stored{id: "a1", typ: service.TypeAccess, status: service.StatusFulfilled,
				received: sh(2026, 9, 15, 7, 0, 0), due: "2026-10-12", replied: sh(2026, 10, 9, 7, 30, 0)},
			stored{id: "d1", typ: service.TypeDeletion, status: service.StatusDenied,
				received: sh(2026, 9, 15, 11, 0, 0), due: "2026-10-12", replied: sh(2026, 10, 13, 9, 0, 0),
				reason: service.DenialNotCovered},
			stored{id: "d2", typ: service.TypeDeletion, status: service.StatusInProgress,
				received: sh(2026, 9, 15, 9, 0, 0), due: "2026-10-12"},
		)
		var b strings.Builder
		if err := e.mustSummary(t, "2026-09-01", "2026-09-30").WriteCSV(&b); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		want := `type,received,fulfilled,denied,denied_insufficient_verification,denied_no_match,denied_not_covered,denied_legal_obligation,denied_manifestly_unfounded,denied_other,withdrawn,expired,duplicate,replied,replied_on_time,on_time_rate,median_working_days_to_reply,p90_working_days_to_reply,open_now,overdue_now
access,1,1,0,0,0,0,0,0,0,0,0,0,1,1,1.0000,13,13,0,0
rectification,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0
deletion,2,0,1,0,0,1,0,0,0,0,0,0,1,0,0.0000,16,16,1,1
consent_withdrawal,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0
account_cancellation,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0
portability,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,0,0
total,3,1,1,0,0,1,0,0,0,0,0,0,2,1,0.5000,13,16,1,1
`
		if diff := cmp.Diff(want, b.String()); diff != "" {
			t.Errorf("CSV (-want +got):\n%s", diff)
		}
	})
}

func TestSummaryRateDecimals(t *testing.T) {
	third := 1.0 / 3.0
	sum := &service.Summary{Total: service.TypeSummary{OnTimeRate: &third, MedianDaysToReply: num(7),
		P90DaysToReply: num(12)}}
	var b strings.Builder
	if err := sum.WriteCSV(&b); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if got, want := lines[len(lines)-1], "total,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0.3333,7,12,0,0"; got != want {
		t.Errorf("total row %q, want %q", got, want)
	}
}

func TestSummaryValidation(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	tests := []struct {
		name     string
		from, to calendar.Date
		fields   []string
	}{
		{"both missing", calendar.Date{}, calendar.Date{}, []string{"from", "to"}},
		{"from missing", calendar.Date{}, calendar.NewDate(2026, 1, 1), []string{"from"}},
		{"to missing", calendar.NewDate(2026, 1, 1), calendar.Date{}, []string{"to"}},
		{"not a date", calendar.Date{Year: 2026, Month: 2, Day: 30}, calendar.NewDate(2026, 3, 1), []string{"from"}},
		{"to before from", calendar.NewDate(2026, 3, 2), calendar.NewDate(2026, 3, 1), []string{"to"}},
		{"more than 1098 days", calendar.NewDate(2024, 1, 1), calendar.NewDate(2027, 1, 3), []string{"to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Summary(t.Context(), auditor, service.SummaryQuery{From: tt.from, To: tt.to})
			wantError(t, err, service.EINVALID, tt.fields...)
		})
	}
	// 1 Jan 2024 to 2 Jan 2027 is 1098 days, both counted; one day is a range too.
	for _, q := range []service.SummaryQuery{
		{From: calendar.NewDate(2024, 1, 1), To: calendar.NewDate(2027, 1, 2)},
		{From: calendar.NewDate(2026, 3, 1), To: calendar.NewDate(2026, 3, 1)},
	} {
		if _, err := e.svc.Summary(t.Context(), auditor, q); err != nil {
			t.Errorf("Summary(%s, %s): %v", q.From, q.To, err)
		}
	}
}

func TestSummaryRoles(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	q := service.SummaryQuery{From: calendar.NewDate(2026, 1, 1), To: calendar.NewDate(2026, 12, 31)}
	for _, a := range []service.Actor{intake, integration, {UserID: "u-x", Role: "root"}} {
		_, err := e.svc.Summary(t.Context(), a, q)
		wantError(t, err, service.EFORBIDDEN)
	}
	for _, a := range []service.Actor{auditor, officer, admin} {
		if _, err := e.svc.Summary(t.Context(), a, q); err != nil {
			t.Errorf("Summary as %s: %v", a.Role, err)
		}
	}
	// Authorisation comes before validation: a caller who may not read reports learns nothing of the rules.
	_, err := e.svc.Summary(t.Context(), intake, service.SummaryQuery{})
	wantError(t, err, service.EFORBIDDEN)
}
