// Package scheduler runs Rightsdesk's jobs on robfig/cron schedules. It is an adapter: each job is one service
// call, run under the job's lease in the database, so that among several replicas only one runs a job at a time
// and a killed replica's lease expires into another's hands.
package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
)

// DefaultSchedules are the cron specs used when the environment sets none.
var DefaultSchedules = map[string]string{
	service.JobEscalations: "*/15 * * * *",
	service.JobOutbox:      "@every 10s",
	service.JobBackups:     "@hourly",
	service.JobTransmit:    "@every 1m",
	service.JobRetention:   "@daily",
	service.JobExpiry:      "@hourly",
	service.JobCalendars:   "@every 5m",
}

// Config is what New needs.
type Config struct {
	Service *service.Service
	Logger  zerolog.Logger
	// Holder names this replica in leases and run records, e.g. host:pid.
	Holder string
	// Schedules maps job names to cron specs (5 fields, or descriptors such as @hourly and @every 10s);
	// missing jobs take DefaultSchedules.
	Schedules map[string]string
}

// Scheduler runs the jobs until its context ends.
type Scheduler struct {
	svc     *service.Service
	log     zerolog.Logger
	holder  string
	cron    *cron.Cron
	specs   map[string]string
	entries map[string]cron.EntryID
	mu      sync.Mutex
	runCtx  context.Context // the context of Run, which jobs run under
}

// New parses the schedules; an invalid spec is an error naming its variable.
func New(cfg Config) (*Scheduler, error) {
	s := &Scheduler{svc: cfg.Service, log: cfg.Logger, holder: cfg.Holder, specs: map[string]string{},
		entries: map[string]cron.EntryID{}, runCtx: context.Background()}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s.cron = cron.New(cron.WithParser(parser), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, job := range service.Jobs {
		spec := cfg.Schedules[job]
		if spec == "" {
			spec = DefaultSchedules[job]
		}
		sched, err := parser.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule of job %s (RIGHTSDESK_SCHEDULE_%s) %q: %w", job, envName(job), spec, err)
		}
		job := job
		s.specs[job] = spec
		s.entries[job] = s.cron.Schedule(sched, cron.FuncJob(func() { s.run(job) }))
	}
	return s, nil
}

// envName is the suffix of a job's schedule variable.
func envName(job string) string {
	out := make([]byte, len(job))
	for i := range job {
		c := job[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// Run starts the schedules and blocks until ctx ends; then it waits for running jobs to finish.
func (s *Scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	s.cron.Start()
	s.log.Info().Str("holder", s.holder).Msg("scheduler started")
	<-ctx.Done()
	<-s.cron.Stop().Done()
	s.log.Info().Msg("scheduler stopped")
}

// run runs one job under its lease; another replica holding it is not an error.
func (s *Scheduler) run(job string) {
	s.mu.Lock()
	ctx := s.runCtx
	s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	run, err := s.svc.RunJob(ctx, service.SystemActor, job, s.holder)
	switch {
	case service.ErrorCode(err) == service.ECONFLICT:
		s.log.Debug().Str("job", job).Msg("job runs on another replica")
	case err != nil:
		s.log.Error().Err(err).Str("job", job).Msg("job failed")
	default:
		ev := s.log.Info()
		if job == service.JobOutbox && run.Detail == "0 sent, 0 to retry, 0 failed" {
			ev = s.log.Debug() // the outbox runs every few seconds: quiet when idle
		}
		ev.Str("job", job).Str("run_id", run.ID).Str("detail", run.Detail).
			Dur("duration", run.FinishedAt.Sub(run.StartedAt)).Msg("job ran")
	}
}

// Schedule answers a job's cron spec and its next run on this replica, for the jobs view.
func (s *Scheduler) Schedule(job string) (spec string, next time.Time, ok bool) {
	id, ok := s.entries[job]
	if !ok {
		return "", time.Time{}, false
	}
	return s.specs[job], s.cron.Entry(id).Next, true
}
