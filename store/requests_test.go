package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// requestsOfEachKind returns a request of every type, each with the details of its type, besides one with every
// field set and one with as few as possible.
func requestsOfEachKind() map[string]*service.Request {
	out := map[string]*service.Request{
		"every field": fullRequest("r-full", "DSR-2026-000001"),
		"minimal":     minimalRequest("r-min", "DSR-2026-000002"),
	}
	kinds := []struct {
		typ     service.RequestType
		details service.Details
	}{
		{service.TypeAccess, service.Details{Categories: []string{"profile", "orders", "location"}}},
		{service.TypeRectification, service.Details{Corrections: []service.Correction{
			{Field: "name", CurrentValue: "Li Lay", CorrectedValue: "Li Lei"},
			{Field: "phone", CorrectedValue: "+86 139 0000 0000"},
		}}},
		{service.TypeDeletion, service.Details{Ground: service.GroundNoLongerUsingService,
			Explanation: "I closed my account in 2024."}},
		{service.TypeConsentWithdrawal, service.Details{Purposes: []string{"marketing"}}},
		{service.TypeAccountCancellation, service.Details{AccountID: "acct-99"}},
		{service.TypePortability, service.Details{Format: "csv",
			Recipient: &service.Recipient{Endpoint: "sftp://import.example/"}}},
	}
	for i, k := range kinds {
		r := minimalRequest("r-"+string(k.typ), fmt.Sprintf("DSR-2026-%06d", 100+i))
		r.Type = k.typ
		r.Details = k.details
		out[string(k.typ)] = r
	}
	return out
}

func TestRequestRoundTrip(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			for name, want := range requestsOfEachKind() {
				t.Run(name, func(t *testing.T) {
					in := *want // the store must not need to change its argument
					if err := st.CreateRequest(ctx, &in); err != nil {
						t.Fatalf("CreateRequest: %v", err)
					}
					got, err := st.FindRequest(ctx, want.ID)
					if err != nil {
						t.Fatalf("FindRequest: %v", err)
					}
					// cmp compares times with time.Equal: the same instant, whatever the zone.
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("FindRequest (-want +got):\n%s", diff)
					}
					for field, tm := range map[string]time.Time{"received_at": got.ReceivedAt,
						"due_at": got.Due.At, "created_at": got.CreatedAt, "updated_at": got.UpdatedAt} {
						if tm.Location() != time.UTC {
							t.Errorf("%s comes back in %v, want UTC", field, tm.Location())
						}
					}
				})
			}
		})
	}
}

// A request sealed ahead of its transaction and numbered and created inside it (CreateFiling: on PostgreSQL its
// own INSERT, built from the row's columns) reads back as filed, with that number; a sealed row another store
// made is refused.
func TestSealedRequestRoundTrip(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			for name, want := range requestsOfEachKind() {
				t.Run(name, func(t *testing.T) {
					in := *want
					in.Reference = ""
					sealed, err := st.SealRequest(&in)
					if err != nil {
						t.Fatalf("SealRequest: %v", err)
					}
					err = st.WithTx(ctx, func(tx service.Store) error {
						in.Reference = want.Reference
						return tx.CreateFiling(ctx, &service.NewFiling{Request: sealed})
					})
					if err != nil {
						t.Fatalf("CreateFiling: %v", err)
					}
					got, err := st.FindRequest(ctx, want.ID)
					if err != nil {
						t.Fatalf("FindRequest: %v", err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("FindRequest (-want +got):\n%s", diff)
					}
				})
			}
			forged := &service.Sealed[*service.Request]{Value: minimalRequest("r-forged", "DSR-2026-999999"), Row: "clear"}
			if err := st.CreateFiling(ctx, &service.NewFiling{Request: forged}); err == nil {
				t.Errorf("CreateFiling of a row the store did not seal succeeded")
			}
		})
	}
}

