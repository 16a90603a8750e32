package api_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// refusingMailer is an SMTP server that refuses every recipient: each mail fails at its first attempt.
type refusingMailer struct{}

func (refusingMailer) Send(context.Context, service.OutgoingMail) error {
	return &service.PermanentError{Err: errors.New("550 5.1.1 mailbox unavailable")}
}

// scrape reads GET /metrics as token, checks that it is Prometheus text, and returns each sample's value by its
// series as the text writes it: name{label="value",...}.
func (h *harness) scrape(t *testing.T, token string) (series map[string]float64, body string) {
	t.Helper()
	res := h.Do(t, http.MethodGet, "/metrics", token, nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %q %s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(bytes.NewReader(res.Body)); err != nil {
		t.Fatalf("metrics are not Prometheus text: %v", err)
	}
	series = map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(res.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, string(res.Body)
}

// TestMetricsContent: after filing requests of two types, one of them overdue, moving one along, and an outbox run
// whose mails the server refuses, the scrape reports each of those facts with its value.
func TestMetricsContent(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			h := newHarnessWith(t, db, service.Config{Mailer: refusingMailer{}})
			prometheus, _ := h.token(t, service.RoleAuditor, "prometheus")
			now := h.clock.Now() // Friday 2026-11-20 10:00 in Shanghai
			// Received 2026-09-15, due 2026-10-12: overdue.
			late := h.fileAt(t, "access", time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
			h.fileAt(t, "access", now)
			moved := h.fileAt(t, "deletion", now)
			if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+moved+"/transitions", h.admin,
				map[string]any{"to": "in_progress"}); res.Status != http.StatusOK {
				t.Fatalf("transition: %d %s", res.Status, res.Body)
			}
			run := h.Do(t, http.MethodPost, "/api/v1/jobs/outbox/runs", h.admin, nil)
			if run.Status != http.StatusCreated || run.Map(t)["detail"] != "0 sent, 0 to retry, 3 failed" {
				t.Fatalf("outbox run: %d %s", run.Status, run.Body)
			}
			h.fileAt(t, "deletion", now) // its acknowledgement waits for the next run: the backlog

			got, body := h.scrape(t, prometheus)
			want := []struct {
				series string
				value  float64
			}{
				{`rightsdesk_database_up`, 1},
				{`rightsdesk_requests{status="open",type="access"}`, 2},
				{`rightsdesk_requests{status="open",type="deletion"}`, 1},
				{`rightsdesk_requests{status="in_progress",type="deletion"}`, 1},
				{`rightsdesk_requests_open{type="access"}`, 2},
				{`rightsdesk_requests_open{type="deletion"}`, 2},
				{`rightsdesk_requests_overdue{type="access"}`, 1},
				{`rightsdesk_requests_overdue{type="deletion"}`, 0},
				{`rightsdesk_outbox_mails{status="pending"}`, 1},
				{`rightsdesk_outbox_mails{status="sent"}`, 0},
				{`rightsdesk_outbox_mails{status="failed"}`, 3},
				{`rightsdesk_job_last_run_ok{job="outbox"}`, 1},
				{`rightsdesk_job_last_run_timestamp_seconds{job="outbox"}`, float64(now.Unix())},
				{`rightsdesk_job_last_run_duration_seconds{job="outbox"}`, 0}, // the clock stood still
				{`rightsdesk_http_request_duration_seconds_count{method="POST",route="/api/v1/requests",status="201"}`, 4},
				{`rightsdesk_http_request_duration_seconds_bucket{method="POST",route="/api/v1/requests",status="201",le="+Inf"}`, 4},
				{`rightsdesk_http_request_duration_seconds_count{method="POST",route="/api/v1/requests/:id/transitions",status="200"}`, 1},
				{`rightsdesk_http_request_duration_seconds_count{method="POST",route="/api/v1/jobs/:name/runs",status="201"}`, 1},
				{`rightsdesk_http_request_duration_seconds_bucket{method="POST",route="/api/v1/jobs/:name/runs",status="201",le="+Inf"}`, 1},
			}
			for _, w := range want {
				if g, ok := got[w.series]; !ok {
					t.Errorf("no series %s", w.series)
				} else if g != w.value {
					t.Errorf("%s = %v, want %v", w.series, g, w.value)
				}
			}
			for _, s := range []string{ // routes not called have no series
				`rightsdesk_http_request_duration_seconds_count{method="GET",route="/api/v1/requests/:id",status="200"}`,
				`rightsdesk_http_request_duration_seconds_count{method="POST",route="/api/v1/requests",status="422"}`,
			} {
				if g, ok := got[s]; ok {
					t.Errorf("%s = %v, want no series", s, g)
				}
			}
			for _, job := range service.JobNames() {
				if _, ok := got[`rightsdesk_job_last_run_ok{job="`+job+`"}`]; ok != (job == service.JobOutbox) {
					t.Errorf("job %s has a last-run series: %v, want only the job that ran", job, ok)
				}
			}
			// Latency buckets are cumulative: each holds at least the one before.
			prev := -1.0
			for _, le := range []string{"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"} {
				n, ok := got[`rightsdesk_http_request_duration_seconds_bucket{method="POST",route="/api/v1/requests",status="201",le="`+le+`"}`]
				if !ok || n < prev {
					t.Errorf("bucket le=%s: %v (present %v) after %v", le, n, ok, prev)
				}
				prev = n
			}
			// Series are labelled by route template, never by a URL's IDs.
			for _, id := range []string{late, moved} {
				if strings.Contains(body, id) {
					t.Errorf("a metric carries request ID %s", id)
				}
			}
			if strings.Contains(body, "li.wei") || strings.Contains(body, "Li Wei") {
				t.Error("a metric carries the subject's personal data")
			}
		})
	}
}
