package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/rightsdesk/rightsdesk/service"
)

// groupAudit is the audit chain as the transactions of one group see it (see committer). The head is read once
// per group (on PostgreSQL by the row lock every group takes first); each transaction chains its events onto the
// head its predecessors left, and the events wait here until the group ends, when all of them are written with
// multi-row inserts and the head row is updated once. A transaction that rolls back to its savepoint takes its
// events and its head with it (mark, restore). Only the committer's goroutine touches it.
type groupAudit struct {
	loaded  bool
	stored  service.AuditHead // the head row as the database holds it
	head    service.AuditHead // the head after the events appended so far in the group
	pending []*service.Event  // chained, not yet written
	keyed   bool              // the head's MAC changed with no event (SetAuditHeadMAC)
}

// groupAuditMark is what restore needs to undo one transaction's appends.
type groupAuditMark struct {
	head    service.AuditHead
	pending int
	keyed   bool
}

func (g *groupAudit) mark() groupAuditMark {
	return groupAuditMark{head: g.head, pending: len(g.pending), keyed: g.keyed}
}

func (g *groupAudit) restore(m groupAuditMark) {
	g.head, g.keyed = m.head, m.keyed
	clear(g.pending[m.pending:])
	g.pending = g.pending[:m.pending]
}

// load reads the head row once per group (SQLite: the writer is the group's alone; PostgreSQL: the group took
// the row's lock first).
func (g *groupAudit) load(ctx context.Context, db *gorm.DB) error {
	if g.loaded {
		return nil
	}
	var row auditHeadRow
	if err := db.WithContext(ctx).Where("id = 1").Take(&row).Error; err != nil {
		return formatError(err)
	}
	g.prime(service.AuditHead{Seq: row.Seq, Hash: row.Hash, MAC: row.MAC})
	return nil
}

func (g *groupAudit) prime(h service.AuditHead) {
	g.loaded, g.stored, g.head = true, h, h
}

// append chains events onto the group's head; they are written by flush.
func (g *groupAudit) append(events []*service.Event, headMAC string) error {
	if first := events[0]; first.Seq != g.head.Seq+1 {
		return fmt.Errorf("audit head moved under event %d", first.Seq)
	}
	last := events[len(events)-1]
	g.pending = append(g.pending, events...)
	g.head = service.AuditHead{Seq: last.Seq, Hash: last.Hash, MAC: headMAC}
	return nil
}

// setMAC replaces the head's MAC if the head is still h.
func (g *groupAudit) setMAC(h service.AuditHead) error {
	if h.Seq != g.head.Seq || h.Hash != g.head.Hash {
		return fmt.Errorf("audit head moved from event %d", h.Seq)
	}
	g.head.MAC, g.keyed = h.MAC, true
	return nil
}

// eventsOf returns the group's pending events of one request, in chain order.
func (g *groupAudit) eventsOf(requestID string) []*service.Event {
	var out []*service.Event
	for _, e := range g.pending {
		if e.RequestID == requestID {
			c := *e
			out = append(out, &c)
		}
	}
	return out
}

// flush writes the group's events and head through tx, a store on the group's transaction.
func (g *groupAudit) flush(ctx context.Context, tx *Store) error {
	switch {
	case len(g.pending) > 0:
		return tx.AppendEvents(ctx, g.pending, g.head.MAC)
	case g.keyed:
		res := tx.w.WithContext(ctx).Exec("UPDATE audit_head SET mac = ? WHERE id = 1 AND seq = ? AND hash = ?",
			g.head.MAC, g.stored.Seq, g.stored.Hash)
		if res.Error != nil {
			return formatError(res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("audit head moved from event %d", g.stored.Seq)
		}
	}
	return nil
}

// lockHead takes the head's row lock for a PostgreSQL group and keeps the head it read for the group's
// transactions. A missing head row is left for LockAuditHead to report.
func lockHead(tx *sql.Tx, g *groupAudit) error {
	var h service.AuditHead
	err := tx.QueryRow(lockHeadFirst).Scan(&h.Seq, &h.Hash, &h.MAC)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	g.prime(h)
	return nil
}
