package service

import (
	"context"
	"fmt"
	"time"
)

// ErasureCommand records that a deletion was executed on the live systems.
type ErasureCommand struct {
	ExecutedAt time.Time
	Systems    []string // the live systems' names, e.g. crm, hr
}

// RecordErasure records a deletion's execution on the live systems. From then on every backup system holds a
// pending purge for it. Recording again (after a restore brought the data back) restarts every purge.
func (s *Fulfilment) RecordErasure(ctx context.Context, a Actor, id string, cmd ErasureCommand) (*Erasure, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	now := s.now()
	var f fieldErrors
	switch {
	case cmd.ExecutedAt.IsZero():
		f.add("executed_at", "is required")
	case cmd.ExecutedAt.After(now):
		f.add("executed_at", "must not be in the future")
	}
	list(&f, "systems", cmd.Systems, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *Erasure
	err := s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := takesErasure(r); err != nil {
			return err
		}
		switch {
		case cmd.ExecutedAt.Before(r.ReceivedAt):
			return Invalid(FieldError{"executed_at", "must not be before the request was received"})
		}
		systems, err := tx.ListBackupSystems(ctx)
		if err != nil {
			return err
		}
		e := &Erasure{RequestID: r.ID, ExecutedAt: cmd.ExecutedAt.UTC().Truncate(time.Microsecond), Systems: cmd.Systems,
			State: ErasurePending, RecordedAt: now, RecordedBy: a.UserID}
		for _, b := range systems {
			e.Purges = append(e.Purges, &Purge{RequestID: r.ID, BackupSystemID: b.ID, BackupName: b.Name,
				State: PurgePending, ExecutedAt: e.ExecutedAt})
		}
		if _, err := s.settlePurges(ctx, tx, e, systemsByID(systems)); err != nil {
			return err
		}
		if len(e.Purges) == 0 {
			e.State, e.CompletedAt = ErasureComplete, &now
		}
		if err := tx.SaveErasure(ctx, e); err != nil {
			return err
		}
		out = e
		return s.appendEvent(ctx, tx, a, "erasure.recorded", r.ID, map[string]string{
			"executed_at": e.ExecutedAt.Format(time.RFC3339), "live_systems": fmt.Sprint(len(e.Systems)),
			"backups": fmt.Sprint(len(e.Purges)), "state": e.State,
		})
	})
	return out, err
}

