package service

import (
	"context"
	"fmt"
	"time"
)

// Note is an officer's internal note on a request. It may hold personal data: stored and read like Details.
type Note struct {
	ID        string
	RequestID string
	AuthorID  string
	Body      string
	CreatedAt time.Time
}

// NoteStore keeps internal notes.
type NoteStore interface {
	// CreateNote inserts a note.
	CreateNote(ctx context.Context, n *Note) error
	// RequestNotes returns a request's notes, oldest first.
	RequestNotes(ctx context.Context, requestID string) ([]*Note, error)
}

const maxNoteLen = 10000

// AddNote adds an internal note to a request.
func (s *Workflow) AddNote(ctx context.Context, a Actor, id, body string) (*Note, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	var f fieldErrors
	text(&f, "body", body, maxNoteLen, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	var out *Note
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.addNote(ctx, tx, a, r.ID, body)
		return err
	})
	return out, err
}

func (s *Workflow) addNote(ctx context.Context, tx workflowStore, a Actor, requestID, body string) (*Note, error) {
	n := &Note{ID: s.newID(), RequestID: requestID, AuthorID: a.UserID, Body: body, CreatedAt: s.now()}
	if err := tx.CreateNote(ctx, n); err != nil {
		return nil, err
	}
	return n, s.appendEvent(ctx, tx, a, "request.note_added", requestID, map[string]string{"note_id": n.ID})
}

// Notes reads a request's notes; an audited read, as notes may hold personal data.
func (s *Workflow) Notes(ctx context.Context, a Actor, id string) ([]*Note, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out []*Note
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if out, err = tx.RequestNotes(ctx, r.ID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.notes_read", r.ID, nil)
	})
	return out, err
}

// Merge closes a request as a duplicate of another of the same type, which carries on.
func (s *Workflow) Merge(ctx context.Context, a Actor, id, intoID string) (*Request, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	if id == intoID {
		return nil, Invalid(FieldError{"into", "a request cannot be merged into itself"})
	}
	var out *Request
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		into, err := s.workable(ctx, tx, intoID)
		if ErrorCode(err) == ENOTFOUND {
			return Invalid(FieldError{"into", "no such request"})
		} else if err != nil {
			return err
		}
		if err := mergeable(r); err != nil {
			return err
		}
		switch {
		case into.Status.Terminal():
			return Errorf(ECONFLICT, "the request to merge into is %s", into.Status)
		case into.Type != r.Type:
			return Invalid(FieldError{"into", fmt.Sprintf("is %s request; this one is %s", withArticle(string(into.Type)), withArticle(string(r.Type)))})
		}
		now := s.now()
		r.DuplicateOf = into.ID
		r.setStatus(StatusDuplicate, now)
		if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartMerge); err != nil {
			return err
		}
		out = r
		if err := s.appendEvent(ctx, tx, a, "request.merged", r.ID, map[string]string{"into": into.ID,
			"into_reference": into.Reference}); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.merged_from", into.ID, map[string]string{"from": r.ID,
			"from_reference": r.Reference})
	})
	return s.withDuplicateHint(ctx, a, out, err)
}
