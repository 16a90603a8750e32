package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/rightsdesk/rightsdesk/service"
)

// limiter is a token bucket per key (a client address, a token ID): a burst of Burst at once, refilled at
// Rate. It answers how long a refused caller must really wait, from the bucket's own reservation.
type limiter struct {
	name  RateLimit
	what  string // the limited thing in words, e.g. "filings with intake tokens from this address"
	rate  rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// bucketIdle is how long an unused bucket is kept; by then it is full again anyway.
const bucketIdle = 10 * time.Minute

func newLimiter(name RateLimit, what string, r rate.Limit, burst int) *limiter {
	return &limiter{name: name, what: what, rate: r, burst: burst, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket at now, or answers how long until one is there (nothing spent).
func (l *limiter) take(key string, now time.Time) (wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > bucketIdle {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return bucketIdle
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// rule states the limit in words: its burst and its steady rate.
func (l *limiter) rule() string {
	every := time.Duration(float64(time.Second) / float64(l.rate)).Round(100 * time.Millisecond)
	return fmt.Sprintf("%d at once, then one every %s", l.burst, every)
}

// middleware refuses, with a limitError, a request that applies (key, true) once its key's bucket is empty.
func (l *limiter) middleware(applies func(echo.Context) (string, bool)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key, ok := applies(c)
			if !ok {
				return next(c)
			}
			if wait := l.take(key, time.Now()); wait > 0 {
				return &limitError{limit: l.name, wait: wait,
					detail: fmt.Sprintf("too many %s (%s)", l.what, l.rule())}
			}
			return next(c)
		}
	}
}

// limitError is a 429: which limit, in words, and the real wait.
type limitError struct {
	limit  RateLimit
	detail string
	wait   time.Duration
}

func (e *limitError) Error() string { return "rate limit " + string(e.limit) + ": " + e.detail }

// retryAfter is a wait in whole seconds, rounded up and at least 1, as Retry-After carries it.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// tooMany is the problem of a limit reached, with the wait in words.
func tooMany(limit RateLimit, detail string, wait time.Duration) Problem {
	p := newProblem(http.StatusTooManyRequests, service.ETOOMANY, detail+"; retry after "+retryAfter(wait)+" seconds")
	if limit != "" {
		p.Limit = &limit
	}
	return p
}

// waitOf is the wait a 429 error carries.
func waitOf(err error) time.Duration {
	var (
		le *limitError
		se *service.Error
	)
	switch {
	case errors.As(err, &le):
		return le.wait
	case errors.As(err, &se):
		return se.RetryAfter
	}
	return 0
}

// publicLinkLimiter limits, per client address, the public operations that take a subject's link token, so that
// tokens cannot be guessed by brute force: a burst of 10, then one every 6 seconds.
func publicLinkLimiter(doc *openapi3.T) echo.MiddlewareFunc {
	l := newLimiter(RateLimitPublicLink, "requests for subjects' links from this address", rate.Every(6*time.Second), 10)
	return l.middleware(func(c echo.Context) (string, bool) {
		_, _, op := specOperation(doc, c)
		return c.RealIP(), op != nil && oneOfTags(op, "subjects")
	})
}

func oneOfTags(op *openapi3.Operation, tag string) bool {
	for _, t := range op.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// isFiling reports whether the request files a data subject request.
func isFiling(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/api/v1/requests"
}

// filingBurst is the burst of a filing limit of perMinute a minute: a tenth of it, at least 5.
func filingBurst(perMinute int) int { return max(perMinute/10, 5) }

// addressFilingLimiter limits filings per client address for the callers who speak for the public: intake
// tokens (web forms, whose one token serves the world). Officers and admins keying in letters and calls from one
// workstation are limited per token only. It runs after authentication.
func addressFilingLimiter(perMinute int) echo.MiddlewareFunc {
	l := newLimiter(RateLimitAddress, "filings from this address", rate.Limit(float64(perMinute)/60), filingBurst(perMinute))
	return l.middleware(func(c echo.Context) (string, bool) {
		if !isFiling(c) {
			return "", false
		}
		switch actorFrom(c.Request().Context()).Role {
		case service.RoleAdmin, service.RoleOfficer:
			return "", false
		}
		return c.RealIP(), true
	})
}

// tokenFilingLimiter limits filings per API token; two tokens of one principal are two budgets, as two web forms
// would be.
func tokenFilingLimiter(perMinute int) echo.MiddlewareFunc {
	l := newLimiter(RateLimitToken, "filings with this token", rate.Limit(float64(perMinute)/60), filingBurst(perMinute))
	return l.middleware(func(c echo.Context) (string, bool) {
		return actorFrom(c.Request().Context()).TokenID, isFiling(c)
	})
}
