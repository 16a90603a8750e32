package service

import (
	"sync"
	"time"
)

// tokenCacheTTL is how long a token's look-up is remembered. Every API call presents a token, and on SQLite
// the look-up was a tenth of a filing's CPU (docs/performance.md, "Filing"). A token revoked, or a user
// deactivated or given another role, through this process is forgotten at once; through another replica (or the
// command line), it is honoured here for at most this long.
const tokenCacheTTL = time.Second

// tokenCacheMax bounds the remembered tokens; past it the cache starts again empty.
const tokenCacheMax = 4096

// tokenCache remembers which actor a token's secret hash authenticated, and until when. Only tokens found
// active are remembered: a wrong or revoked secret is looked up every time.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedActor
	// gen counts forget calls: a look-up that began before one (and may have read the token as it was) is not
	// remembered after it.
	gen uint64
}

type cachedActor struct {
	actor Actor
	until time.Time
}

func (c *tokenCache) get(hash string, now time.Time) (Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || !now.Before(e.until) {
		return Actor{}, false
	}
	return e.actor, true
}

// generation is what put needs to know that no forget came between the look-up and it.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put remembers a, looked up when the cache was at generation gen, unless a forget came since.
func (c *tokenCache) put(hash string, a Actor, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= tokenCacheMax {
		c.entries = make(map[string]cachedActor)
	}
	c.entries[hash] = cachedActor{actor: a, until: now.Add(tokenCacheTTL)}
}

// forget drops every remembered token and keeps look-ups under way from being remembered: called when a token
// is revoked or a user's role or state changes, so that this process honours the change at once.
func (c *tokenCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
	c.gen++
}
