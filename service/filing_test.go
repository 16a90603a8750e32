package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestFileRequestStatusAndReceipt(t *testing.T) {
	// The clock has sub-microsecond digits: the service keeps what every database keeps, microseconds.
	now := time.Date(2027, 3, 1, 2, 0, 0, 123456789, time.UTC)
	tests := []struct {
		actor  service.Actor
		status service.Status
	}{
		{intake, service.StatusUnverified},
		{officer, service.StatusOpen},
		{admin, service.StatusOpen},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(now)
		for _, tt := range tests {
			t.Run(string(tt.actor.Role), func(t *testing.T) {
				filed := e.mustFile(t, tt.actor, deletionCmd())
				for _, got := range []*service.Request{filed, e.mustRead(t, admin, filed.ID)} {
					if got.Status != tt.status {
						t.Errorf("status = %s, want %s", got.Status, tt.status)
					}
					want := now.Truncate(time.Microsecond)
					if !got.ReceivedAt.Equal(want) || !got.CreatedAt.Equal(want) || !got.UpdatedAt.Equal(want) {
						t.Errorf("received, created, updated at = %s, %s, %s; want the clock's %s",
							got.ReceivedAt, got.CreatedAt, got.UpdatedAt, want)
					}
					if got.CreatedBy != tt.actor.UserID {
						t.Errorf("created by = %q, want %q", got.CreatedBy, tt.actor.UserID)
					}
					if got.QueueID != "" || got.AssigneeID != "" || got.RepliedAt != nil || got.Outcome != "" {
						t.Errorf("new request is routed, assigned or replied: %+v", got)
					}
				}
				evs := e.mustEvents(t, admin, filed.ID)
				if len(evs) == 0 || evs[0].Action != "request.filed" {
					t.Fatalf("events = %v, want request.filed first", actions(evs))
				}
				wantData := map[string]string{"reference": filed.Reference, "type": "deletion",
					"status": string(tt.status), "channel": "web_form", "policy": "cn-pipl-15wd",
					"due_date": filed.Due.Date.String()}
				for k, want := range wantData {
					if got, ok := evs[0].Data[k]; !ok || got != want {
						t.Errorf("request.filed data[%q] = %q, want %q (data %v)", k, got, want, evs[0].Data)
					}
				}
				if evs[0].ActorID != tt.actor.UserID {
					t.Errorf("request.filed actor = %q, want %q", evs[0].ActorID, tt.actor.UserID)
				}
			})
		}
	})
}

func TestFileRequestForbiddenRoles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		for _, a := range []service.Actor{auditor, integration, {UserID: "u-x", Role: "superuser"}} {
			_, _, err := e.svc.FileRequest(context.Background(), a, deletionCmd())
			wantError(t, err, service.EFORBIDDEN)
		}
	})
}

func TestFileRequestReferences(t *testing.T) {
	in2026 := time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai)
	tests := []struct {
		name     string
		actor    service.Actor
		received *time.Time // nil: the clock's time, in 2027
		want     string
	}{
		{"first of 2026", admin, &in2026, "DSR-2026-000001"},
		{"second of 2026", officer, &in2026, "DSR-2026-000002"},
		{"third of 2026", admin, ptr(in2026.AddDate(0, 2, 0)), "DSR-2026-000003"},
		{"first of 2025", admin, ptr(time.Date(2025, 6, 1, 10, 0, 0, 0, shanghai)), "DSR-2025-000001"},
		// 16:30 UTC on 2025-12-31 is already 2026-01-01 in Shanghai: the receipt year is the policy's.
		{"new year's eve in UTC", admin, ptr(time.Date(2025, 12, 31, 16, 30, 0, 0, time.UTC)), "DSR-2026-000004"},
		{"2025 continues", officer, ptr(time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC)), "DSR-2025-000002"},
		{"first of 2027, by intake", intake, nil, "DSR-2027-000001"},
		{"2026 continues", admin, &in2026, "DSR-2026-000005"},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tt := range tests {
			cmd := deletionCmd()
			cmd.ReceivedAt = tt.received
			r := e.mustFile(t, tt.actor, cmd)
			if r.Reference != tt.want {
				t.Errorf("%s: reference = %s, want %s", tt.name, r.Reference, tt.want)
			}
			if got := e.mustRead(t, admin, r.ID).Reference; got != tt.want {
				t.Errorf("%s: stored reference = %s, want %s", tt.name, got, tt.want)
			}
		}
	})
}

