package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The scheduled jobs' names.
const (
	JobEscalations = "escalations"   // reminders and escalations before and after deadlines
	JobOutbox      = "outbox"        // delivers the outbox
	JobExpiry      = "expiry"        // closes requests never verified
	JobCalendars   = "calendars"     // reloads calendars loaded on other replicas; warns of a missing next year
	JobBackups     = "backups"       // chases purges overdue in backups
	JobTransmit    = "transmissions" // sends portability copies to the recipients subjects named
	JobRetention   = "retention"     // redacts requests past their retention
)

// JobSpec is one scheduled job. JobTable is the one list of them: the scheduler, the jobs API, its error
// messages and the operations guide all read it (a test checks the guide).
type JobSpec struct {
	Name string
	// DefaultSchedule is the cron spec used when RIGHTSDESK_SCHEDULE_<NAME> is not set.
	DefaultSchedule string
	// Description says what a run does, for operators.
	Description string
	// run is the use case a run calls.
	run func(s *Service, ctx context.Context) (jobOutcome, error)
}

// EnvVar is the variable that sets the job's schedule.
func (j JobSpec) EnvVar() string { return "RIGHTSDESK_SCHEDULE_" + strings.ToUpper(j.Name) }

// jobOutcome is what a run did: Detail for the run record, Idle when it found nothing to do.
type jobOutcome struct {
	Detail string
	Idle   bool
}

// JobTable lists the jobs in the order the jobs view shows them.
var JobTable = []JobSpec{
	{JobEscalations, "*/15 * * * *", "the escalation ladder: reminders before deadlines, escalations after",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			r, err := s.Escalate(ctx)
			return jobOutcome{Detail: r.String()}, err
		}},
	{JobOutbox, "@every 10s", "delivers the e-mail outbox",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			r, err := s.SendOutbox(ctx)
			idle := !r.NotConfigured && r.Sent == 0 && r.Retrying == 0 && r.Failed == 0
			return jobOutcome{Detail: r.String(), Idle: idle}, err
		}},
	{JobBackups, "@hourly", "chases purges overdue in backups and jobs http data systems have not reported",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			r, err := s.ChaseOverduePurges(ctx)
			if err != nil {
				return jobOutcome{Detail: r.String()}, err
			}
			// http data systems that do not report a deletion in time are chased like backups that keep one.
			d, err := s.ChaseOverdueDataJobs(ctx)
			return jobOutcome{Detail: r.String() + "; " + d.String()}, err
		}},
	{JobTransmit, "@every 1m", "sends portability copies to third-party recipients",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			r, err := s.Transmit(ctx)
			return jobOutcome{Detail: r.String()}, err
		}},
	{JobExpiry, "@hourly", "closes requests never verified, telling the subject; removes expired console sessions",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			n, err := s.ExpireUnverified(ctx)
			if err != nil {
				return jobOutcome{Detail: fmt.Sprintf("%d expired", n)}, err
			}
			m, err := s.EndExpiredSessions(ctx)
			return jobOutcome{Detail: fmt.Sprintf("%d expired; %d console session(s) removed", n, m)}, err
		}},
	{JobRetention, "@daily", "removes personal data and export files from requests closed past their retention",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			n, err := s.RedactExpired(ctx)
			return jobOutcome{Detail: fmt.Sprintf("%d request(s) redacted", n)}, err
		}},
	{JobCalendars, "@every 5m", "reloads calendars loaded on other replicas; warns when next year's is missing",
		func(s *Service, ctx context.Context) (jobOutcome, error) {
			w, err := s.CheckCalendars(ctx)
			if len(w) == 0 {
				return jobOutcome{Detail: "calendars reloaded; next year's schedule in place or not yet due"}, err
			}
			return jobOutcome{Detail: fmt.Sprintf("calendars reloaded; %d warning(s): %s", len(w), strings.Join(w, "; "))}, err
		}},
}

// JobNames lists the jobs' names in JobTable's order.
func JobNames() []string {
	out := make([]string, len(JobTable))
	for i, j := range JobTable {
		out[i] = j.Name
	}
	return out
}

// jobSpec finds a job by name.
func jobSpec(name string) (JobSpec, bool) {
	for _, j := range JobTable {
		if j.Name == name {
			return j, true
		}
	}
	return JobSpec{}, false
}

