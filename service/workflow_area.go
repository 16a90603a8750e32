package service

import (
	"context"
)

// Workflow is the officers' work on a request: transitions, assignment, holds, merges, extensions, notes,
// replies, queue moves, and the reads and listings they work from.
type Workflow struct {
	*core
	// db is the store as Workflow uses it, begin its transactions: an in-memory fake can stand for both.
	db    workflowStore
	begin txRunner[workflowStore]
	// intake files the deletion an account cancellation leads to.
	intake *Intake
}

// newWorkflow returns the Workflow area over st.
func newWorkflow(c *core, st workflowStore, begin txRunner[workflowStore], intake *Intake) *Workflow {
	return &Workflow{core: c, db: st, begin: begin, intake: intake}
}

func asWorkflowStore(st Store) workflowStore { return st }

// workflowStore is every store method Workflow calls, and nothing else.
type workflowStore interface {
	requestGate
	filingStore // the deletion an account cancellation opens
	suppressionAdder
	UpdateRequestParts(ctx context.Context, r *Request, parts ...RequestPart) error
	ListRequests(ctx context.Context, f RequestFilter) ([]*Request, error)
	RequestEvents(ctx context.Context, requestID string) ([]*Event, error)
	FindUser(ctx context.Context, id string) (*User, error)
	FindQueue(ctx context.Context, id string) (*Queue, error)
	ListQueues(ctx context.Context) ([]*Queue, error) // whose members a request may be assigned to
	CreateNote(ctx context.Context, n *Note) error
	RequestNotes(ctx context.Context, requestID string) ([]*Note, error)
	CreateExtension(ctx context.Context, e *Extension) error
	RequestExtensions(ctx context.Context, requestID string) ([]*Extension, error)
	CreateTransmission(ctx context.Context, t *Transmission) error
	RequestExports(ctx context.Context, requestID string, withContent bool) ([]*Export, error)
	CreateSubjectMessage(ctx context.Context, m *SubjectMessage) error // the question of a hold awaiting the subject
	SubjectMessages(ctx context.Context, requestID string) ([]*SubjectMessage, error)
	SubjectFile(ctx context.Context, requestID, fileID string) (*SubjectFile, error)
}

// workflowTx is one transaction of a Workflow call on behalf of an actor.
type workflowTx struct {
	workflowStore
	*refusals
}

// inTx runs fn in one Workflow transaction for actor a, auditing its refusals like every actor's transaction.
func (s *Workflow) inTx(ctx context.Context, a Actor, fn func(tx *workflowTx) error) error {
	return inActorTx(ctx, s.core, s.begin, a, func(tx workflowStore, rf *refusals) error {
		return fn(&workflowTx{workflowStore: tx, refusals: rf})
	})
}

// workable finds a request tx's actor may work on; ENOTFOUND, with the refusal recorded, when it may not see it.
func (s *Workflow) workable(ctx context.Context, tx *workflowTx, id string) (*Request, error) {
	return s.gateRequest(ctx, tx, tx.refusals, id)
}
