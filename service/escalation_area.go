package service

// Escalation is the work nobody starts by hand: the escalation sweep, outbox delivery and the calendar
// checks.
type Escalation struct {
	*core
}
