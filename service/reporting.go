package service

// Reporting answers what happened: the summary, counts for metrics, the audit trail and its verification.
type Reporting struct {
	*core
}
