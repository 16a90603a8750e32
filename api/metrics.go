package api

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/rightsdesk/rightsdesk/service"
)

// metrics is the server's Prometheus registry: HTTP latency observed as requests pass, the rest read from the
// database when scraped, so that every replica reports the same figures.
type metrics struct {
	registry *prometheus.Registry
	latency  *prometheus.HistogramVec
}

func newMetrics(svc *service.Service) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rightsdesk_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route", "status"})
	m.registry.MustRegister(m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if svc != nil {
		m.registry.MustRegister(&stateCollector{svc: svc})
	}
	return m
}

// observe records a request's latency under its route template (never its URL, which may carry data).
func (m *metrics) observe(c echo.Context, d time.Duration) {
	m.latency.WithLabelValues(c.Request().Method, c.Path(), strconv.Itoa(c.Response().Status)).Observe(d.Seconds())
}

// stateCollector reads the outbox and the jobs at scrape time.
type stateCollector struct{ svc *service.Service }

var (
	outboxDesc = prometheus.NewDesc("rightsdesk_outbox_mails", "Mails in the outbox by status (failed: gave up after retries).",
		[]string{"status"}, nil)
	jobOKDesc = prometheus.NewDesc("rightsdesk_job_last_run_ok", "1 when the job's last run succeeded, 0 when it failed.",
		[]string{"job"}, nil)
	jobEndDesc = prometheus.NewDesc("rightsdesk_job_last_run_timestamp_seconds", "When the job's last run ended.",
		[]string{"job"}, nil)
	jobDurDesc = prometheus.NewDesc("rightsdesk_job_last_run_duration_seconds", "How long the job's last run took.",
		[]string{"job"}, nil)
	upDesc       = prometheus.NewDesc("rightsdesk_database_up", "1 when the database answered the scrape's queries.", nil, nil)
	requestsDesc = prometheus.NewDesc("rightsdesk_requests", "Requests by type and status.", []string{"type", "status"}, nil)
	openDesc     = prometheus.NewDesc("rightsdesk_requests_open", "Open requests by type.", []string{"type"}, nil)
	overdueDesc  = prometheus.NewDesc("rightsdesk_requests_overdue", "Open requests past their due time, by type.", []string{"type"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxDesc, jobOKDesc, jobEndDesc, jobDurDesc, upDesc, requestsDesc, openDesc, overdueDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.svc.OutboxCounts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for _, st := range []service.MailStatus{service.MailPending, service.MailSent, service.MailFailed} {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	if counts, err := c.svc.RequestCounts(ctx); err == nil {
		for t, byStatus := range counts {
			for st, n := range byStatus {
				ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(n), string(t), string(st))
			}
		}
	}
	if open, err := c.svc.OpenCounts(ctx); err == nil {
		for _, o := range open {
			ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(o.Open), string(o.Type))
			ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(o.Overdue), string(o.Type))
		}
	}
	statuses, err := c.svc.JobStatuses(ctx, service.SystemActor)
	if err != nil {
		return
	}
	for _, st := range statuses {
		r := st.LastRun
		if r == nil || r.FinishedAt == nil {
			continue
		}
		ok := 0.0
		if r.Outcome == "ok" {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(jobOKDesc, prometheus.GaugeValue, ok, st.Name)
		ch <- prometheus.MustNewConstMetric(jobEndDesc, prometheus.GaugeValue, float64(r.FinishedAt.Unix()), st.Name)
		ch <- prometheus.MustNewConstMetric(jobDurDesc, prometheus.GaugeValue, r.FinishedAt.Sub(r.StartedAt).Seconds(), st.Name)
	}
}

// GetMetrics answers the Prometheus text format.
func (s *Server) GetMetrics(ctx context.Context, _ GetMetricsRequestObject) (GetMetricsResponseObject, error) {
	families, err := s.metrics.registry.Gather()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return GetMetrics200TextResponse(b.String()), nil
}
