package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter bounds events per key (a client address): a token bucket per key, forgotten after idle minutes.
type limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(every rate.Limit, burst int, now func() time.Time) *limiter {
	return &limiter{every: every, burst: burst, buckets: map[string]*bucket{}, now: now}
}

// Limiter bounds events per key (a client address, an account): a token bucket per key, refilled at every, up
// to burst. The console's sign-in uses it as the privacy center's forms do.
type Limiter struct{ l *limiter }

// NewLimiter returns a limiter on the clock now.
func NewLimiter(every rate.Limit, burst int, now func() time.Time) *Limiter {
	return &Limiter{l: newLimiter(every, burst, now)}
}

// Allow reports whether key may act now, and counts it.
func (l *Limiter) Allow(key string) bool { return l.l.allow(key) }

// allow reports whether key may act now.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
