package scale_test

// The benchmarks of a million stored requests. They skip unless RIGHTSDESK_BENCH_ROWS is set:
//
//	RIGHTSDESK_BENCH_ROWS          seeded tables, comma-separated, each STORED[:DUE]: the requests stored and of
//	                               them how many are due within the reminder window (1000000:10000,100000:1000)
//	RIGHTSDESK_BENCH_DUE           DUE where an entry names none; default 10000
//	RIGHTSDESK_BENCH_DIR           where seeded SQLite files are kept between runs; default $TMPDIR/rdbench
//	RIGHTSDESK_BENCH_POSTGRES_DSN  a PostgreSQL server: run on it too (databases rdbench_*, dropped by
//	                               `go run ./bench/seeddb -pg DSN -drop-all`)
//	RIGHTSDESK_BENCH_DIALECTS      sqlite, postgres or both (default: sqlite, and postgres when a DSN is set)
//
// Seeding writes through the store (bench/seed) and is kept for the next run; each sweep runs on a fresh copy.
// The figures are metrics of the benchmarks, never assertions: what is asserted is only what the sweep did.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/bench/seed"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
)

// pagesPerWalk is how deep an officer pages through a queue before starting again.
const pagesPerWalk = 20

type target struct {
	name string
	tg   seed.Target
}

func targets(b *testing.B) []target {
	b.Helper()
	if os.Getenv("RIGHTSDESK_BENCH_ROWS") == "" {
		b.Skip("RIGHTSDESK_BENCH_ROWS is not set: these benchmarks seed up to a million requests (see bench/scale.sh)")
	}
	dir := os.Getenv("RIGHTSDESK_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "rdbench")
	}
	pg := os.Getenv("RIGHTSDESK_BENCH_POSTGRES_DSN")
	want := os.Getenv("RIGHTSDESK_BENCH_DIALECTS")
	if want == "" {
		want = "sqlite"
		if pg != "" {
			want += ",postgres"
		}
	}
	var out []target
	for _, d := range strings.Split(want, ",") {
		switch strings.TrimSpace(d) {
		case store.SQLite:
			out = append(out, target{store.SQLite, seed.Target{Dialect: store.SQLite, Dir: dir}})
		case store.Postgres:
			if pg == "" {
				b.Fatal("RIGHTSDESK_BENCH_DIALECTS names postgres but RIGHTSDESK_BENCH_POSTGRES_DSN is not set")
			}
			out = append(out, target{store.Postgres, seed.Target{Dialect: store.Postgres, PostgresDSN: pg, Dir: dir}})
		default:
			b.Fatalf("RIGHTSDESK_BENCH_DIALECTS: unknown dialect %q", d)
		}
	}
	return out
}

// table is one seeded table: stored requests, of which due are due within the reminder window.
type table struct{ rows, due int }

// tables parses RIGHTSDESK_BENCH_ROWS.
func tables(b *testing.B) []table {
	b.Helper()
	due := 10_000
	if v := os.Getenv("RIGHTSDESK_BENCH_DUE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			b.Fatalf("RIGHTSDESK_BENCH_DUE: %q is not a count", v)
		}
		due = n
	}
	var out []table
	for _, entry := range strings.Split(os.Getenv("RIGHTSDESK_BENCH_ROWS"), ",") {
		rows, d, found := strings.Cut(strings.TrimSpace(entry), ":")
		t := table{due: due}
		var err error
		if t.rows, err = strconv.Atoi(rows); err != nil || t.rows < 1 {
			b.Fatalf("RIGHTSDESK_BENCH_ROWS: %q is not STORED[:DUE]", entry)
		}
		if found {
			if t.due, err = strconv.Atoi(d); err != nil || t.due < 0 {
				b.Fatalf("RIGHTSDESK_BENCH_ROWS: %q is not STORED[:DUE]", entry)
			}
		}
		t.due = min(t.due, t.rows)
		out = append(out, t)
	}
	return out
}

