package service

// Fulfilment carries out what a request asks: exports and their transmission, erasure, backups,
// suppressions, retention, and the data systems and their runs.
type Fulfilment struct {
	*core
}
