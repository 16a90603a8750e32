package service

// Admin is administration: users and tokens, queues, calendars, keys and the transmit allow-list.
type Admin struct {
	*core
	// db is the store as Admin uses it, begin its transactions.
	db    adminStore
	begin txRunner[adminStore]
}
