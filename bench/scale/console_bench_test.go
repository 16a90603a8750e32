package scale_test

import (
	"context"
	"fmt"
	"html"
	"io"
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
// the console's real handler on a loopback HTTP server, signed in with a session: her queues' active requests,
// hers, those due within 3 working days and the overdue ones, 50 a page, following the page's "Next" link up to
// 20 pages deep, then from the start again. It reports the per-page p50 and p99 (the whole round trip, so the
// server's own time is below it), and the weight of a page with its style sheets.
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
				srv := httptest.NewServer(con)
				b.Cleanup(srv.Close)
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
					b.Run(q.name, func(b *testing.B) { renderPages(b, srv.URL, cookie, "/console/?"+q.query) })
				}
			})
		}
	}
}

func renderPages(b *testing.B, base string, cookie *http.Cookie, first string) {
	get := func(path string) (string, time.Duration) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.AddCookie(cookie)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		took := time.Since(start)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
		}
		return string(body), took
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
