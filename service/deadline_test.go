package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// The expected dates below are counted by hand from service/calendar/data/cn/2026.json: holidays 01-01..03,
// 02-15..23, 04-04..06, 05-01..05, 06-19..21, 09-25..27, 10-01..07; adjusted working days 01-04 (Sun),
// 02-14 (Sat), 02-28 (Sat), 05-09 (Sat), 09-20 (Sun), 10-10 (Sat). The receipt date is not counted.
func TestFileRequestDueDateCN(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		start    string // the receipt date in Asia/Shanghai
		due      string
		prov     bool
	}{{
		// The contract's example: 09-16..18 (3), 09-20 adjusted (4), 09-21..24 (8), 09-28..30 (11),
		// 10-08, 10-09 (13), 10-10 adjusted (14), 10-12 (15).
		name:     "contract example",
		received: time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai),
		start:    "2026-09-15", due: "2026-10-12",
	}, {
		// 23:30 UTC on 09-30 is 07:30 on 10-01 in Shanghai: the receipt date is the holiday 10-01.
		// 10-08, 10-09, 10-10 (3), 10-12..16 (8), 10-19..23 (13), 10-26, 10-27 (15).
		name:     "late UTC evening is the next day in Shanghai",
		received: time.Date(2026, 9, 30, 23, 30, 0, 0, time.UTC),
		start:    "2026-10-01", due: "2026-10-27",
	}, {
		// 20:00 UTC on 09-15 is 04:00 on 09-16 in Shanghai: one working day later than the contract's example
		// (counted from 09-15, the UTC date, it would be 10-12).
		name:     "receipt date is taken in the policy's zone",
		received: time.Date(2026, 9, 15, 20, 0, 0, 0, time.UTC),
		start:    "2026-09-16", due: "2026-10-13",
	}, {
		// Labour Day holiday, a Saturday: 05-06..08 (3), 05-09 adjusted (4), 05-11..15 (9), 05-18..22 (14), 05-25.
		name:     "receipt on a holiday",
		received: time.Date(2026, 5, 2, 10, 0, 0, 0, shanghai),
		start:    "2026-05-02", due: "2026-05-25",
	}, {
		// 06-15..18 (4), Dragon Boat 06-19..21, 06-22..26 (9), 06-29..07-03 (14), 07-06.
		name:     "receipt on a Sunday",
		received: time.Date(2026, 6, 14, 10, 0, 0, 0, shanghai),
		start:    "2026-06-14", due: "2026-07-06",
	}, {
		// The adjusted working Saturday is the receipt date, so it is not counted: 10-12..16 (5), ..., 10-30 (15).
		name:     "receipt on an adjusted working Saturday",
		received: time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai),
		start:    "2026-10-10", due: "2026-10-30",
	}, {
		// 09-15..18 (4), 09-20 adjusted (5), 09-21..24 (9), 09-28..30 (12), 10-08, 10-09 (14), 10-10 (15).
		name:     "due on an adjusted working Saturday",
		received: time.Date(2026, 9, 14, 10, 0, 0, 0, shanghai),
		start:    "2026-09-14", due: "2026-10-10",
	}, {
		// 02-09..13 (5), 02-14 adjusted (6), Spring Festival 02-15..23, 02-24..27 (10), 02-28 adjusted (11),
		// 03-02..05 (15).
		name:     "across the Spring Festival and two adjusted Saturdays",
		received: time.Date(2026, 2, 6, 10, 0, 0, 0, shanghai),
		start:    "2026-02-06", due: "2026-03-05",
	}, {
		// 17:00 UTC on 2025-12-31 is 01:00 on 2026-01-01 in Shanghai, a holiday: 01-04 adjusted (1),
		// 01-05..09 (6), 01-12..16 (11), 01-19..22 (15).
		name:     "new year in Shanghai while still the old year in UTC",
		received: time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC),
		start:    "2026-01-01", due: "2026-01-22",
	}, {
		// 12-21..25 (5), 12-28..31 (9); 2027 is unpublished: 01-01 assumed a holiday, 01-04..08 (14), 01-11.
		name:     "December receipt reaching into unpublished 2027",
		received: time.Date(2026, 12, 20, 10, 0, 0, 0, shanghai),
		start:    "2026-12-20", due: "2027-01-11", prov: true,
	}}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				filed := e.mustFile(t, admin, receivedAt(tt.received))
				for _, got := range []*service.Request{filed, e.mustRead(t, admin, filed.ID)} {
					if got.Policy != service.DefaultPolicy {
						t.Errorf("policy = %q, want %q", got.Policy, service.DefaultPolicy)
					}
					if got, want := got.Clock.Start, mustDate(t, tt.start); got != want {
						t.Errorf("clock start = %s, want %s", got, want)
					}
					if got, want := got.Due.Date, mustDate(t, tt.due); got != want {
						t.Errorf("due date = %s, want %s", got, want)
					}
					wantAt := mustDate(t, tt.due).EndOfDay(shanghai)
					if !got.Due.At.Equal(wantAt) {
						t.Errorf("due at = %s, want %s", got.Due.At.In(shanghai), wantAt)
					}
					if got.Due.Provisional != tt.prov {
						t.Errorf("provisional = %v, want %v", got.Due.Provisional, tt.prov)
					}
					if got, want := got.Clock.Budget, 15; got != want {
						t.Errorf("clock budget = %d, want %d", got, want)
					}
					if !got.ReceivedAt.Equal(tt.received) {
						t.Errorf("received at = %s, want %s", got.ReceivedAt, tt.received)
					}
				}
			})
		}
	})
}

