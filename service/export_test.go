package service

import "context"

// EventHash exposes eventHash to the external tests, so that they can check the stored chain.
var EventHash = eventHash

// AppendEventsOfTests appends events as one batch in a transaction of its own, as a sweep's page does.
func (s *Service) AppendEventsOfTests(ctx context.Context, events []NewEvent) error {
	return s.store.WithTx(ctx, func(tx Store) error { return s.appendEvents(ctx, tx, events) })
}
