package service

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// dataJob is what an http data system receives: the subject's identities, its map, and how to answer. It is
// signed and sent through the transmitter, with its SSRF checks and allow-list, like a portability copy.
type dataJob struct {
	JobID         string      `json:"job_id"`
	Kind          RunKind     `json:"kind"`
	Reference     string      `json:"reference"`
	Subject       jobSubject  `json:"subject"`
	Map           *DatasetMap `json:"map"`
	Purposes      []string    `json:"purposes,omitempty"` // suppress jobs: the purposes consent was withdrawn for
	CallbackURL   string      `json:"callback_url"`
	CallbackToken string      `json:"callback_token"`
	DueAt         time.Time   `json:"due_at"`
}

type jobSubject struct {
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// sendJob hands an http system its part of a run, with a one-time callback token. The part is saved as pending
// before the job leaves, so that a system answering at once finds it.
func (s *Fulfilment) sendJob(ctx context.Context, run *Run, r *Request, d *DataSystem, sr *SystemRun) {
	if s.transmitter == nil {
		sr.Status, sr.Error = RunFailed, "no transmitter is configured (RIGHTSDESK_TRANSMIT_SECRET): http systems cannot be reached"
		return
	}
	now := s.now()
	token := strings.Join([]string{run.RequestID, run.ID, d.ID, NewTokenSecret()}, ".")
	due := now.Add(d.CallbackTimeout)
	sr.Status, sr.DueAt, sr.CallbackHash = RunPending, &due, HashTokenSecret(token)
	if err := s.db.SaveRun(ctx, run); err != nil {
		sr.Status, sr.Error, sr.DueAt, sr.CallbackHash = RunFailed, "internal error", nil, ""
		return
	}
	body, err := json.Marshal(dataJob{JobID: run.ID + "-" + d.ID, Kind: run.Kind, Reference: r.Reference,
		Subject: jobSubject{r.Subject.Email, r.Subject.Phone, r.Subject.AccountID}, Map: &d.Map, Purposes: r.Details.Purposes,
		CallbackURL: s.publicURL + "/api/v1/data-jobs/results", CallbackToken: token, DueAt: due})
	if err == nil {
		var allowed []string
		if allowed, err = s.transmitAllowList(ctx); err == nil {
			err = s.transmitter.Transmit(ctx, d.Endpoint, Delivery{ID: run.ID + "-" + d.ID, Reference: r.Reference,
				ContentType: "application/json", Body: body, AllowedHosts: allowed})
		}
	}
	if err != nil {
		sr.Status, sr.DueAt, sr.CallbackHash = RunFailed, nil, ""
		// The system's answer may quote the subject: kept as a delivery failure is, addresses masked.
		sr.Error = "the job could not be delivered: " + failureText(err)
		finished := s.now()
		sr.FinishedAt = &finished
	}
}

// mergeReported takes, for each http part still pending in run, what its system reported meanwhile.
func mergeReported(run, stored *Run) {
	for i, sr := range run.Systems {
		if sr.Kind == KindHTTP && sr.Status == RunPending && i < len(stored.Systems) &&
			stored.Systems[i].SystemID == sr.SystemID && stored.Systems[i].Status != RunPending {
			run.Systems[i] = stored.Systems[i]
		}
	}
}

// DataJobReport is what an http system reports of a job.
type DataJobReport struct {
	Status RunStatus // done or failed
	Error  string
	Tables map[string]TableCounts
	Rows   map[string][]map[string]any // collect jobs: the rows found, by table
}

// ReportDataJob records an http system's report of its job, authenticated by the job's one-time callback token.
// ENOTFOUND for a token that names no pending job; ECONFLICT when the job was reported already. When the report
// finishes the run, a collection attaches the rows reported and an erasure is recorded as the request's.
func (s *Fulfilment) ReportDataJob(ctx context.Context, token string, rep DataJobReport) error {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || len(token) > 200 {
		return Errorf(ENOTFOUND, "this callback token is not valid")
	}
	var f fieldErrors
	switch rep.Status {
	case RunDone:
	case RunFailed:
		if strings.TrimSpace(rep.Error) == "" {
			f.add("error", "is required when the job failed")
		}
	default:
		f.add("status", "must be done or failed")
	}
	text(&f, "error", rep.Error, maxValueLen, false)
	for name, c := range rep.Tables {
		if !validIdentifier(name) {
			f.add("tables."+name, "must name a table")
		} else if c.Rows < 0 || c.Deleted < 0 || c.Updated < 0 || c.Retained < 0 {
			f.add("tables."+name, "counts must not be negative")
		}
	}
	for name := range rep.Rows {
		if !validIdentifier(name) {
			f.add("rows."+name, "must name a table")
		}
	}
	if err := f.err(); err != nil {
		return err
	}
	requestID, runID, systemID := parts[0], parts[1], parts[2]
	var run *Run
	var part *SystemRun
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		var err error
		run, err = tx.FindRun(ctx, requestID, runID)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "this callback token is not valid")
		} else if err != nil {
			return err
		}
		for _, sr := range run.Systems {
			if sr.SystemID == systemID && sr.CallbackHash != "" &&
				subtle.ConstantTimeCompare([]byte(sr.CallbackHash), []byte(HashTokenSecret(token))) == 1 {
				part = sr
			}
		}
		switch {
		case part == nil:
			return Errorf(ENOTFOUND, "this callback token is not valid")
		case part.Status != RunPending:
			return Errorf(ECONFLICT, "this job was reported already")
		}
		now := s.now()
		// The system's own words may name the subject: its addresses are masked before they are kept.
		part.Status, part.Error, part.FinishedAt = rep.Status, MaskAddresses(rep.Error), &now
		part.Tables = rep.Tables
		if part.Tables == nil {
			part.Tables = map[string]TableCounts{}
		}
		run.settle(now)
		if run.Status == RunRunning {
			run.FinishedAt = nil
		}
		if err := tx.SaveRun(ctx, run); err != nil {
			return err
		}
		data := map[string]string{"run_id": run.ID, "data_system_id": systemID, "status": string(rep.Status)}
		if err := s.appendEvent(ctx, tx, SystemActor, "run.job_reported", run.RequestID, data); err != nil {
			return err
		}
		if run.Status == RunRunning {
			return nil
		}
		return s.appendEvent(ctx, tx, SystemActor, "run.finished", run.RequestID, run.totals())
	})
	if err != nil {
		return err
	}
	if run.Kind == RunCollect && rep.Status == RunDone {
		r, err := s.db.FindRequest(ctx, run.RequestID)
		if err != nil {
			return err
		}
		if err := s.attachCollected(ctx, SystemActor, r, part.Name, rep.Rows, part); err != nil {
			part.Status, part.Error = RunFailed, "the rows reported could not be attached: "+failure(err)
		}
		if err := s.begin(ctx, func(tx fulfilmentStore) error {
			stored, err := tx.FindRun(ctx, run.RequestID, run.ID)
			if err != nil {
				return err
			}
			for i, sr := range stored.Systems {
				if sr.SystemID == part.SystemID {
					stored.Systems[i] = part
				}
			}
			stored.settle(s.now())
			if stored.Status == RunRunning {
				stored.FinishedAt = nil
			}
			return tx.SaveRun(ctx, stored)
		}); err != nil {
			return err
		}
	}
	return s.recordRunErasure(ctx, SystemActor, run)
}

