package service

import (
	"testing"
	"time"
)

// TestTokenCacheForgetsLookupsUnderWay: a look-up that began before a forget (a revocation committing while it
// read the token) is not remembered after it; one that began after is, until the second is over.
func TestTokenCacheForgetsLookupsUnderWay(t *testing.T) {
	var c tokenCache
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	a := Actor{UserID: "u-1", Role: RoleIntegration, TokenID: "t-1"}

	before := c.generation()
	c.forget()
	c.put("h", a, now, before)
	if _, ok := c.get("h", now); ok {
		t.Errorf("a look-up begun before the forget was remembered")
	}

	c.put("h", a, now, c.generation())
	if got, ok := c.get("h", now.Add(999*time.Millisecond)); !ok || got != a {
		t.Errorf("within the second: %+v, %v; want the actor", got, ok)
	}
	if _, ok := c.get("h", now.Add(time.Second)); ok {
		t.Errorf("after the second: still remembered")
	}
}
