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

// appendEvent chains and stores an event inside tx.
func (s *core) appendEvent(ctx context.Context, tx eventAppender, a Actor, action, requestID string, data map[string]string) error {
	head, err := tx.LockAuditHead(ctx)
	if err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	if !s.headAuthentic(head) {
		return errHeadForged(head)
	}
	prev := head.Hash
	if head.Seq == 0 {
		prev = genesisHash
	}
	for k, v := range data {
		if v == "" {
			delete(data, k) // an absent reference says the same, in less
		}
	}
	e := &Event{
		ID: s.newID(), Seq: head.Seq + 1, At: s.now(), ActorID: a.UserID, Action: action,
		RequestID: requestID, Data: data, PrevHash: prev,
	}
	e.Hash = eventHash(e)
	if err := tx.AppendEvent(ctx, e, s.keyHead(AuditHead{Seq: e.Seq, Hash: e.Hash}).MAC); err != nil {
		return fmt.Errorf("append audit event %s: %w", action, err)
	}
	return nil
}
