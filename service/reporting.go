package service

// Reporting answers what happened: the summary, counts for metrics, the audit trail and its verification.
type Reporting struct {
	*core
	// db is the store as Reporting uses it, begin its transactions.
	db    reportingStore
	begin txRunner[reportingStore]
}
