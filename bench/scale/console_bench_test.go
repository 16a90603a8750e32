package scale_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/bench/seed"
	"github.com/rightsdesk/rightsdesk/web/console"
)

// nextRe finds the work list's link to its next page.
var nextRe = regexp.MustCompile(`href="(/console/\?[^"]*cursor=[^"]*)"`)

// stylesheetRe finds the style sheets a console page loads.
var stylesheetRe = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)

// BenchmarkConsoleWorkList renders the officer's work list (GET /console/) over the seeded requests, through
// the console's whole handler (its middleware, her session read from the database, the listing, the template)
// in process, signed in: her queues' active requests, hers, those due within 3 working days and the overdue ones,
// 50 a page, following the page's "Next" link up to 20 pages deep, then from the start again. It reports the
// server-side time per page, p50 and p99, and the weight of a page with its style sheets.
func BenchmarkConsoleWorkList(b *testing.B) {
	for _, t := range targets(b) {
		listed := map[int]bool{}
		for _, tb := range tables(b) {
			if listed[tb.rows] {
				continue
			}
			listed[tb.rows] = true
			b.Run(fmt.Sprintf("%s/stored=%d", t.name, tb.rows), func(b *testing.B) {
				fx := prepare(b, t.tg, tb.rows, tb.due)
				_, svc := openStack(b, fx.DSN)
				con, err := console.New(console.Config{Service: svc, Logger: zerolog.Nop(),
					Now: func() time.Time { return seed.Now }})
				if err != nil {
					b.Fatal(err)
				}
				started, err := svc.StartSession(context.Background(), fx.OfficerID)
				if err != nil {
					b.Fatal(err)
				}
				cookie := &http.Cookie{Name: "rd_console", Value: started.Secret}
				for _, q := range []struct{ name, query string }{
					{"active", ""},
					{"assigned_to_me", "assignee=me"},
					{"due_within_3", "due_within=3"},
					{"overdue", "overdue=true"},
				} {
					b.Run(q.name, func(b *testing.B) { renderPages(b, con, cookie, "/console/?"+q.query) })
				}
			})
		}
	}
}

func renderPages(b *testing.B, con http.Handler, cookie *http.Cookie, first string) {
	get := func(path string) (string, time.Duration) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		con.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec.Body.String(), took
	}
	body, _ := get(first)
	weight := len(body)
	for _, m := range stylesheetRe.FindAllStringSubmatch(body, -1) {
		css, _ := get(m[1])
		weight += len(css)
	}
	lat := make([]time.Duration, 0, b.N)
	path, page, maxPage := first, 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body, took := get(path)
		lat = append(lat, took)
		maxPage = max(maxPage, len(body))
		page++
		m := nextRe.FindStringSubmatch(body)
		if m == nil || page == pagesPerWalk {
			path, page = first, 0
			continue
		}
		path = html.UnescapeString(m[1])
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(float64(weight)/1024, "first-page-with-css-KB")
	b.ReportMetric(float64(maxPage)/1024, "largest-page-KB")
}