func TestFileRequestIdempotency(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cmd := deletionCmd()
		cmd.IdempotencyKey = "form-7781-attempt"
		first, replayed, err := e.svc.FileRequest(ctx, intake, cmd)
		if err != nil || replayed {
			t.Fatalf("first filing: replayed %v, err %v; want a new request", replayed, err)
		}

		// A retry a minute later files nothing new and answers the same request, as stored.
		e.clock.Set(testNow.Add(time.Minute))
		again, replayed, err := e.svc.FileRequest(ctx, intake, cmd)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !replayed {
			t.Error("retry: replayed = false, want true")
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("retry answered another request (-first +retry):\n%s", diff)
		}

		// The same key with another body is a conflict.
		other := cmd
		other.Subject.Name = "Wang Fang"
		_, _, err = e.svc.FileRequest(ctx, intake, other)
		wantError(t, err, service.ECONFLICT)
		withPolicy := cmd
		withPolicy.Policy = "gdpr"
		_, _, err = e.svc.FileRequest(ctx, intake, withPolicy)
		wantError(t, err, service.ECONFLICT)

		// Keys are per caller: another caller's same key files its own request.
		theirs, replayed, err := e.svc.FileRequest(ctx, officer, cmd)
		if err != nil || replayed {
			t.Fatalf("other caller: replayed %v, err %v; want a new request", replayed, err)
		}
		if theirs.ID == first.ID {
			t.Error("another caller's key replayed the first caller's request")
		}

		// Without a key, the same body files again.
		cmd.IdempotencyKey = ""
		plain := e.mustFile(t, intake, cmd)
		if plain.ID == first.ID {
			t.Error("a filing without a key replayed a request")
		}

		var filed int
		for _, ev := range e.mustEvents(t, admin, first.ID) {
			if ev.Action == "request.filed" {
				filed++
			}
		}
		if filed != 1 {
			t.Errorf("%d request.filed events for the replayed request, want 1", filed)
		}
		page, err := e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(page.Items), 3; got != want {
			t.Errorf("%d requests stored, want %d", got, want)
		}
		// Refused retries took no reference number.
		if got, want := plain.Reference, "DSR-2027-000003"; got != want {
			t.Errorf("reference after conflicts = %s, want %s", got, want)
		}
	})
}

// Retries racing each other with one key file one request, and every one of them answers it.
func TestFileRequestIdempotencyConcurrent(t *testing.T) {
	const n = 10
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cmd := deletionCmd()
		cmd.IdempotencyKey = "race-1"
		type result struct {
			r        *service.Request
			replayed bool
			err      error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, replayed, err := e.svc.FileRequest(ctx, admin, cmd)
				results[i] = result{r, replayed, err}
			}()
		}
		close(start)
		wg.Wait()

		fresh := 0
		var id string
		for i, res := range results {
			if res.err != nil {
				t.Fatalf("filing %d: %v", i, res.err)
			}
			if id == "" {
				id = res.r.ID
			}
			if res.r.ID != id {
				t.Errorf("filing %d answered request %s, want %s", i, res.r.ID, id)
			}
			if !res.replayed {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d filings answered replayed = false, want 1", fresh)
		}
		page, err := e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 {
			t.Errorf("%d requests stored, want 1", len(page.Items))
		}
		// Each replay answered the subject's data again: an audited read.
		want := []string{"request.filed"}
		for range n - 1 {
			want = append(want, "request.read")
		}
		if got := actions(e.mustEvents(t, admin, id)); !cmp.Equal(got, want) {
			t.Errorf("events = %v, want one request.filed and a request.read per replay", got)
		}
		if got, want := e.mustFile(t, admin, deletionCmd()).Reference, "DSR-2027-000002"; got != want {
			t.Errorf("next reference = %s, want %s", got, want)
		}
	})
}
