package service

import (
	"context"
	"fmt"
)

// AuditChainStore reads the audit chain whole, for its verification.
type AuditChainStore interface {
	// AuditEventsAfter returns the events with Seq > afterSeq, in Seq order, at most limit (> 0) of them.
	AuditEventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	// AuditHeadNow returns the chain's head without locking it, so that verifying never holds up appends.
	// ENOTFOUND if the head is missing.
	AuditHeadNow(ctx context.Context) (AuditHead, error)
}

// Reasons an AuditFault gives.
const (
	// AuditContentMismatch: the event's Hash is not the hash of its content and PrevHash.
	AuditContentMismatch = "content_mismatch"
	// AuditLinkMismatch: the event's PrevHash is not the previous event's Hash (the genesis hash for the first).
	AuditLinkMismatch = "link_mismatch"
	// AuditMissingEvent: the event at Seq is absent though a later one exists.
	AuditMissingEvent = "missing_event"
	// AuditHeadMismatch: the head does not name the last event (events were truncated or the head was edited).
	// Seq is the head's.
	AuditHeadMismatch = "head_mismatch"
	// AuditHeadUnauthenticated: the head's MAC does not verify under any configured key: the head was set back
	// (the newest events deleted and the head rewound to the last one left) or otherwise written by someone
	// without the data key. Seq is the head's.
	AuditHeadUnauthenticated = "head_unauthenticated"
)

// auditVerifyBatch is how many events verification reads at once: its memory does not grow with the chain.
const auditVerifyBatch = 1000

// AuditVerification is the outcome of checking the audit chain.
type AuditVerification struct {
	OK bool
	// Head is the head the check ran against: record its Seq and Hash outside the database from time to time,
	// and a later check whose chain no longer holds that hash at that Seq shows a rewind.
	Head AuditHead
	// Checked counts the events found intact before the first fault, or all of them.
	Checked int64
	// FirstBad is the first fault in Seq order; nil when OK.
	FirstBad *AuditFault
}

// AuditFault names where the chain first breaks.
type AuditFault struct {
	Seq     int64
	EventID string // the ID of the event at Seq; "" when there is none
	Reason  string // one of the Audit*Mismatch and AuditMissingEvent reasons
}

// VerifyAudit checks the audit chain up to the head as it is when the check starts; events appended later are
// left to the next check. It reads the chain in batches, so its memory does not grow with the chain.
func (s *Reporting) VerifyAudit(ctx context.Context, a Actor) (AuditVerification, error) {
	if err := authorize(a, permVerifyAudit); err != nil {
		return AuditVerification{}, err
	}
	head, err := s.db.AuditHeadNow(ctx)
	if ErrorCode(err) == ENOTFOUND {
		// The head row is created by the schema and never deleted: only a hand on the database removes it.
		return faulty(0, AuditFault{Reason: AuditHeadMismatch}), nil
	} else if err != nil {
		return AuditVerification{}, fmt.Errorf("read audit head: %w", err)
	}
	v, err := s.verifyChain(ctx, head)
	v.Head = AuditHead{Seq: head.Seq, Hash: head.Hash}
	return v, err
}

// verifyChain checks the chain against head.
func (s *Reporting) verifyChain(ctx context.Context, head AuditHead) (AuditVerification, error) {
	var (
		checked  int64
		lastSeq  int64
		lastID   string
		lastHash = genesisHash
		beyond   *Event // the first event after the head, if any was read
	)
	for beyond == nil {
		// Read no further than one event past the head: it tells whether the head still covers the chain.
		limit := int(min(head.Seq-lastSeq+1, auditVerifyBatch))
		events, err := s.db.AuditEventsAfter(ctx, lastSeq, limit)
		if err != nil {
			return AuditVerification{}, fmt.Errorf("read audit events after %d: %w", lastSeq, err)
		}
		for _, e := range events {
			if e.Seq != lastSeq+1 && lastSeq < head.Seq {
				return faulty(checked, AuditFault{Seq: lastSeq + 1, Reason: AuditMissingEvent}), nil
			}
			if e.Seq > head.Seq {
				beyond = e
				break
			}
			if eventHash(e) != e.Hash {
				return faulty(checked, AuditFault{Seq: e.Seq, EventID: e.ID, Reason: AuditContentMismatch}), nil
			}
			if e.PrevHash != lastHash {
				return faulty(checked, AuditFault{Seq: e.Seq, EventID: e.ID, Reason: AuditLinkMismatch}), nil
			}
			checked++
			lastSeq, lastID, lastHash = e.Seq, e.ID, e.Hash
		}
		if len(events) < limit {
			break
		}
	}

	headFault := AuditFault{Seq: head.Seq, EventID: lastID, Reason: AuditHeadMismatch}
	switch {
	case lastSeq < head.Seq: // the newest events are gone
		headFault.EventID = ""
		return faulty(checked, headFault), nil
	case head.Seq == 0 && head.Hash != "", head.Seq > 0 && head.Hash != lastHash:
		return faulty(checked, headFault), nil
	}
	if beyond != nil {
		// Appends move the head with their event, in one transaction: a head read now that still does not
		// cover the event read after it was set back by hand.
		now, err := s.db.AuditHeadNow(ctx)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return AuditVerification{}, fmt.Errorf("read audit head: %w", err)
		}
		if err != nil || now.Seq < beyond.Seq {
			return faulty(checked, headFault), nil
		}
	}
	// The chain ends where the head says; only the key's holder can have written that head.
	if !s.headAuthentic(head) {
		headFault.Reason = AuditHeadUnauthenticated
		return faulty(checked, headFault), nil
	}
	return AuditVerification{OK: true, Checked: checked}, nil
}

// faulty is the outcome of a chain that breaks at f after checked intact events.
func faulty(checked int64, f AuditFault) AuditVerification {
	return AuditVerification{Checked: checked, FirstBad: &f}
}
