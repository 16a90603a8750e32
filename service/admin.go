package service

// Admin is administration: users and tokens, queues, calendars, keys and the transmit allow-list.
type Admin struct {
	*core
}