// prepare returns a seeded database, seeding it when no earlier run has.
func prepare(b *testing.B, tg seed.Target, rows, due int) seed.Fixture {
	b.Helper()
	fx, err := seed.Prepare(context.Background(), tg, seed.Options{Rows: rows, Due: due, Seed: 1, Progress: os.Stderr})
	if err != nil {
		b.Fatalf("seed %d rows: %v", rows, err)
	}
	return fx
}

// openStack opens the store and service on dsn at the seeded present, closed when the benchmark ends.
func openStack(b *testing.B, dsn string) (*store.Store, *service.Service) {
	b.Helper()
	st, svc, err := seed.OpenStack(context.Background(), dsn, func() time.Time { return seed.Now })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, svc
}

// BenchmarkQueueListing lists an officer's queue through service.ListRequests, as GET /api/v1/requests does:
// filtered, sorted by due time, 50 a page, following the cursor up to 20 pages deep, then from the start again.
// It reports the per-page p50 and p99.
func BenchmarkQueueListing(b *testing.B) {
	for _, t := range targets(b) {
		listed := map[int]bool{}
		for _, tb := range tables(b) {
			if listed[tb.rows] {
				continue // one listing per table size
			}
			listed[tb.rows] = true
			b.Run(fmt.Sprintf("%s/stored=%d", t.name, tb.rows), func(b *testing.B) {
				fx := prepare(b, t.tg, tb.rows, tb.due)
				_, svc := openStack(b, fx.DSN)
				officer := service.Actor{UserID: fx.OfficerID, Name: "officer", Role: service.RoleOfficer}
				open, me := service.StatusOpen, "me"
				queries := []struct {
					name  string
					query service.ListRequestsQuery
				}{
					{"queue_open", service.ListRequestsQuery{QueueID: &fx.OfficerQueue, Status: &open, Limit: 50}},
					{"assigned_to_me", service.ListRequestsQuery{AssigneeID: &me, Limit: 50}},
					{"due_within_3", service.ListRequestsQuery{DueWithin: ptr(3), Limit: 50}},
				}
				for _, q := range queries {
					b.Run(q.name, func(b *testing.B) { listPages(b, svc, officer, q.query) })
				}
			})
		}
	}
}

func listPages(b *testing.B, svc *service.Service, officer service.Actor, query service.ListRequestsQuery) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	var cursor string
	page, items := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := query
		q.Cursor = cursor
		start := time.Now()
		p, err := svc.ListRequests(ctx, officer, q)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		items += len(p.Items)
		page++
		cursor = p.NextCursor
		if page == pagesPerWalk || cursor == "" {
			cursor, page = "", 0
		}
	}
	b.StopTimer()
	if items == 0 {
		b.Fatal("the listing is empty: the seeded officer sees nothing")
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(float64(items)/float64(b.N), "items/page")
}

// BenchmarkEscalationSweep runs service.Escalate over every seeded size: first, on a fresh copy whose due
// requests have not been escalated (every one gets its reminder or overdue notice); again, a sweep that finds
// them all already at their level. It reports the requests examined and escalations sent per sweep, the peak
// heap of the process during it and how far that peak rose above the heap before the sweep.
func BenchmarkEscalationSweep(b *testing.B) {
	for _, t := range targets(b) {
		for _, tb := range tables(b) {
			b.Run(fmt.Sprintf("%s/stored=%d/due=%d", t.name, tb.rows, tb.due), func(b *testing.B) {
				fx := prepare(b, t.tg, tb.rows, tb.due)
				b.Run("first", func(b *testing.B) { sweep(b, t.tg, fx, false) })
				b.Run("again", func(b *testing.B) { sweep(b, t.tg, fx, true) })
			})
		}
	}
}