// DataJobsResult counts what the chase of overdue http jobs did.
type DataJobsResult struct{ Overdue, Notified int }

func (r DataJobsResult) String() string {
	return fmt.Sprintf("%d data-system job(s) overdue; %d newly chased", r.Overdue, r.Notified)
}

// ChaseOverdueDataJobs e-mails the owner of each http data system that has not reported its job within its
// callback timeout, and the DPO, once per job: like an overdue backup purge.
func (s *Fulfilment) ChaseOverdueDataJobs(ctx context.Context) (DataJobsResult, error) {
	var res DataJobsResult
	runs, err := s.db.UnfinishedRuns(ctx, 200)
	if err != nil {
		return res, err
	}
	now := s.now()
	for _, run := range runs {
		for _, sr := range run.Systems {
			if !sr.Overdue(now) {
				continue
			}
			res.Overdue++
			if sr.OverdueAt != nil {
				continue
			}
			if err := s.chaseDataJob(ctx, run, sr.SystemID); err != nil {
				return res, err
			}
			res.Notified++
		}
	}
	return res, nil
}

func (s *Fulfilment) chaseDataJob(ctx context.Context, seen *Run, systemID string) error {
	return s.begin(ctx, func(tx fulfilmentStore) error {
		run, err := tx.FindRun(ctx, seen.RequestID, seen.ID)
		if err != nil {
			return err
		}
		var sr *SystemRun
		for _, p := range run.Systems {
			if p.SystemID == systemID && p.Status == RunPending && p.OverdueAt == nil {
				sr = p
			}
		}
		if sr == nil {
			return nil // reported or chased meanwhile
		}
		r, err := tx.FindRequest(ctx, run.RequestID)
		if err != nil {
			return err
		}
		owner := ""
		if d, err := tx.FindDataSystem(ctx, systemID); err == nil {
			owner = d.OwnerEmail
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		now := s.now()
		data, err := s.dataJobOverdueMail(r, run, sr)
		if err != nil {
			return err
		}
		subject, body, err := renderMail("data_job_overdue", r.Locale, data)
		if err != nil {
			return err
		}
		for _, to := range nonEmptyUnique([]string{owner, s.dpoEmail}) {
			key := fmt.Sprintf("data-job-overdue:%s:%s:%s", run.ID, systemID, to)
			if _, err := tx.EnqueueMail(ctx, &Mail{ID: s.newID(), DedupeKey: key, Kind: "data_job_overdue",
				RequestID: r.ID, To: to, Subject: subject, Text: body,
				Status: MailPending, NextAttemptAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		sr.OverdueAt = &now
		if err := tx.SaveRun(ctx, run); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, SystemActor, "run.job_overdue", r.ID,
			map[string]string{"run_id": run.ID, "data_system_id": systemID})
	})
}

// dataJobOverdueMail is the words of the mail that chases a data system's overdue job: the job in words, times
// in the request's policy's time zone, and the run's API address with how to read it.
func (s *core) dataJobOverdueMail(r *Request, run *Run, sr *SystemRun) (map[string]string, error) {
	loc := time.UTC
	if p, err := s.policy(r.Policy); err == nil {
		loc = p.Location
	}
	job, err := word(r.Locale, "job", string(run.Kind))
	if err != nil {
		return nil, err
	}
	data := map[string]string{"Org": s.orgName, "Reference": r.Reference, "System": sr.Name, "Job": job,
		"SentAt": longTime(r.Locale, run.CreatedAt.In(loc)),
		"Link":   fmt.Sprintf("%s/api/v1/requests/%s/runs/%s", s.publicURL, r.ID, run.ID)}
	if sr.DueAt != nil {
		data["DueAt"] = longTime(r.Locale, sr.DueAt.In(loc))
	}
	return data, nil
}
