package api

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// Schedules tells the jobs view each job's cron spec and next run on this replica.
type Schedules interface {
	Schedule(job string) (spec string, next time.Time, ok bool)
}

func toAPIJobRun(r *service.JobRun) JobRun {
	out := JobRun{Id: parseUUID(r.ID), Job: r.Job, Holder: r.Holder, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Outcome: JobRunOutcome(r.Outcome), Detail: r.Detail, Error: strPtr(r.Error)}
	if r.FinishedAt != nil {
		ms := r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		out.DurationMs = &ms
	}
	return out
}

// ListJobs answers the jobs view.
func (s *Server) ListJobs(ctx context.Context, _ ListJobsRequestObject) (ListJobsResponseObject, error) {
	statuses, err := s.svc.JobStatuses(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListJobs200JSONResponse{Items: make([]Job, 0, len(statuses)), Warnings: s.svc.Warnings()}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, st := range statuses {
		job := Job{Name: st.Name}
		if s.schedules != nil {
			if spec, next, ok := s.schedules.Schedule(st.Name); ok {
				job.Schedule = spec
				if !next.IsZero() {
					job.NextRun = &next
				}
			}
		}
		if st.LastRun != nil {
			r := toAPIJobRun(st.LastRun)
			job.LastRun = &r
		}
		out.Items = append(out.Items, job)
	}
	return out, nil
}

// RunJob runs a job now.
func (s *Server) RunJob(ctx context.Context, req RunJobRequestObject) (RunJobResponseObject, error) {
	run, err := s.svc.RunJob(ctx, actorFrom(ctx), req.Name, s.holder)
	if run == nil {
		return nil, err
	}
	// A job that ran and failed is answered as a run with outcome failed, not as an error.
	return RunJob201JSONResponse(toAPIJobRun(run)), nil
}

func toAPIMail(m *service.Mail) OutboxMail {
	return OutboxMail{Id: parseUUID(m.ID), Kind: m.Kind, RequestId: uuidPtr(m.RequestID), To: service.MaskAddress(m.To),
		Subject: m.Subject, Status: OutboxMailStatus(m.Status), Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt,
		LastError: strPtr(m.LastError), CreatedAt: m.CreatedAt, SentAt: m.SentAt}
}

// ListOutbox answers the outbox.
func (s *Server) ListOutbox(ctx context.Context, req ListOutboxRequestObject) (ListOutboxResponseObject, error) {
	var status service.MailStatus
	if req.Params.Status != nil {
		status = service.MailStatus(*req.Params.Status)
	}
	limit := 0
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	mails, err := s.svc.OutboxMail(ctx, actorFrom(ctx), status, limit)
	if err != nil {
		return nil, err
	}
	out := ListOutbox200JSONResponse{Items: make([]OutboxMail, 0, len(mails))}
	for _, m := range mails {
		out.Items = append(out.Items, toAPIMail(m))
	}
	return out, nil
}

// RetryMail queues a failed mail again.
func (s *Server) RetryMail(ctx context.Context, req RetryMailRequestObject) (RetryMailResponseObject, error) {
	m, err := s.svc.RetryMail(ctx, actorFrom(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return RetryMail200JSONResponse(toAPIMail(m)), nil
}
