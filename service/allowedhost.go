package service

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// AllowedHost is a host that portability copies may reach on loopback, private and link-local addresses: the
// transmitter refuses such targets for every other host. The effective allow-list is the operator's fixed
// entries (RIGHTSDESK_TRANSMIT_ALLOW_HOSTS) together with those admins add through the API.
type AllowedHost struct {
	Host      string // a lowercase hostname, or an IP address in its canonical form
	Source    AllowedHostSource
	Note      string    // why the host is trusted; API entries only
	CreatedBy string    // the user ID of the admin who added it; API entries only
	CreatedAt time.Time // API entries only
}

// AllowedHostSource says where an allow-list entry comes from, and so whether the API may remove it.
type AllowedHostSource string

// The sources of allow-list entries.
const (
	// AllowedByEnvironment is the operator's fixed list: shown by the API, changed only by restarting with
	// another RIGHTSDESK_TRANSMIT_ALLOW_HOSTS.
	AllowedByEnvironment AllowedHostSource = "environment"
	// AllowedByAPI is an entry an admin added, and may remove.
	AllowedByAPI AllowedHostSource = "api"
)

// AllowedHostStore keeps the hosts admins allow-listed through the API.
type AllowedHostStore interface {
	// ListAllowedHosts returns every stored host, by host.
	ListAllowedHosts(ctx context.Context) ([]*AllowedHost, error)
	// FindAllowedHost returns a stored host. ENOTFOUND if none.
	FindAllowedHost(ctx context.Context, host string) (*AllowedHost, error)
	// CreateAllowedHost inserts h unless its host is stored already, and reports whether it did.
	CreateAllowedHost(ctx context.Context, h *AllowedHost) (bool, error)
	// DeleteAllowedHost removes a stored host. ENOTFOUND if none.
	DeleteAllowedHost(ctx context.Context, host string) error
}

// Limits of an allow-list entry: a DNS name has at most 253 characters.
const (
	maxHostLen            = 253
	maxHostLabelLen       = 63
	maxAllowedHostNoteLen = 500
)

// NewAllowedHost is an entry an admin adds.
type NewAllowedHost struct {
	Host string
	Note string
}

// AllowedHosts lists the effective allow-list (admin, auditor): the operator's fixed entries and the admins'
// entries, by host. A host on both lists appears once from each source.
func (s *Admin) AllowedHosts(ctx context.Context, a Actor) ([]*AllowedHost, error) {
	if err := authorize(a, permReadAllowList); err != nil {
		return nil, err
	}
	stored, err := s.db.ListAllowedHosts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list allowed hosts: %w", err)
	}
	out := make([]*AllowedHost, 0, len(s.allowHosts)+len(stored))
	for _, h := range s.allowHosts {
		out = append(out, &AllowedHost{Host: h, Source: AllowedByEnvironment})
	}
	out = append(out, stored...)
	slices.SortStableFunc(out, func(x, y *AllowedHost) int {
		if c := strings.Compare(x.Host, y.Host); c != 0 {
			return c
		}
		return strings.Compare(string(x.Source), string(y.Source))
	})
	return out, nil
}

// AddAllowedHost allow-lists a host (admin), from the next transmission attempt on, on every replica. Adding a
// host the admins' list holds already changes nothing and answers that entry with created false. A host on the
// operator's fixed list may be added too: the admins' entry then keeps it allowed if the operator drops it.
func (s *Admin) AddAllowedHost(ctx context.Context, a Actor, in NewAllowedHost) (h *AllowedHost, created bool, err error) {
	if err := authorize(a, permEditAllowList); err != nil {
		return nil, false, err
	}
	var f fieldErrors
	validHost(&f, "host", in.Host)
	text(&f, "note", in.Note, maxAllowedHostNoteLen, false)
	if err := f.err(); err != nil {
		return nil, false, err
	}
	err = s.begin(ctx, func(tx adminStore) error {
		h = &AllowedHost{Host: in.Host, Source: AllowedByAPI, Note: in.Note, CreatedBy: a.UserID, CreatedAt: s.now()}
		var err error
		if created, err = tx.CreateAllowedHost(ctx, h); err != nil {
			return fmt.Errorf("create allowed host: %w", err)
		}
		if !created {
			h, err = tx.FindAllowedHost(ctx, in.Host)
			return err
		}
		return s.appendEvent(ctx, tx, a, "allowed_host.added", "", map[string]string{"host": h.Host})
	})
	if err != nil {
		return nil, false, err
	}
	return h, created, nil
}