// RequestErasure returns a request's erasure, or nil when none was recorded.
func (s *Fulfilment) RequestErasure(ctx context.Context, id string) (*Erasure, error) {
	e, err := s.db.FindErasure(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	return e, err
}

// RefreshResult is what recording a backup refresh settled.
type RefreshResult struct {
	Purged    []string // requests whose purge in this backup is now done
	Completed []string // requests whose erasure is now complete
}

// RecordRefresh records that a backup took a snapshot, and settles the purges it completes (integration, admin).
func (s *Fulfilment) RecordRefresh(ctx context.Context, a Actor, systemID string, takenAt time.Time) (*RefreshResult, error) {
	if err := authorize(a, permRecordBackups); err != nil {
		return nil, err
	}
	now := s.now()
	if takenAt.IsZero() || takenAt.After(now) {
		return nil, Invalid(FieldError{"snapshot_taken_at", "is required and must not be in the future"})
	}
	res := &RefreshResult{Purged: []string{}, Completed: []string{}}
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		b, err := tx.FindBackupSystem(ctx, systemID)
		if err != nil {
			return err
		}
		if err := tx.CreateSnapshot(ctx, b.ID, s.newID(), takenAt.UTC().Truncate(time.Microsecond), now); err != nil {
			return err
		}
		pending, err := tx.PendingPurges(ctx, b.ID)
		if err != nil {
			return err
		}
		for _, p := range pending {
			e, err := tx.FindErasure(ctx, p.RequestID)
			if err != nil {
				return err
			}
			if e.State == ErasureReapply {
				continue // the deletion must be executed again before backups can rotate it out
			}
			n, err := s.settlePurges(ctx, tx, e, map[string]*BackupSystem{b.ID: b})
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			res.Purged = append(res.Purged, e.RequestID)
			if err := tx.SaveErasure(ctx, e); err != nil {
				return err
			}
			data := map[string]string{"backup_system_id": b.ID, "state": e.State}
			if e.State == ErasureComplete {
				res.Completed = append(res.Completed, e.RequestID)
			}
			if err := s.appendEvent(ctx, tx, a, "erasure.purged", e.RequestID, data); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, a, "backup.refreshed", "", map[string]string{
			"backup_system_id": b.ID, "snapshot_taken_at": takenAt.UTC().Format(time.RFC3339),
			"purged": fmt.Sprint(len(res.Purged)),
		})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RestoredRequest is a deletion a restore brought back.
type RestoredRequest struct {
	RequestID string
	Reference string
}

// RecordRestore records that a backup's snapshot was restored into the live systems: every deletion executed
// after that snapshot is back in the live data, and each such request is reapply_required until an officer
// deletes it again and records the erasure anew (integration, admin).
func (s *Fulfilment) RecordRestore(ctx context.Context, a Actor, systemID string, snapshotTakenAt time.Time) ([]RestoredRequest, error) {
	if err := authorize(a, permRecordBackups); err != nil {
		return nil, err
	}
	now := s.now()
	if snapshotTakenAt.IsZero() || snapshotTakenAt.After(now) {
		return nil, Invalid(FieldError{"snapshot_taken_at", "is required and must not be in the future"})
	}
	out := []RestoredRequest{}
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		b, err := tx.FindBackupSystem(ctx, systemID)
		if err != nil {
			return err
		}
		if err := tx.CreateRestore(ctx, s.newID(), b.ID, snapshotTakenAt.UTC(), now, a.UserID); err != nil {
			return err
		}
		ids, err := tx.ErasuresExecutedAfter(ctx, snapshotTakenAt.UTC())
		if err != nil {
			return err
		}
		for _, id := range ids {
			e, err := tx.FindErasure(ctx, id)
			if err != nil {
				return err
			}
			r, err := tx.FindRequest(ctx, id)
			if err != nil {
				return err
			}
			e.State, e.CompletedAt = ErasureReapply, nil
			if err := tx.SaveErasure(ctx, e); err != nil {
				return err
			}
			out = append(out, RestoredRequest{RequestID: r.ID, Reference: r.Reference})
			if err := s.appendEvent(ctx, tx, a, "erasure.reapply_required", r.ID, map[string]string{
				"backup_system_id": b.ID, "snapshot_taken_at": snapshotTakenAt.UTC().Format(time.RFC3339),
			}); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, a, "backup.restored", "", map[string]string{
			"backup_system_id": b.ID, "snapshot_taken_at": snapshotTakenAt.UTC().Format(time.RFC3339),
			"reapply_required": fmt.Sprint(len(out)),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OverduePurge is a purge still pending after its backup's expected refreshes and grace.
type OverduePurge struct {
	Purge     *Purge
	Reference string
	Deadline  time.Time
	locale    string // the request's, for the chase e-mail
	queueID   string // the request's, to show the purge only to those who may see the request
}

// OverduePurges lists the purges past their deadline: an officer's only of her queues' requests (their
// references would otherwise tell her of requests she may not see); admins, auditors and the backup
// integrations, which carry out the purges, see all.
func (s *Fulfilment) OverduePurges(ctx context.Context, a Actor) ([]OverduePurge, error) {
	if err := authorize(a, permReadBackups); err != nil {
		return nil, err
	}
	all, err := s.overduePurges(ctx)
	if err != nil || a.Role != RoleOfficer {
		return all, err
	}
	queues, err := s.db.UserQueueIDs(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	var out []OverduePurge
	for _, o := range all {
		if o.queueID != "" && oneOf(o.queueID, queues) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Fulfilment) overduePurges(ctx context.Context) ([]OverduePurge, error) {
	pending, err := s.db.PendingPurges(ctx, "")
	if err != nil {
		return nil, err
	}
	systems, err := s.db.ListBackupSystems(ctx)
	if err != nil {
		return nil, err
	}
	byID := systemsByID(systems)
	now := s.now()
	var out []OverduePurge
	for _, p := range pending {
		b := byID[p.BackupSystemID]
		if b == nil {
			continue
		}
		deadline, err := purgeDeadline(b, p.ExecutedAt)
		if err != nil {
			return nil, err
		}
		if now.After(deadline) {
			r, err := s.db.FindRequest(ctx, p.RequestID)
			if err != nil {
				return nil, err
			}
			out = append(out, OverduePurge{Purge: p, Reference: r.Reference, Deadline: deadline, locale: r.Locale,
				queueID: r.QueueID})
		}
	}
	return out, nil
}

// BackupsResult counts what the backups job did.
type BackupsResult struct{ Overdue, Notified int }

func (r BackupsResult) String() string {
	return fmt.Sprintf("%d purge(s) overdue; %d newly chased", r.Overdue, r.Notified)
}

// ChaseOverduePurges e-mails the backup's owner and the DPO, once per purge, about every purge past its deadline.
func (s *Fulfilment) ChaseOverduePurges(ctx context.Context) (BackupsResult, error) {
	var res BackupsResult
	overdue, err := s.overduePurges(ctx)
	if err != nil {
		return res, err
	}
	res.Overdue = len(overdue)
	for _, o := range overdue {
		if o.Purge.OverdueNotifiedAt != nil {
			continue
		}
		err := s.begin(ctx, func(tx fulfilmentStore) error {
			b, err := tx.FindBackupSystem(ctx, o.Purge.BackupSystemID)
			if err != nil {
				return err
			}
			now := s.now()
			data := map[string]string{"Org": s.orgName, "Reference": o.Reference, "Backup": b.Name,
				"ExecutedAt": o.Purge.ExecutedAt.Format(time.RFC3339), "Deadline": o.Deadline.Format(time.RFC3339),
				"Generations": fmt.Sprint(b.Generations), "Schedule": b.RefreshSchedule,
				"Link": fmt.Sprintf("%s/api/v1/backup-systems/%s/refreshes", s.publicURL, b.ID)}
			subject, text, err := renderMail("purge_overdue", o.locale, data)
			if err != nil {
				return err
			}
			for _, to := range nonEmptyUnique([]string{b.OwnerEmail, s.dpoEmail}) {
				key := fmt.Sprintf("purge-overdue:%s:%s:%s:%s", o.Purge.RequestID, b.ID, o.Purge.ExecutedAt.Format(time.RFC3339Nano), to)
				if _, err := tx.EnqueueMail(ctx, &Mail{ID: s.newID(), DedupeKey: key, Kind: "purge_overdue",
					RequestID: o.Purge.RequestID, To: to, Subject: subject, Text: text,
					Status: MailPending, NextAttemptAt: now, CreatedAt: now}); err != nil {
					return err
				}
			}
			o.Purge.OverdueNotifiedAt = &now
			if err := tx.SavePurge(ctx, o.Purge); err != nil {
				return err
			}
			return s.appendEvent(ctx, tx, SystemActor, "erasure.purge_overdue", o.Purge.RequestID,
				map[string]string{"backup_system_id": b.ID})
		})
		if err != nil {
			return res, err
		}
		res.Notified++
	}
	return res, nil
}
