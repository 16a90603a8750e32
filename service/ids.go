package service

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// newTimeOrderedID returns a UUID of version 7 (RFC 9562): the milliseconds of now, then 74 random bits. Rows
// are keyed and indexed by these IDs (a request's primary key, its links, mails and events by request), and IDs
// that grow with time are written at the end of those indexes, on the pages the previous filings wrote, instead
// of each on a page of its own anywhere in them: every page a transaction changes is written to the log again
// at its commit. The random bits keep an ID unguessable; nothing may depend on an ID for authorisation anyway.
func newTimeOrderedID(now time.Time) string {
	var u uuid.UUID
	ms := uint64(now.UnixMilli())
	binary.BigEndian.PutUint16(u[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(u[2:6], uint32(ms))
	_, _ = rand.Read(u[6:]) // crypto/rand.Read never fails
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	return u.String()
}