// sweep times Escalate on a fresh copy of fx per iteration; again: after one untimed sweep on that copy.
func sweep(b *testing.B, tg seed.Target, fx seed.Fixture, again bool) {
	ctx := context.Background()
	var peak, growth uint64
	var cpu time.Duration // of the whole process, the store's goroutines included
	var res service.EscalationResult
	b.ReportAllocs()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		copied, drop, err := seed.Copy(ctx, tg, fx, tg.Dir)
		if err != nil {
			b.Fatal(err)
		}
		st, svc, err := seed.OpenStack(ctx, copied.DSN, func() time.Time { return seed.Now })
		if err != nil {
			b.Fatal(err)
		}
		if again {
			if _, err := svc.Escalate(ctx); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		w := watchHeap()
		cpu0 := processCPU()
		b.StartTimer()
		res, err = svc.Escalate(ctx)
		b.StopTimer()
		cpu += processCPU() - cpu0
		w.stop()
		peak, growth = max(peak, w.peak), max(growth, w.peak-w.base)
		st.Close()
		if err := drop(); err != nil {
			b.Fatal(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		if res.Examined != fx.Due {
			b.Fatalf("the sweep examined %d requests, want the %d due", res.Examined, fx.Due)
		}
		if sent := res.Reminders + res.Overdue + res.DPO; again && sent != 0 || !again && sent != fx.Due {
			b.Fatalf("the sweep sent %d escalations (%s)", sent, res)
		}
	}
	b.ReportMetric(float64(res.Examined), "examined/op")
	b.ReportMetric(float64(res.Reminders+res.Overdue+res.DPO), "sent/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// processCPU is the user and system time this process has used: on a machine shared with other work, the
// sweep's own cost, which its wall time is not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapWatch samples the heap's live and unswept objects every 2 ms and keeps the largest value; base is the
// first sample, taken right after a collection: the heap of the whole test process before the sweep.
type heapWatch struct {
	done       chan struct{}
	wg         sync.WaitGroup
	base, peak uint64
}

func watchHeap() *heapWatch {
	w := &heapWatch{done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		w.peak = max(w.peak, sample[0].Value.Uint64())
	}
	read()
	w.base = w.peak
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return w
}

func (w *heapWatch) stop() {
	close(w.done)
	w.wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ptr[T any](v T) *T { return &v }

// BenchmarkDashboard aggregates the dashboard (service.Dashboard) over every seeded size, as the auditor (every
// request) and as an officer (her queues), on a copy of the seeded database: opening it migrates it, and the
// seeded original stays as the other benchmarks expect it. The seeded requests are all open and received in the
// last twenty days, the dashboard's worst case: every one is in the backlog and in the weeks' counts. It reports
// the p50 and p99 of one dashboard.
func BenchmarkDashboard(b *testing.B) {
	for _, t := range targets(b) {
		done := map[int]bool{}
		for _, tb := range tables(b) {
			if done[tb.rows] {
				continue
			}
			done[tb.rows] = true
			b.Run(fmt.Sprintf("%s/stored=%d", t.name, tb.rows), func(b *testing.B) {
				ctx := context.Background()
				fx := prepare(b, t.tg, tb.rows, tb.due)
				copied, drop, err := seed.Copy(ctx, t.tg, fx, t.tg.Dir)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() {
					if err := drop(); err != nil {
						b.Error(err)
					}
				})
				_, svc := openStack(b, copied.DSN)
				actors := []service.Actor{
					{UserID: "bench-auditor", Name: "auditor", Role: service.RoleAuditor},
					{UserID: fx.OfficerID, Name: "officer", Role: service.RoleOfficer},
				}
				for _, a := range actors {
					b.Run(string(a.Role), func(b *testing.B) { dashboards(b, svc, a) })
				}
			})
		}
	}
}

func dashboards(b *testing.B, svc *service.Service, a service.Actor) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	var open int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d, err := svc.Dashboard(ctx, a)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		open = 0
		for _, q := range d.Queues {
			open += q.Open
		}
	}
	b.StopTimer()
	if open == 0 {
		b.Fatal("the dashboard counts no open request")
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(float64(open), "open")
}