func TestCreateRequestConflicts(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			first := minimalRequest("r-1", "DSR-2026-000001")
			mustCreate(t, st, first)

			wantCode(t, "duplicate reference", st.CreateRequest(ctx, minimalRequest("r-2", first.Reference)),
				service.ECONFLICT)
			wantCode(t, "duplicate ID", st.CreateRequest(ctx, minimalRequest(first.ID, "DSR-2026-000002")),
				service.ECONFLICT)
			wantCode(t, "FindRequest of the rejected duplicate", func() error {
				_, err := st.FindRequest(ctx, "r-2")
				return err
			}(), service.ENOTFOUND)

			got, err := st.FindRequest(ctx, first.ID)
			if err != nil {
				t.Fatalf("FindRequest: %v", err)
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("first request after rejected duplicates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindRequestNotFound(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			got, err := st.FindRequest(t.Context(), "r-404")
			wantCode(t, "FindRequest(r-404)", err, service.ENOTFOUND)
			if got != nil {
				t.Errorf("FindRequest(r-404) = %+v, want nil", got)
			}
		})
	}
}

// allParts names every part of a request an update may write.
var allParts = []service.RequestPart{service.PartStatus, service.PartClock, service.PartAssignee, service.PartVerified,
	service.PartQueue, service.PartReply, service.PartMerge, service.PartLink}

// TestUpdateRequestEveryPart fills in every field the parts cover, then clears them again: zero values are
// written too, the subject and details stay as filed, and no other request changes.
func TestUpdateRequestEveryPart(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001"), minimalRequest("r-2", "DSR-2026-000002"))
			orig, err := st.FindRequest(ctx, "r-1")
			if err != nil {
				t.Fatal(err)
			}
			other, err := st.FindRequest(ctx, "r-2")
			if err != nil {
				t.Fatal(err)
			}

			full := fullRequest(orig.ID, orig.Reference)
			filled := *orig
			filled.Status, filled.ClosedAt, filled.Clock, filled.Due = full.Status, full.ClosedAt, full.Clock, full.Due
			filled.AssigneeID, filled.VerifiedAt, filled.QueueID = full.AssigneeID, full.VerifiedAt, full.QueueID
			filled.Outcome, filled.DenialReason, filled.ReplyMessage = full.Outcome, full.DenialReason, full.ReplyMessage
			filled.CorrectionOutcomes, filled.RepliedAt = full.CorrectionOutcomes, full.RepliedAt
			filled.DuplicateOf, filled.LinkedRequestID = full.DuplicateOf, full.LinkedRequestID
			filled.UpdatedAt = orig.UpdatedAt.Add(time.Hour)
			if err := st.UpdateRequestParts(ctx, &filled, allParts...); err != nil {
				t.Fatalf("UpdateRequestParts (fill): %v", err)
			}
			got, err := st.FindRequest(ctx, orig.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&filled, got); diff != "" {
				t.Errorf("after filling (-want +got):\n%s", diff)
			}

			cleared := *orig
			cleared.UpdatedAt = orig.UpdatedAt.Add(2 * time.Hour)
			if err := st.UpdateRequestParts(ctx, &cleared, allParts...); err != nil {
				t.Fatalf("UpdateRequestParts (clear): %v", err)
			}
			if got, err = st.FindRequest(ctx, orig.ID); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&cleared, got); diff != "" {
				t.Errorf("after clearing (-want +got):\n%s", diff)
			}
			if got, err := st.FindRequest(ctx, other.ID); err != nil {
				t.Fatal(err)
			} else if diff := cmp.Diff(other, got); diff != "" {
				t.Errorf("other request changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProvisionalRequests(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, err := st.ProvisionalRequests(ctx); err != nil || len(got) != 0 {
				t.Fatalf("ProvisionalRequests on an empty store = %v, %v; want none", got, err)
			}
			closedAt := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
			var want []*service.Request
			for i, tc := range []struct {
				provisional bool
				status      service.Status
			}{
				{true, service.StatusOpen}, {false, service.StatusOpen}, {true, service.StatusFulfilled},
				{false, service.StatusDenied}, {true, service.StatusInProgress}, {true, service.StatusOnHold},
				{true, service.StatusWithdrawn}, {true, service.StatusDuplicate}, {true, service.StatusUnverified},
			} {
				r := fullRequest(fmt.Sprintf("r-%d", 9-i), fmt.Sprintf("DSR-2026-%06d", i+1))
				r.Due.Provisional = tc.provisional
				setState(r, tc.status, closedAt)
				mustCreate(t, st, r)
				if tc.provisional && !tc.status.Terminal() {
					want = append(want, r)
				}
			}
			got, err := st.ProvisionalRequests(ctx)
			if err != nil {
				t.Fatalf("ProvisionalRequests: %v", err)
			}
			byID := func(a, b *service.Request) int { return cmpString(a.ID, b.ID) }
			slices.SortFunc(want, byID)
			slices.SortFunc(got, byID)
			// The service rewrites their due dates: they come whole, subject and details included.
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ProvisionalRequests (-want +got):\n%s", diff)
			}

			// Replying takes a request off the list.
			r := want[0]
			setState(r, service.StatusFulfilled, closedAt.Add(time.Hour))
			if err := st.UpdateRequestParts(ctx, r, service.PartStatus, service.PartReply); err != nil {
				t.Fatalf("UpdateRequestParts: %v", err)
			}
			got, err = st.ProvisionalRequests(ctx)
			if err != nil {
				t.Fatalf("ProvisionalRequests: %v", err)
			}
			if diff := cmp.Diff(ids(want[1:]), ids(got)); diff != "" {
				t.Errorf("ProvisionalRequests after a reply (-want +got):\n%s", diff)
			}
		})
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ids(rs []*service.Request) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

