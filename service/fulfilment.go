package service

// Fulfilment carries out what a request asks: exports and their transmission, erasure, backups,
// suppressions, retention, and the data systems and their runs.
type Fulfilment struct {
	*core
	// db is the store as Fulfilment uses it, begin its transactions.
	db    fulfilmentStore
	begin txRunner[fulfilmentStore]
}
