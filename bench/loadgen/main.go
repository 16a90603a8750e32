// Command loadgen puts a bounded load on a Rightsdesk server (or the floor server of bench/floor) on this machine
// and prints one JSON line: throughput, latency percentiles, errors and, given -pid, the server's resident memory.
//
//	go run ./bench/loadgen -url http://127.0.0.1:8080 -token $ADMIN -mode file -duration 20s -concurrency 16
//	go run ./bench/loadgen -url http://127.0.0.1:8080 -token $OFFICER -mode list \
//	    -path '/api/v1/requests?queue=Q&status=open&limit=50' -pages 20
//
// Mode file posts valid filings (six types, an Idempotency-Key each) to /api/v1/requests and counts 201s. Mode
// list reads a listing and follows next_cursor for up to -pages pages, then starts again, counting 200s. The run
// stops after -duration or -max requests, whichever comes first, and only ever talks to a loopback address.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/bench/internal/filing"
)

// Bounds no flag can lift: a load run is a measurement, not a soak.
const (
	maxDuration    = 10 * time.Minute
	maxConcurrency = 512
	maxRequests    = 5_000_000
)

type config struct {
	url         *url.URL
	token       string
	mode        string
	path        string
	pages       int
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	max         int64
	pid         int
	label       string
}

// Result is the one JSON line a run prints.
type Result struct {
	Label         string         `json:"label,omitempty"`
	Mode          string         `json:"mode"`
	URL           string         `json:"url"`
	Concurrency   int            `json:"concurrency"`
	DurationS     float64        `json:"duration_s"`
	Requests      int64          `json:"requests"`
	OK            int64          `json:"ok"`
	Errors        int64          `json:"errors"`
	Status        map[string]int `json:"status"`
	ThroughputRPS float64        `json:"throughput_rps"`
	P50Ms         float64        `json:"p50_ms"`
	P90Ms         float64        `json:"p90_ms"`
	P99Ms         float64        `json:"p99_ms"`
	MaxMs         float64        `json:"max_ms"`
	RSSMaxMB      float64        `json:"rss_max_mb,omitempty"`  // sampled every 100 ms during the run
	RSSPeakMB     float64        `json:"rss_peak_mb,omitempty"` // VmHWM: the process's high-water mark so far
	// CPU seconds used during the window: by the server (given -pid), by this load generator, and by the whole
	// machine (all cores; the rest is the database server and anything else running).
	CPUServerS  float64 `json:"cpu_server_s,omitempty"`
	CPULoadgenS float64 `json:"cpu_loadgen_s"`
	CPUMachineS float64 `json:"cpu_machine_s"`
	// CPUServerMsPerOK is the server's CPU time per successful request.
	CPUServerMsPerOK float64 `json:"cpu_server_ms_per_ok,omitempty"`
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res, err := run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func parseFlags(args []string) (config, error) {
	var cfg config
	var raw string
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&raw, "url", "http://127.0.0.1:8080", "base URL of the server; must be a loopback address")
	fs.StringVar(&cfg.token, "token", os.Getenv("RIGHTSDESK_BOOTSTRAP_TOKEN"), "bearer token (default $RIGHTSDESK_BOOTSTRAP_TOKEN)")
	fs.StringVar(&cfg.mode, "mode", "file", "file or list")
	fs.StringVar(&cfg.path, "path", "/api/v1/requests?status=open&limit=50", "list mode: the first page's path and query")
	fs.IntVar(&cfg.pages, "pages", 20, "list mode: pages to follow through next_cursor before starting again")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long to measure (at most 10m)")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "load before measuring, not counted")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "requests in flight")
	fs.Int64Var(&cfg.max, "max", 1_000_000, "stop after this many measured requests")
	fs.IntVar(&cfg.pid, "pid", 0, "the server's process ID: sample its resident memory from /proc")
	fs.StringVar(&cfg.label, "label", "", "a name copied into the result")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return cfg, fmt.Errorf("-url: %w", err)
	}
	if !isLoopback(u.Hostname()) {
		return cfg, fmt.Errorf("-url %s: only loopback addresses (127.0.0.1, ::1, localhost) may be loaded", raw)
	}
	cfg.url = u
	switch {
	case cfg.mode != "file" && cfg.mode != "list":
		return cfg, fmt.Errorf("-mode must be file or list")
	case cfg.duration <= 0 || cfg.duration > maxDuration || cfg.warmup < 0 || cfg.warmup > time.Minute:
		return cfg, fmt.Errorf("-duration must be in (0, %s], -warmup in [0, 1m]", maxDuration)
	case cfg.concurrency < 1 || cfg.concurrency > maxConcurrency:
		return cfg, fmt.Errorf("-concurrency must be 1 to %d", maxConcurrency)
	case cfg.max < 1 || cfg.max > maxRequests:
		return cfg, fmt.Errorf("-max must be 1 to %d", maxRequests)
	case cfg.pages < 1:
		return cfg, fmt.Errorf("-pages must be at least 1")
	}
	return cfg, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// worker sends requests of its mode one after the other; in list mode it keeps its place in the listing.
type worker struct {
	cfg    config
	client *http.Client
	id     int
	seq    int
	cursor string // list mode: the next page, "" to start again
	page   int
}

// recorder gathers the measured outcomes.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	status    map[string]int
	errors    int64
	started   atomic.Int64 // measured requests begun, against -max
}

