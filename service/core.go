package service

import (
	"sync/atomic"
	"time"
)

// core is what every area of the service shares: the store, the clock, IDs, keys and the audit chain, the
// policies and calendars, the organisation's name and address, and the helpers that mail subjects and start
// transactions. Each area holds a pointer to the one core; nothing in it is specific to one area.
type core struct {
	store Store
	clock func() time.Time
	newID func() string
	keys  *Keys
	// headKeyedAtStart is the head New gave its first MAC to (see HeadKeyedAtStart).
	headKeyedAtStart AuditHead
	publicURL        string
	orgName          string
	mailer           Mailer
	transmitter      Transmitter
	connector        DataSystemConnector
	allowHosts       []string // the operator's fixed part of the transmit allow-list, checked and sorted
	dpoEmail         string
	retention        time.Duration
	// subjectDailyCap bounds web-form filings per subject per 24 hours, so that nobody can have the service mail
	// a person again and again in their name.
	subjectDailyCap int
	policies        []*Policy
	cals            atomic.Pointer[calendarSet]
	// tokens remembers tokens found active for a second (Authenticate).
	tokens tokenCache
}

// now is the injected clock, in UTC and at the microsecond precision every supported database keeps.
func (s *core) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}

// SendsMail tells whether mail leaves the outbox: false when no mail server is configured, and mail waits.
func (s *core) SendsMail() bool { return s.mailer != nil }

// Now exposes the service clock to adapters that must agree with it (GORM's NowFunc, the scheduler).
func (s *core) Now() time.Time { return s.now() }

// consoleLink is the address of a request's page in the console, which staff mails link to.
func (s *core) consoleLink(r *Request) string {
	return s.publicURL + "/console/requests/" + r.ID
}
