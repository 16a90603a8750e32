package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Event is one entry of the audit trail. Events form a hash chain over all of them, in Seq order: each Hash
// covers the event's content and the previous event's Hash, and the newest Seq and Hash are also kept apart
// from the events (the head), so that an edited, deleted or truncated event is detected.
type Event struct {
	ID        string
	Seq       int64
	At        time.Time
	ActorID   string
	Action    string
	RequestID string            // "" for events about no request
	Data      map[string]string // what changed, by reference; never personal data
	PrevHash  string
	Hash      string
}

// AuditHead is the newest link of the chain, with its MAC (see Keys.HeadMAC).
type AuditHead struct {
	Seq  int64
	Hash string
	MAC  string
}

// AuditStore keeps the audit trail.
type AuditStore interface {
	// LockAuditHead returns the chain's head, holding it until the transaction ends so that appends are
	// serialised. Only inside WithTx.
	LockAuditHead(ctx context.Context) (AuditHead, error)
	// AppendEvent inserts e and makes it the head, with headMAC (keyHead's MAC of the new head).
	AppendEvent(ctx context.Context, e *Event, headMAC string) error
	// AppendEvents inserts a run of chained events, the first following the head, and makes the last the head,
	// with headMAC: one multi-row insert and one head update for all of them. Only inside WithTx, after
	// LockAuditHead.
	AppendEvents(ctx context.Context, events []*Event, headMAC string) error
	// SetAuditHeadMAC replaces the MAC of the head if it is still h (same Seq and Hash). Only inside WithTx,
	// after LockAuditHead.
	SetAuditHeadMAC(ctx context.Context, h AuditHead) error
	// RequestEvents returns the events of one request, in Seq order.
	RequestEvents(ctx context.Context, requestID string) ([]*Event, error)
}

// genesisHash is the PrevHash of the first event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// eventHash is the SHA-256 of the previous hash and the event's canonical content.
func eventHash(e *Event) string {
	content, err := json.Marshal(struct {
		ID        string            `json:"id"`
		Seq       int64             `json:"seq"`
		At        string            `json:"at"`
		ActorID   string            `json:"actor"`
		Action    string            `json:"action"`
		RequestID string            `json:"request_id"`
		Data      map[string]string `json:"data"`
	}{e.ID, e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.ActorID, e.Action, e.RequestID, e.Data})
	if err != nil {
		panic(fmt.Sprintf("marshal audit event: %v", err)) // strings only: cannot fail
	}
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// keyHead returns h with its MAC under the current key. It is the one place the head's MAC is made: whatever
// writes a head (one append, a batch of them, rotation) calls it with the final head.
func (s *core) keyHead(h AuditHead) AuditHead {
	h.MAC = s.keys.HeadMAC(h)
	return h
}

// headAuthentic reports whether the head is one this service (or one with its keys) wrote: its MAC verifies.
func (s *core) headAuthentic(h AuditHead) bool { return s.keys.HeadAuthentic(h) }

// errHeadForged stops appends onto a head that does not authenticate: chaining onto it would seal a rewound
// chain with a valid MAC and hide the truncation for good.
func errHeadForged(h AuditHead) error {
	return fmt.Errorf("the audit head (event %d) does not authenticate: the newest events were removed or the "+
		"head edited (GET /api/v1/audit/verify); no event is appended until an operator restores the database", h.Seq)
}

// NewEvent is an event to append: what happened, by whom, to which request; its place in the chain (ID, Seq,
// time, hashes) is given when it is appended.
type NewEvent struct {
	Actor     Actor
	Action    string
	RequestID string
	Data      map[string]string
}

// appendEvent chains and stores an event inside tx.
func (s *core) appendEvent(ctx context.Context, tx eventAppender, a Actor, action, requestID string, data map[string]string) error {
	return s.appendEvents(ctx, tx, []NewEvent{{Actor: a, Action: action, RequestID: requestID, Data: data}})
}

// appendEvents chains a run of events inside tx under one lock of the head and stores them with one write of
// the rows and one of the head: a batch of decisions (a sweep's page) costs a few statements, not a few each.
func (s *core) appendEvents(ctx context.Context, tx eventAppender, events []NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	head, err := tx.LockAuditHead(ctx)
	if err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	chained, err := s.chainEvents(head, events)
	if err != nil {
		return err
	}
	last := chained[len(chained)-1]
	if err := tx.AppendEvents(ctx, chained, s.keyHead(AuditHead{Seq: last.Seq, Hash: last.Hash}).MAC); err != nil {
		if len(events) == 1 {
			return fmt.Errorf("append audit event %s: %w", events[0].Action, err)
		}
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// chainEvents links events onto head, in order, each at the service clock's now. It refuses a head that does
// not authenticate.
func (s *core) chainEvents(head AuditHead, events []NewEvent) ([]*Event, error) {
	if !s.headAuthentic(head) {
		return nil, errHeadForged(head)
	}
	prev := head.Hash
	if head.Seq == 0 {
		prev = genesisHash
	}
	now := s.now()
	out := make([]*Event, len(events))
	for i, ne := range events {
		for k, v := range ne.Data {
			if v == "" {
				delete(ne.Data, k) // an absent reference says the same, in less
			}
		}
		e := &Event{
			ID: s.newID(), Seq: head.Seq + int64(i) + 1, At: now, ActorID: ne.Actor.UserID, Action: ne.Action,
			RequestID: ne.RequestID, Data: ne.Data, PrevHash: prev,
		}
		e.Hash = eventHash(e)
		prev = e.Hash
		out[i] = e
	}
	return out, nil
}
