package service

// Workflow is the officers' work on a request: transitions, assignment, holds, merges, extensions, notes,
// replies, queue moves, and the reads and listings they work from.
type Workflow struct {
	*core
	// intake files the deletion an account cancellation leads to.
	intake *Intake
}