// The contract's example, spelled out: due_at is 23:59:59 of the due date in Asia/Shanghai.
func TestFileRequestContractExampleDueAt(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		cmd := receivedAt(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
		cmd.Policy = "cn-pipl-15wd"
		cmd.ExternalID = "form-7781"
		r := e.mustRead(t, admin, e.mustFile(t, admin, cmd).ID)
		if got, want := r.Due.Date.String(), "2026-10-12"; got != want {
			t.Errorf("due_date = %s, want %s", got, want)
		}
		if got, want := r.Due.At.In(shanghai).Format(time.RFC3339), "2026-10-12T23:59:59+08:00"; got != want {
			t.Errorf("due_at = %s, want %s", got, want)
		}
		if r.Due.Provisional {
			t.Error("due_provisional = true, want false")
		}
		if got, want := r.Status, service.StatusOpen; got != want {
			t.Errorf("status = %s, want %s", got, want)
		}
	})
}

// A December request's provisional due date is recomputed when 2027 is loaded, and the recomputation is audited.
func TestLoadCalendarYearRecomputesProvisional(t *testing.T) {
	// A synthetic 2027 notice: 01-01 and also 01-04 and 01-05 holidays.
	doc := []byte(`{"year": 2027, "papers": ["https://example.com/notice"], "days": [
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "test", "date": "2027-01-05", "isOffDay": true},
		{"name": "test", "date": "2027-01-04", "isOffDay": true}]}`)
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		prov := e.mustFile(t, admin, receivedAt(time.Date(2026, 12, 20, 10, 0, 0, 0, shanghai)))
		settled := e.mustFile(t, admin, receivedAt(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai)))
		if got, want := prov.Due.Date, mustDate(t, "2027-01-11"); got != want || !prov.Due.Provisional {
			t.Fatalf("before loading: due %s provisional %v, want %s provisional", got, prov.Due.Provisional, want)
		}

		e.clock.Set(testNow.Add(time.Hour))
		got, err := e.svc.LoadCalendarYear(ctx, admin, service.CalendarCN, 2027, doc)
		if err != nil {
			t.Fatalf("LoadCalendarYear: %v", err)
		}
		if want := (service.CalendarYearLoaded{Year: 2027, Days: 3, Recomputed: 1}); got != want {
			t.Errorf("LoadCalendarYear = %+v, want %+v", got, want)
		}

		// 12-21..25 (5), 12-28..31 (9), 01-01 holiday, weekend, 01-04 and 01-05 holidays, 01-06..08 (12),
		// 01-11..13 (15).
		r := e.mustRead(t, admin, prov.ID)
		if got, want := r.Due.Date, mustDate(t, "2027-01-13"); got != want {
			t.Errorf("recomputed due date = %s, want %s", got, want)
		}
		if want := mustDate(t, "2027-01-13").EndOfDay(shanghai); !r.Due.At.Equal(want) {
			t.Errorf("recomputed due at = %s, want %s", r.Due.At, want)
		}
		if r.Due.Provisional {
			t.Error("recomputed due date is still provisional")
		}
		if want := testNow.Add(time.Hour); !r.UpdatedAt.Equal(want) {
			t.Errorf("updated at = %s, want %s", r.UpdatedAt, want)
		}
		if diff := cmp.Diff(prov.Subject, r.Subject); diff != "" {
			t.Errorf("subject changed by the recomputation (-before +after):\n%s", diff)
		}

		evs := e.mustEvents(t, admin, prov.ID)
		var recomputed *service.Event
		for _, ev := range evs {
			if ev.Action == "request.due_recomputed" {
				recomputed = ev
			}
		}
		if recomputed == nil {
			t.Fatalf("no request.due_recomputed event among %v", actions(evs))
		}
		wantData := map[string]string{"from": "2027-01-11", "to": "2027-01-13", "provisional": "false"}
		if diff := cmp.Diff(wantData, recomputed.Data); diff != "" {
			t.Errorf("request.due_recomputed data (-want +got):\n%s", diff)
		}
		if got, want := recomputed.ActorID, admin.UserID; got != want {
			t.Errorf("request.due_recomputed actor = %q, want %q", got, want)
		}

		// The settled request is untouched.
		if diff := cmp.Diff(settled.Due, e.mustRead(t, admin, settled.ID).Due); diff != "" {
			t.Errorf("settled request's due changed (-before +after):\n%s", diff)
		}
		for _, ev := range e.mustEvents(t, admin, settled.ID) {
			if ev.Action == "request.due_recomputed" {
				t.Errorf("settled request got a request.due_recomputed event")
			}
		}

		// New filings, and a fresh service over the same store, count with 2027 published.
		late := e.mustFile(t, admin, receivedAt(time.Date(2026, 12, 20, 10, 0, 0, 0, shanghai)))
		if got, want := late.Due.Date, mustDate(t, "2027-01-13"); got != want || late.Due.Provisional {
			t.Errorf("filed after loading: due %s provisional %v, want %s not provisional", got, late.Due.Provisional, want)
		}
		fresh := mustService(t, e.store, e.clock)
		p, err := fresh.PreviewDeadline(ctx, admin, service.CalendarCN, mustDate(t, "2026-12-20"), 15)
		if err != nil {
			t.Fatalf("PreviewDeadline: %v", err)
		}
		if want := (service.DeadlinePreview{DueDate: mustDate(t, "2027-01-13")}); p != want {
			t.Errorf("fresh service preview = %+v, want %+v", p, want)
		}

		// Loading the same year again recomputes nothing.
		again, err := e.svc.LoadCalendarYear(ctx, admin, service.CalendarCN, 2027, doc)
		if err != nil {
			t.Fatalf("LoadCalendarYear again: %v", err)
		}
		if again.Recomputed != 0 {
			t.Errorf("second load recomputed %d requests, want 0", again.Recomputed)
		}
	})
}

