package service

import (
	"context"
	"fmt"
)

// keyAuditHead gives a MAC to a head that has none: a new database's, or one written before heads were keyed
// (migration 00013). New calls it; HeadKeyedAtStart tells the program, which says so: after the first start of
// the upgrade, a head of events without a MAC means someone removed it. It answers the head and whether it
// keyed it.
func (s *core) keyAuditHead(ctx context.Context) (AuditHead, bool, error) {
	var out AuditHead
	keyed := false
	err := s.store.WithTx(ctx, func(tx Store) error {
		head, err := tx.LockAuditHead(ctx)
		if err != nil {
			return fmt.Errorf("lock audit head: %w", err)
		}
		out = head
		if head.MAC != "" {
			return nil
		}
		out, keyed = s.keyHead(head), true
		return tx.SetAuditHeadMAC(ctx, out)
	})
	return out, keyed, err
}

// RekeyAuditHead moves the head's MAC to the current key (`rightsdesk keys rotate`), so that the previous key
// can be dropped. A head that does not authenticate under any configured key is left as it is, and reported.
func (s *Admin) RekeyAuditHead(ctx context.Context) (bool, error) {
	rekeyed := false
	err := s.begin(ctx, func(tx adminStore) error {
		head, err := tx.LockAuditHead(ctx)
		if err != nil {
			return fmt.Errorf("lock audit head: %w", err)
		}
		switch {
		case !s.headAuthentic(head):
			return errHeadForged(head)
		case s.keys.HeadCurrent(head):
			return nil
		}
		rekeyed = true
		return tx.SetAuditHeadMAC(ctx, s.keyHead(head))
	})
	return rekeyed, err
}

// HeadKeyedAtStart answers the head New gave a MAC to, if it had none and named events: the first start after
// the upgrade to keyed heads does so once; at any later start it means someone removed the head's MAC.
func (s *Reporting) HeadKeyedAtStart() (AuditHead, bool) {
	return s.headKeyedAtStart, s.headKeyedAtStart.Seq > 0
}
