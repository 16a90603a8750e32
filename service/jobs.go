package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The scheduled jobs.
const (
	JobEscalations = "escalations"   // reminders and escalations before and after deadlines
	JobOutbox      = "outbox"        // delivers the outbox
	JobExpiry      = "expiry"        // closes requests never verified
	JobCalendars   = "calendars"     // reloads calendars loaded on other replicas; warns of a missing next year
	JobBackups     = "backups"       // chases purges overdue in backups
	JobTransmit    = "transmissions" // sends portability copies to the recipients subjects named
)

// Jobs lists the jobs in the order the jobs view shows them.
var Jobs = []string{JobEscalations, JobOutbox, JobBackups, JobTransmit, JobExpiry, JobRetention, JobCalendars}

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
	fn, ok := s.jobFuncs()[job]
	if !ok {
		return nil, Errorf(ENOTFOUND, "no such job (jobs: escalations, outbox, backups, transmissions, expiry, retention, calendars)")
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
	detail, jobErr := fn(ctx)
	end := s.now()
	run.FinishedAt, run.Detail, run.Outcome = &end, detail, "ok"
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

func (s *Service) jobFuncs() map[string]func(context.Context) (string, error) {
	return map[string]func(context.Context) (string, error){
		JobEscalations: func(ctx context.Context) (string, error) {
			r, err := s.Escalate(ctx)
			return r.String(), err
		},
		JobOutbox: func(ctx context.Context) (string, error) {
			r, err := s.SendOutbox(ctx)
			return r.String(), err
		},
		JobBackups: func(ctx context.Context) (string, error) {
			r, err := s.ChaseOverduePurges(ctx)
			if err != nil {
				return r.String(), err
			}
			// http data systems that do not report a deletion in time are chased like backups that keep one.
			d, err := s.ChaseOverdueDataJobs(ctx)
			return r.String() + "; " + d.String(), err
		},
		JobTransmit: func(ctx context.Context) (string, error) {
			r, err := s.Transmit(ctx)
			return r.String(), err
		},
		JobRetention: func(ctx context.Context) (string, error) {
			n, err := s.RedactExpired(ctx)
			return fmt.Sprintf("%d request(s) redacted", n), err
		},
		JobExpiry: func(ctx context.Context) (string, error) {
			n, err := s.ExpireUnverified(ctx)
			return fmt.Sprintf("%d expired", n), err
		},
		JobCalendars: func(ctx context.Context) (string, error) {
			w, err := s.CheckCalendars(ctx)
			if len(w) == 0 {
				return "calendars reloaded; next year's schedule in place or not yet due", err
			}
			return fmt.Sprintf("calendars reloaded; %d warning(s): %s", len(w), strings.Join(w, "; ")), err
		},
	}
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
	out := make([]JobStatus, 0, len(Jobs))
	for _, j := range Jobs {
		out = append(out, JobStatus{Name: j, LastRun: last[j]})
	}
	return out, nil
}
