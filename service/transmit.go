package service

import "context"

// Transmitter delivers a portability copy directly to the third party the subject named (an https endpoint).
// The adapter refuses redirects, and loopback, private and link-local targets unless the delivery's
// AllowedHosts name the host; it signs each delivery so the receiver can verify it came from us.
type Transmitter interface {
	// Transmit POSTs body to endpoint. A *PermanentError means retrying cannot help (a refused target, a 4xx).
	Transmit(ctx context.Context, endpoint string, delivery Delivery) error
}

// Delivery is one transmission of a data copy.
type Delivery struct {
	ID          string // unique per transmission: sent as Rightsdesk-Delivery, so a receiver can drop repeats
	Reference   string // the request's reference, sent as Rightsdesk-Reference
	ContentType string // application/zip
	Body        []byte
	// AllowedHosts is the transmit allow-list as it stood when this attempt began (the operator's fixed entries
	// and the admins'): hosts that may resolve to loopback, private and link-local addresses.
	AllowedHosts []string
}