// JobLease is how long a job run may hold its lease; a holder killed mid-run is replaced after it.
const JobLease = 10 * time.Minute

// JobRun is one run of a job, as the jobs view shows it.
type JobRun struct {
	ID         string
	Job        string
	Holder     string // the replica that ran it
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    string // "running", "ok" or "failed"
	Detail     string // what it did, by counts
	Error      string
	// Idle is set by the run that found nothing to do, so that a frequent job stays quiet; not stored.
	Idle bool
}

// JobStore keeps leases and run records.
type JobStore interface {
	// AcquireLease takes the job's lease for holder until the given time, if it is free, expired at now, or
	// already the holder's. It reports whether holder has it.
	AcquireLease(ctx context.Context, job, holder string, now, until time.Time) (bool, error)
	// ReleaseLease frees the job's lease if holder has it.
	ReleaseLease(ctx context.Context, job, holder string, now time.Time) error
	// CreateJobRun inserts a run record.
	CreateJobRun(ctx context.Context, r *JobRun) error
	// FinishJobRun saves a run's end.
	FinishJobRun(ctx context.Context, r *JobRun) error
	// LastJobRuns returns the latest run of each job that ran.
	LastJobRuns(ctx context.Context) ([]*JobRun, error)
}

// errJobBusy is answered when another holder runs the job.
func errJobBusy(job string) error {
	return Errorf(ECONFLICT, "job %s is running elsewhere; try again later", job)
}

// RunJob runs a job now under its lease, for the scheduler (holder: the replica) or an admin. ECONFLICT when
// another holder runs it; ENOTFOUND for an unknown job.
func (s *Service) RunJob(ctx context.Context, a Actor, job, holder string) (*JobRun, error) {
	if err := authorize(a, permRunJobs); err != nil {
		return nil, err
	}
	spec, ok := jobSpec(job)
	if !ok {
		return nil, Errorf(ENOTFOUND, "no such job (jobs: %s)", strings.Join(JobNames(), ", "))
	}
	now := s.now()
	got, err := s.store.AcquireLease(ctx, job, holder, now, now.Add(JobLease))
	if err != nil {
		return nil, fmt.Errorf("acquire %s lease: %w", job, err)
	}
	if !got {
		return nil, errJobBusy(job)
	}
	defer func() {
		// The lease is released even when ctx was cancelled: a stopping replica hands over at once.
		_ = s.store.ReleaseLease(context.WithoutCancel(ctx), job, holder, s.now())
	}()
	run := &JobRun{ID: s.newID(), Job: job, Holder: holder, StartedAt: now, Outcome: "running"}
	if err := s.store.CreateJobRun(ctx, run); err != nil {
		return nil, fmt.Errorf("record %s run: %w", job, err)
	}
	outcome, jobErr := spec.run(s, ctx)
	end := s.now()
	run.FinishedAt, run.Detail, run.Idle, run.Outcome = &end, outcome.Detail, outcome.Idle, "ok"
	if jobErr != nil {
		run.Outcome, run.Error = "failed", ErrorMessage(jobErr)
		if ErrorCode(jobErr) == EINTERNAL {
			run.Error = jobErr.Error() // operators read it; it carries references, never personal data
		}
	}
	if err := s.store.FinishJobRun(context.WithoutCancel(ctx), run); err != nil {
		return run, errors.Join(jobErr, fmt.Errorf("record %s run end: %w", job, err))
	}
	return run, jobErr
}

// JobStatus is a job's last run and schedule, for the jobs view.
type JobStatus struct {
	Name     string
	Schedule string
	LastRun  *JobRun
}

// JobStatuses lists every job with its last run; schedules are the scheduler's to fill in.
func (s *Service) JobStatuses(ctx context.Context, a Actor) ([]JobStatus, error) {
	if err := authorize(a, permReadJobs); err != nil {
		return nil, err
	}
	runs, err := s.store.LastJobRuns(ctx)
	if err != nil {
		return nil, err
	}
	last := map[string]*JobRun{}
	for _, r := range runs {
		last[r.Job] = r
	}
	out := make([]JobStatus, 0, len(JobTable))
	for _, j := range JobTable {
		out = append(out, JobStatus{Name: j.Name, LastRun: last[j.Name]})
	}
	return out, nil
}