func run(ctx context.Context, cfg config) (Result, error) {
	tr := &http.Transport{MaxIdleConns: cfg.concurrency, MaxIdleConnsPerHost: cfg.concurrency,
		MaxConnsPerHost: cfg.concurrency, DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	rec := &recorder{status: map[string]int{}}
	var measuring atomic.Bool
	ctx, cancel := context.WithTimeout(ctx, cfg.warmup+cfg.duration)
	defer cancel()
	var rss rssSampler
	var wg sync.WaitGroup
	for i := 0; i < cfg.concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{cfg: cfg, client: client, id: i}
			for ctx.Err() == nil {
				counted := measuring.Load()
				if counted && rec.started.Add(1) > cfg.max {
					cancel()
					return
				}
				lat, status, err := w.do(ctx)
				if ctx.Err() != nil {
					return // the run ended mid-request: outside the window, neither a success nor a failure
				}
				if counted {
					rec.add(lat, status, err, cfg.mode)
				}
			}
		}()
	}
	select {
	case <-time.After(cfg.warmup):
	case <-ctx.Done():
	}
	measuring.Store(true)
	cpu0 := readCPU(cfg.pid)
	start := time.Now()
	if cfg.pid > 0 {
		go rss.sample(ctx, cfg.pid)
	}
	<-ctx.Done()
	elapsed := time.Since(start)
	cpu1 := readCPU(cfg.pid)
	wg.Wait()
	res := rec.result(cfg, elapsed)
	res.CPUServerS = round(cpu1.server-cpu0.server, 2)
	res.CPULoadgenS = round(cpu1.self-cpu0.self, 2)
	res.CPUMachineS = round(cpu1.machine-cpu0.machine, 2)
	if cfg.pid > 0 && res.OK > 0 {
		res.CPUServerMsPerOK = round(1000*res.CPUServerS/float64(res.OK), 3)
	}
	res.RSSMaxMB, res.RSSPeakMB = rss.max(), 0
	if cfg.pid > 0 {
		if hwm, err := procStatusKB(cfg.pid, "VmHWM"); err == nil {
			res.RSSPeakMB = round(float64(hwm)/1024, 1)
		}
	}
	if res.OK == 0 {
		return res, fmt.Errorf("no request succeeded: %v", res.Status)
	}
	return res, nil
}

// do sends the worker's next request and reads the whole answer.
func (w *worker) do(ctx context.Context) (time.Duration, int, error) {
	var req *http.Request
	var err error
	if w.cfg.mode == "file" {
		w.seq++
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.url.JoinPath("/api/v1/requests").String(),
			strings.NewReader(filing.Body(w.id, w.seq)))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("loadgen-%d-%d-%d", os.Getpid(), w.id, w.seq))
		}
	} else {
		target := w.cfg.url.String() + w.cfg.path
		if w.cursor != "" {
			target += "&cursor=" + url.QueryEscape(w.cursor)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	}
	if err != nil {
		return 0, 0, err
	}
	if w.cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.cfg.token)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return lat, resp.StatusCode, err
	}
	if w.cfg.mode == "list" {
		w.nextPage(resp.StatusCode, body)
	}
	return lat, resp.StatusCode, nil
}

// nextPage follows next_cursor up to -pages pages, then starts the listing again.
func (w *worker) nextPage(status int, body []byte) {
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	w.page++
	if status != http.StatusOK || json.Unmarshal(body, &page) != nil || page.NextCursor == "" || w.page >= w.cfg.pages {
		w.cursor, w.page = "", 0
		return
	}
	w.cursor = page.NextCursor
}

func (r *recorder) add(lat time.Duration, status int, err error, mode string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := http.StatusCreated
	if mode == "list" {
		want = http.StatusOK
	}
	switch {
	case err != nil:
		r.errors++
		r.status[errorClass(err)]++
	case status != want:
		r.errors++
		r.status[strconv.Itoa(status)]++
	default:
		r.status[strconv.Itoa(status)]++
		r.latencies = append(r.latencies, lat)
	}
}

func errorClass(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport_error"
}

func (r *recorder) result(cfg config, elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	ok := int64(len(r.latencies))
	res := Result{Label: cfg.label, Mode: cfg.mode, URL: cfg.url.String(), Concurrency: cfg.concurrency,
		DurationS: round(elapsed.Seconds(), 2), Requests: ok + r.errors, OK: ok, Errors: r.errors, Status: r.status,
		ThroughputRPS: round(float64(ok)/elapsed.Seconds(), 1)}
	if ok > 0 {
		res.P50Ms = ms(percentile(r.latencies, 0.50))
		res.P90Ms = ms(percentile(r.latencies, 0.90))
		res.P99Ms = ms(percentile(r.latencies, 0.99))
		res.MaxMs = ms(r.latencies[ok-1])
	}
	return res
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 2) }

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// rssSampler keeps the largest VmRSS seen.
type rssSampler struct {
	mu    sync.Mutex
	maxKB int64
}

func (s *rssSampler) sample(ctx context.Context, pid int) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if kb, err := procStatusKB(pid, "VmRSS"); err == nil {
			s.mu.Lock()
			s.maxKB = max(s.maxKB, kb)
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *rssSampler) max() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return round(float64(s.maxKB)/1024, 1)
}

// procStatusKB reads one "Name:   123 kB" line of /proc/PID/status.
func procStatusKB(pid int, name string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", name, pid)
}

// cpuTimes are CPU seconds used so far by the server, this process and the whole machine.
type cpuTimes struct{ server, self, machine float64 }

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux this runs on.
const clockTicks = 100

func readCPU(pid int) cpuTimes {
	var t cpuTimes
	if pid > 0 {
		t.server = procCPU(fmt.Sprintf("/proc/%d/stat", pid))
	}
	t.self = procCPU("/proc/self/stat")
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i := 1; i < len(f) && i <= 8; i++ {
			if i == 4 || i == 5 {
				continue // idle, iowait
			}
			v, _ := strconv.ParseFloat(f[i], 64)
			t.machine += v / clockTicks
		}
	}
	return t
}

// procCPU is utime + stime of a /proc/PID/stat file, in seconds.
func procCPU(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}