func TestIdempotencyKeys(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001"), minimalRequest("r-2", "DSR-2026-000002"))

			_, err := st.FindIdempotencyKey(ctx, "u-alice", "k-1")
			wantCode(t, "FindIdempotencyKey before any", err, service.ENOTFOUND)

			want := &service.IdempotencyRecord{Scope: "u-alice", Key: "k-1", Fingerprint: "sha256:abc",
				RequestID: "r-1", CreatedAt: time.Date(2026, 3, 2, 18, 1, 2, 345678000, cst)}
			if err := st.CreateIdempotencyKey(ctx, want); err != nil {
				t.Fatalf("CreateIdempotencyKey: %v", err)
			}
			got, err := st.FindIdempotencyKey(ctx, "u-alice", "k-1")
			if err != nil {
				t.Fatalf("FindIdempotencyKey: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FindIdempotencyKey (-want +got):\n%s", diff)
			}

			dup := *want
			dup.RequestID, dup.Fingerprint = "r-2", "sha256:def"
			wantCode(t, "duplicate (scope, key)", st.CreateIdempotencyKey(ctx, &dup), service.ECONFLICT)
			got, err = st.FindIdempotencyKey(ctx, "u-alice", "k-1")
			if err != nil {
				t.Fatalf("FindIdempotencyKey: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FindIdempotencyKey after rejected duplicate (-want +got):\n%s", diff)
			}

			// Another caller's same key is another record.
			bob := &service.IdempotencyRecord{Scope: "u-bob", Key: "k-1", Fingerprint: "sha256:def",
				RequestID: "r-2", CreatedAt: testNow}
			if err := st.CreateIdempotencyKey(ctx, bob); err != nil {
				t.Fatalf("CreateIdempotencyKey, same key, other scope: %v", err)
			}
			got, err = st.FindIdempotencyKey(ctx, "u-bob", "k-1")
			if err != nil {
				t.Fatalf("FindIdempotencyKey(u-bob): %v", err)
			}
			if diff := cmp.Diff(bob, got); diff != "" {
				t.Errorf("FindIdempotencyKey(u-bob) (-want +got):\n%s", diff)
			}
			_, err = st.FindIdempotencyKey(ctx, "u-alice", "k-2")
			wantCode(t, "FindIdempotencyKey of another key", err, service.ENOTFOUND)
		})
	}
}

// Calendar years live here too: they are small.

func mustSchedule(tb testing.TB, doc string) calendar.Schedule {
	tb.Helper()
	s, err := calendar.ParseSchedule([]byte(doc))
	if err != nil {
		tb.Fatalf("ParseSchedule(%s): %v", doc, err)
	}
	return s
}

