package service

import "context"

// MoveRequest moves a request to another queue, or routes one no queue took: admins, and officers of both
// queues. ENOTFOUND (an audited refusal) for an officer outside either queue; an assignee who is not a member
// of the new queue is unassigned.
func (s *Workflow) MoveRequest(ctx context.Context, a Actor, id string, cmd MoveCommand) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	if !isUUID(cmd.QueueID) {
		return nil, Invalid(FieldError{"queue_id", "must be a queue ID"})
	}
	var out *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		if err := lockQueues(ctx, tx); err != nil {
			return err
		}
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		q, err := tx.FindQueue(ctx, cmd.QueueID)
		if err != nil {
			return err
		}
		if !seesQueue(a, q) {
			tx.refuse(r.ID)
			return Errorf(ENOTFOUND, "no queue %s", q.ID)
		}
		if err := movable(r); err != nil {
			return err
		}
		out = r
		if r.QueueID == q.ID {
			return nil // already there: nothing changes, nothing to audit
		}
		data := map[string]string{"from": r.QueueID, "to": q.ID}
		if r.AssigneeID != "" && !oneOf(r.AssigneeID, q.Members) {
			data["unassigned"] = r.AssigneeID
			r.AssigneeID = ""
		}
		r.QueueID, r.UpdatedAt = q.ID, s.now()
		if err := tx.UpdateRequestParts(ctx, r, PartQueue); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.moved", r.ID, data)
	})
	return out, err
}