func TestFileRequestDueDateOtherPolicies(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		received time.Time
		loc      *time.Location
		start    string
		due      string
		budget   int
	}{{
		// One month from 01-31 is 02-28, a Saturday: rolled to Monday 03-02.
		name: "gdpr month end rolled past the weekend", policy: "gdpr",
		received: time.Date(2026, 1, 31, 12, 0, 0, 0, brussels), loc: brussels,
		start: "2026-01-31", due: "2026-03-02", budget: 28,
	}, {
		name: "gdpr same date next month", policy: "gdpr",
		received: time.Date(2026, 3, 15, 12, 0, 0, 0, brussels), loc: brussels,
		start: "2026-03-15", due: "2026-04-15", budget: 31,
	}, {
		// 22:30 UTC on 03-31 is 00:30 on 04-01 in Brussels (CEST): one month is 05-01, a Friday.
		name: "gdpr receipt date in Brussels", policy: "gdpr",
		received: time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), loc: brussels,
		start: "2026-04-01", due: "2026-05-01", budget: 30,
	}, {
		// 03-15 + 45 days = 04-29.
		name: "ccpa 45 calendar days", policy: "ccpa",
		received: time.Date(2026, 3, 15, 12, 0, 0, 0, losAngeles), loc: losAngeles,
		start: "2026-03-15", due: "2026-04-29", budget: 45,
	}, {
		// 03-18 + 45 days = 05-02, a Saturday: calendar days do not roll.
		name: "ccpa ending on a Saturday", policy: "ccpa",
		received: time.Date(2026, 3, 18, 12, 0, 0, 0, losAngeles), loc: losAngeles,
		start: "2026-03-18", due: "2026-05-02", budget: 45,
	}, {
		name: "lgpd 15 calendar days", policy: "lgpd",
		received: time.Date(2026, 3, 2, 12, 0, 0, 0, saoPaulo), loc: saoPaulo,
		start: "2026-03-02", due: "2026-03-17", budget: 15,
	}, {
		// 02:00 UTC on 03-15 is 23:00 on 03-14 in São Paulo: 03-14 + 15 = 03-29.
		name: "lgpd receipt date in São Paulo", policy: "lgpd",
		received: time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC), loc: saoPaulo,
		start: "2026-03-14", due: "2026-03-29", budget: 15,
	}}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cmd := receivedAt(tt.received)
				cmd.Policy = tt.policy
				filed := e.mustFile(t, admin, cmd)
				for _, got := range []*service.Request{filed, e.mustRead(t, admin, filed.ID)} {
					if got.Policy != tt.policy {
						t.Errorf("policy = %q, want %q", got.Policy, tt.policy)
					}
					if got, want := got.Clock.Start, mustDate(t, tt.start); got != want {
						t.Errorf("clock start = %s, want %s", got, want)
					}
					if got, want := got.Clock.Budget, tt.budget; got != want {
						t.Errorf("clock budget = %d, want %d", got, want)
					}
					if got, want := got.Due.Date, mustDate(t, tt.due); got != want {
						t.Errorf("due date = %s, want %s", got, want)
					}
					if want := mustDate(t, tt.due).EndOfDay(tt.loc); !got.Due.At.Equal(want) {
						t.Errorf("due at = %s, want %s", got.Due.At.In(tt.loc), want)
					}
					if got.Due.Provisional {
						t.Error("provisional = true, want false")
					}
				}
			})
		}
	})
}

func TestFileRequestUnknownPolicy(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		cmd := deletionCmd()
		cmd.Policy = "hipaa"
		_, _, err := e.svc.FileRequest(context.Background(), admin, cmd)
		wantError(t, err, service.EINVALID, "policy")
		page, err := e.svc.ListRequests(context.Background(), admin, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 {
			t.Errorf("a refused filing stored %d requests", len(page.Items))
		}
	})
}

func TestPolicies(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	ps, err := e.svc.Policies(context.Background(), officer)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name)
	}
	if diff := cmp.Diff([]string{"cn-pipl-15wd", "gdpr", "ccpa", "lgpd"}, got); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	_, err = e.svc.Policies(context.Background(), intake)
	wantError(t, err, service.EFORBIDDEN)
}
