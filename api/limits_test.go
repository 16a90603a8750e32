package api_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestFilingLimits: a client address past its filings a minute, and a subject past its web-form filings a day,
// get 429 with Retry-After; nothing more is filed.
func TestFilingLimits(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(shanghaiNoon())
			st := storetest.MustOpen(t, db, clk.Now)
			svc, err := service.New(context.Background(), service.Config{Store: st, Now: clk.Now, SubjectDailyCap: 2})
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

			for i, want := range []int{201, 201, 429} {
				res := c.Do(t, "POST", "/api/v1/requests", intake.Secret, deletion())
				if res.Status != want {
					t.Fatalf("web-form filing %d for one subject: %d, want %d: %s", i+1, res.Status, want, res.Body)
				}
				if want == 429 && res.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
			// Officers and admins are not capped per subject: a letter is a letter.
			if res := c.Do(t, "POST", "/api/v1/requests", admin, deletion()); res.Status != 201 {
				t.Errorf("admin filing past the subject cap: %d", res.Status)
			}
			limited := 0
			for range 60 {
				if c.Do(t, "POST", "/api/v1/requests", admin, "{").Status == 429 {
					limited++
				}
			}
			if limited == 0 {
				t.Error("60 filings in a burst from one address were never limited")
			}
		})
	}
}