func TestCalendarYears(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, err := st.CalendarYears(ctx, "cn"); err != nil || len(got) != 0 {
				t.Fatalf("CalendarYears on an empty store = %v, %v; want none", got, err)
			}
			y2027a := mustSchedule(t, `{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}`)
			y2027b := mustSchedule(t, `{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true},
				{"name":"春节","date":"2027-02-06","isOffDay":true},{"name":"春节","date":"2027-01-31","isOffDay":false}]}`)
			y2026 := mustSchedule(t, `{"year":2026,"days":[{"name":"国庆节","date":"2026-10-01","isOffDay":true},
				{"name":"元旦","date":"2025-12-31","isOffDay":false}]}`)
			other := mustSchedule(t, `{"year":2027,"days":[{"name":"Other","date":"2027-05-01","isOffDay":true}]}`)

			for _, s := range []struct {
				name string
				sch  calendar.Schedule
			}{{"cn", y2027a}, {"cn", y2026}, {"other", other}, {"cn", y2027b}} {
				if err := st.SaveCalendarYear(ctx, s.name, s.sch); err != nil {
					t.Fatalf("SaveCalendarYear(%s, %d): %v", s.name, s.sch.Year, err)
				}
			}
			got, err := st.CalendarYears(ctx, "cn")
			if err != nil {
				t.Fatalf("CalendarYears(cn): %v", err)
			}
			if diff := cmp.Diff([]calendar.Schedule{y2026, y2027b}, got); diff != "" {
				t.Errorf("CalendarYears(cn) (-want +got):\n%s", diff)
			}
			got, err = st.CalendarYears(ctx, "other")
			if err != nil {
				t.Fatalf("CalendarYears(other): %v", err)
			}
			if diff := cmp.Diff([]calendar.Schedule{other}, got); diff != "" {
				t.Errorf("CalendarYears(other) (-want +got):\n%s", diff)
			}

			// Inside a transaction too, and a rolled-back save leaves the year as it was.
			err = st.WithTx(ctx, func(tx service.Store) error {
				if err := tx.SaveCalendarYear(ctx, "cn", y2027a); err != nil {
					return err
				}
				return context.Canceled
			})
			if err == nil {
				t.Fatalf("WithTx returned nil, want the function's error")
			}
			got, err = st.CalendarYears(ctx, "cn")
			if err != nil {
				t.Fatalf("CalendarYears(cn): %v", err)
			}
			if diff := cmp.Diff([]calendar.Schedule{y2026, y2027b}, got); diff != "" {
				t.Errorf("CalendarYears(cn) after a rolled-back save (-want +got):\n%s", diff)
			}
		})
	}
}

// Links inserted together read back one by one, each as given.
func TestCreateSubjectLinks(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if err := st.CreateRequest(ctx, minimalRequest("r-1", "DSR-2026-000001")); err != nil {
				t.Fatalf("CreateRequest: %v", err)
			}
			used := testNow.Add(time.Hour)
			want := []*service.SubjectLink{
				{TokenHash: "h-verify", RequestID: "r-1", Purpose: "verify", ExpiresAt: testNow.Add(48 * time.Hour), CreatedAt: testNow},
				{TokenHash: "h-withdraw", RequestID: "r-1", Purpose: "withdraw", ExpiresAt: testNow.Add(96 * time.Hour), CreatedAt: testNow},
				{TokenHash: "h-status", RequestID: "r-1", Purpose: "status", ExpiresAt: testNow.Add(time.Hour), UsedAt: &used, CreatedAt: testNow},
			}
			if err := st.WithTx(ctx, func(tx service.Store) error { return tx.CreateSubjectLinks(ctx, want) }); err != nil {
				t.Fatalf("CreateSubjectLinks: %v", err)
			}
			for _, w := range want {
				got, err := st.FindSubjectLink(ctx, w.TokenHash)
				if err != nil {
					t.Fatalf("FindSubjectLink %s: %v", w.TokenHash, err)
				}
				if diff := cmp.Diff(w, got); diff != "" {
					t.Errorf("link %s (-want +got):\n%s", w.Purpose, diff)
				}
			}
			if err := st.CreateSubjectLinks(ctx, want[:1]); service.ErrorCode(err) != service.ECONFLICT {
				t.Errorf("CreateSubjectLinks of a stored link = %v, want ECONFLICT", err)
			}
		})
	}
}
