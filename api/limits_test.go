package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestFilingLimits: a subject past its web-form filings a day gets 429 naming the subject limit, with the real
// wait until the oldest counted filing leaves the 24 hours; an intake token past its address's filings a minute
// gets 429 naming the address limit. Nothing more is filed.
func TestFilingLimits(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(shanghaiNoon())
			st := storetest.MustOpen(t, db, clk.Now)
			svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, SubjectDailyCap: 2})
			if err != nil {
				t.Fatal(err)
			}
			admin, _ := svc.EnsureAdmin(context.Background(), "")
			intake, err := svc.CreatePrincipal(context.Background(), service.SystemActor, service.NewPrincipal{Name: "form", Role: service.RoleIntake})
			if err != nil {
				t.Fatal(err)
			}
			e, err := api.New(api.Config{Service: svc, Logger: zerolog.Nop(), FilingsPerMinute: 1000, FilingsPerMinutePerAddress: 50})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			c := apitest.New(t, srv.URL)

			for i := range 2 {
				if res := c.Do(t, "POST", "/api/v1/requests", intake.Secret, deletion()); res.Status != 201 {
					t.Fatalf("web-form filing %d for one subject: %d %s", i+1, res.Status, res.Body)
				}
			}
			clk.Set(clk.Now().Add(time.Hour))
			res := c.Do(t, "POST", "/api/v1/requests", intake.Secret, deletion())
			if res.Status != 429 || res.Map(t)["limit"] != "subject" {
				t.Fatalf("third web-form filing for one subject: %d %s, want 429 naming the subject limit", res.Status, res.Body)
			}
			if got, want := res.Header.Get("Retry-After"), strconv.Itoa(23*3600); got != want {
				t.Errorf("subject limit: Retry-After %s, want %s (the first filing leaves the 24 hours in 23)", got, want)
			}
			wantTooMany(t, "the subject cap", res, "subject", 23*3600,
				"2 requests for this subject were filed in the last 24 hours, the most a web form may file")
			// Officers and admins are not capped per subject: a letter is a letter.
			if res := c.Do(t, "POST", "/api/v1/requests", admin, deletion()); res.Status != 201 {
				t.Errorf("admin filing past the subject cap: %d", res.Status)
			}
			limited := 0
			for range 60 {
				if res := c.Do(t, "POST", "/api/v1/requests", intake.Secret, "{"); res.Status == 429 {
					if limited == 0 {
						wantTooMany(t, "an intake token's burst from one address", res, "address", 2,
							"filings from this address (5 at once, then one every 1.2s)")
					}
					limited++
				}
			}
			if limited == 0 {
				t.Error("60 intake filings in a burst from one address were never limited")
			}
		})
	}
}

// TestStaffFilingsAreLimitedPerTokenOnly: with the default limits, an officer keying in letters from one
// workstation files 45 requests in a minute, all 201; a web form's intake token from that same address still
// meets the per-address limit (a burst of 5), with a Retry-After of the real wait (one every 2 s).
func TestStaffFilingsAreLimitedPerTokenOnly(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(shanghaiNoon())
			st := storetest.MustOpen(t, db, clk.Now)
			ctx := context.Background()
			svc, err := service.New(ctx, service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			officer, err := svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Olivia Chen",
				Email: "olivia@staff.example", Role: service.RoleOfficer})
			if err != nil {
				t.Fatal(err)
			}
			intake, err := svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "form", Role: service.RoleIntake})
			if err != nil {
				t.Fatal(err)
			}
			e, err := api.New(api.Config{Service: svc, Logger: zerolog.Nop()}) // the default limits
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			c := apitest.New(t, srv.URL)

			start := time.Now()
			for i := range 45 {
				letter := deletion(func(b map[string]any) { b["channel"] = "letter" })
				if res := c.Do(t, "POST", "/api/v1/requests", officer.Secret, letter); res.Status != 201 {
					t.Fatalf("the officer's filing %d: %d %s, want 201", i+1, res.Status, res.Body)
				}
			}
			if d := time.Since(start); d > time.Minute {
				t.Logf("45 filings took %s, more than the minute the test is about", d)
			}
			for i := range 5 {
				email := deletion(func(b map[string]any) {
					b["subject"].(map[string]any)["email"] = fmt.Sprintf("subject%d@example.com", i)
				})
				if res := c.Do(t, "POST", "/api/v1/requests", intake.Secret, email); res.Status != 201 {
					t.Fatalf("the web form's filing %d from the same address: %d %s", i+1, res.Status, res.Body)
				}
			}
			wantTooMany(t, "the web form's sixth filing from the address", c.Do(t, "POST", "/api/v1/requests", intake.Secret, deletion()), "address", 2,
				"filings from this address (5 at once, then one every 2s)")
		})
	}
}
