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

// Config is what New needs.
type Config struct {
	Service *service.Service
	Logger  zerolog.Logger
	// Holder names this replica in leases and run records, e.g. host:pid.
	Holder string
	// Schedules maps job names to cron specs (5 fields, or descriptors such as @hourly and @every 10s);
	// missing jobs take their service.JobTable default.
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
	for _, j := range service.JobTable {
		job, spec := j.Name, cfg.Schedules[j.Name]
		if spec == "" {
			spec = j.DefaultSchedule
		}
		sched, err := parser.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule of job %s (%s) %q: %w", job, j.EnvVar(), spec, err)
		}
		s.specs[job] = spec
		s.entries[job] = s.cron.Schedule(sched, cron.FuncJob(func() { s.run(job) }))
	}
	return s, nil
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
		if run.Idle {
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