// RemoveAllowedHost takes a host off the admins' list (admin). ENOTFOUND if the admins' list does not hold it;
// ECONFLICT if only the operator's fixed list does, which the API cannot change. A host on both lists stays
// allowed through the fixed list.
func (s *Admin) RemoveAllowedHost(ctx context.Context, a Actor, host string) error {
	if err := authorize(a, permEditAllowList); err != nil {
		return err
	}
	var f fieldErrors
	validHost(&f, "host", host)
	if err := f.err(); err != nil {
		return err
	}
	return s.begin(ctx, func(tx adminStore) error {
		err := tx.DeleteAllowedHost(ctx, host)
		switch {
		case ErrorCode(err) == ENOTFOUND && slices.Contains(s.allowHosts, host):
			return Errorf(ECONFLICT, "%s is on the operator's fixed list (RIGHTSDESK_TRANSMIT_ALLOW_HOSTS), which the API cannot change", host)
		case ErrorCode(err) == ENOTFOUND:
			return Errorf(ENOTFOUND, "%s is not on the allow-list", host)
		case err != nil:
			return fmt.Errorf("delete allowed host: %w", err)
		}
		return s.appendEvent(ctx, tx, a, "allowed_host.removed", "", map[string]string{"host": host})
	})
}

// transmitAllowList is the effective allow-list as it stands now, read afresh for every delivery so that an
// admin's change applies to the next attempt on every replica, without a restart.
func (s *core) transmitAllowList(ctx context.Context) ([]string, error) {
	stored, err := s.store.ListAllowedHosts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list allowed hosts: %w", err)
	}
	hosts := slices.Clone(s.allowHosts)
	for _, h := range stored {
		hosts = append(hosts, h.Host)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts), nil
}

// fixedAllowList checks and normalises the operator's entries. The operator cannot be asked to retype one, so
// names are lowercased and addresses written canonically before they are checked.
func fixedAllowList(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		h := strings.ToLower(strings.TrimSpace(e))
		if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
			h = a.String()
		}
		var f fieldErrors
		validHost(&f, "host", h)
		if len(f) > 0 {
			return nil, fmt.Errorf("transmit allow-list (RIGHTSDESK_TRANSMIT_ALLOW_HOSTS): %q %s", e, f[0].Message)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out, nil
}

// validHost checks an allow-list entry: a lowercase hostname or an IP address in its canonical form, without
// scheme, port, path or user info, because the transmitter compares it with the host of a recipient's URL.
// The unspecified, broadcast and multicast addresses are refused: the transmitter's dial refuses them whatever
// the list says, so an entry for one would only mislead.
func validHost(f *fieldErrors, field, v string) {
	switch {
	case v == "":
		f.add(field, "is required")
		return
	case len(v) > maxHostLen:
		f.add(field, "must be at most %d characters", maxHostLen)
		return
	}
	if a, err := netip.ParseAddr(v); err == nil {
		switch {
		case a.Zone() != "":
			f.add(field, "must be an IP address without a zone")
		case a.String() != v:
			f.add(field, "must be written in canonical form, %s", a.String())
		case a.Unmap().IsUnspecified():
			f.add(field, "is the unspecified address, which names no host; the transmitter never connects to it")
		case a.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			f.add(field, "is the broadcast address; the transmitter never connects to it")
		case a.Unmap().IsMulticast():
			f.add(field, "is a multicast address; the transmitter never connects to one")
		}
		return
	}
	if strings.ContainsAny(v, ":/@?#[]") {
		f.add(field, "must be a bare hostname or IP address, without scheme, port, path or user info")
		return
	}
	if strings.ToLower(v) != v {
		f.add(field, "must be lowercase")
		return
	}
	for label := range strings.SplitSeq(v, ".") {
		if !hostLabel(label) {
			f.add(field, "must be a hostname: dot-separated labels of 1 to %d letters, digits and inner hyphens "+
				"(internationalised names in their xn-- form)", maxHostLabelLen)
			return
		}
	}
}

// hostLabel reports whether l is one label of a hostname: 1-63 of a-z, 0-9 and hyphens, no hyphen at either end.
func hostLabel(l string) bool {
	if l == "" || len(l) > maxHostLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
