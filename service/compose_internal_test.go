package service

import (
	"context"
	"testing"
)

// TestServiceReachesTheCore is a compile-time contract: code written as methods of *Service (areas still to be
// split out, the adapters' wiring) reaches the core's fields and helpers through Service without an ambiguous
// selector, however many areas embed the same core.
func TestServiceReachesTheCore(t *testing.T) {
	var s *Service
	_ = func(ctx context.Context) {
		_, _, _, _ = s.store, s.now, s.newID, s.keys
		_, _, _, _ = s.withTx, s.appendEvent, s.workableRequest, s.canSee
		_, _ = s.enqueueSubjectMail, s.policy
		_ = authorize
	}
	svc, err := New(t.Context(), Config{Store: nil})
	if err == nil || svc != nil {
		t.Fatalf("New without a store = %v, %v; want an error", svc, err)
	}
}
