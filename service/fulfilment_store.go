package service

import (
	"context"
	"time"
)

// fulfilmentStore is every store method Fulfilment calls, and nothing else.
type fulfilmentStore interface {
	eventAppender
	ClosedUnredactedBefore(ctx context.Context, t time.Time, limit int) ([]*Request, error)
	CreateBackupSystem(ctx context.Context, b *BackupSystem) error
	CreateDataSystem(ctx context.Context, d *DataSystem) error
	CreateSealedExport(ctx context.Context, se *Sealed[*Export]) error
	SealExport(e *Export) (*Sealed[*Export], error)
	CreateRestore(ctx context.Context, id, systemID string, snapshotTakenAt, recordedAt time.Time, by string) error
	CreateRun(ctx context.Context, r *Run) error
	CreateSnapshot(ctx context.Context, systemID string, id string, takenAt, recordedAt time.Time) error
	DeleteDataSystem(ctx context.Context, id string) error
	DueTransmissions(ctx context.Context, now time.Time, limit int) ([]*Transmission, error)
	EnqueueMail(ctx context.Context, m *Mail) (bool, error)
	ErasuresExecutedAfter(ctx context.Context, t time.Time) ([]string, error)
	FindBackupSystem(ctx context.Context, id string) (*BackupSystem, error)
	FindDataSystem(ctx context.Context, id string) (*DataSystem, error)
	FindErasure(ctx context.Context, requestID string) (*Erasure, error)
	FindRequest(ctx context.Context, id string) (*Request, error)
	FindRun(ctx context.Context, requestID, runID string) (*Run, error)
	FindSubjectLink(ctx context.Context, hash string) (*SubjectLink, error)
	FindSuppression(ctx context.Context, subjectHash, purpose string) (*Suppression, error)
	ListBackupSystems(ctx context.Context) ([]*BackupSystem, error)
	ListRestores(ctx context.Context, systemID string, limit int) ([]*Restore, error)
	ListDataSystems(ctx context.Context) ([]*DataSystem, error)
	ListRuns(ctx context.Context, requestID string) ([]*Run, error)
	PendingPurges(ctx context.Context, systemID string) ([]*Purge, error)
	Redact(ctx context.Context, requestID string, t time.Time) error
	RequestExports(ctx context.Context, requestID string, withContent bool) ([]*Export, error)
	SaveErasure(ctx context.Context, e *Erasure) error
	SavePurge(ctx context.Context, p *Purge) error
	SaveRun(ctx context.Context, r *Run) error
	SaveTransmission(ctx context.Context, t *Transmission) error
	SnapshotTimesSince(ctx context.Context, systemID string, since time.Time, limit int) ([]time.Time, error)
	UnfinishedRuns(ctx context.Context, limit int) ([]*Run, error)
	UpdateDataSystem(ctx context.Context, d *DataSystem) error
	UserQueueIDs(ctx context.Context, userID string) ([]string, error)
}

func asFulfilmentStore(st Store) fulfilmentStore { return st }

// fulfilmentTx is one transaction of a Fulfilment call on behalf of an actor.
type fulfilmentTx struct {
	fulfilmentStore
	*refusals
}

// inTx runs fn in one Fulfilment transaction for actor a, auditing its refusals like every actor's transaction.
func (s *Fulfilment) inTx(ctx context.Context, a Actor, fn func(tx *fulfilmentTx) error) error {
	return inActorTx(ctx, s.core, s.begin, a, func(tx fulfilmentStore, rf *refusals) error {
		return fn(&fulfilmentTx{fulfilmentStore: tx, refusals: rf})
	})
}

// workable finds a request tx's actor may work on; ENOTFOUND, with the refusal recorded, when it may not see it.
func (s *Fulfilment) workable(ctx context.Context, tx *fulfilmentTx, id string) (*Request, error) {
	return s.gateRequest(ctx, tx, tx.refusals, id)
}
