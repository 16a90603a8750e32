package transmit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// The endpoint comes from a data subject, so every address we dial is checked here first: a request must not
// become a way to reach our own network, the cloud metadata service or anything else not on the internet.
// The check runs on the resolved addresses, and the connection goes to the very address that was checked, so a
// name that resolves differently on a second lookup (DNS rebinding) gains nothing.

// refusedError is a target the policy does not permit. It names the host and the kind of address, never the
// address: a subject who reads the failure should not learn how our internal names resolve.
type refusedError struct {
	host   string
	reason string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("refused to transmit to %s: it resolves to %s; only hosts an admin allow-listed may do so",
		e.host, e.reason)
}

// specialRange is a block of addresses that is not reachable on the public internet, with the words that
// explain a refusal.
type specialRange struct {
	prefix netip.Prefix
	reason string
}

// specialIPv4 lists the IANA special-purpose IPv4 blocks that netip.Addr's methods do not already cover
// (loopback, private, link-local and multicast are checked by method).
var specialIPv4 = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
}

// specialIPv6 lists the special-purpose blocks inside 2000::/3, the only IPv6 space that is global unicast;
// everything outside it (::/8, 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8, ...) is refused anyway.
var specialIPv6 = []specialRange{
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol address (such as Teredo)"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
}

var (
	globalUnicastIPv6 = netip.MustParsePrefix("2000::/3")
	nat64             = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the IPv4 address is the last 32 bits
	sixToFour         = netip.MustParsePrefix("2002::/16")    // RFC 3056: the IPv4 address is bits 16 to 47
)

// publicReason says why a host that is not allow-listed may not be dialed at a; "" when a is a public address.
func publicReason(a netip.Addr) string {
	if !a.IsValid() {
		return "an invalid address"
	}
	// The kernel dials ::ffff:10.0.0.1 as 10.0.0.1, so the mapped form gets the IPv4 rules.
	a = a.Unmap()
	switch {
	case a.Zone() != "":
		return "a scoped address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsMulticast():
		return "a multicast address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (such as the cloud metadata service)"
	case a.IsPrivate():
		return "a private address"
	}
	if a.Is4() {
		for _, r := range specialIPv4 {
			if r.prefix.Contains(a) {
				return r.reason
			}
		}
		return ""
	}
	// Translated forms carry an IPv4 address that a NAT64 gateway or 6to4 relay would reach for us: they are
	// as public as that address is. DNS64 hands out 64:ff9b:: addresses on IPv6-only networks, so they occur.
	if embedded, ok := embeddedIPv4(a); ok {
		if reason := publicReason(embedded); reason != "" {
			return reason + " inside a translated IPv6 address"
		}
		return ""
	}
	if !globalUnicastIPv6.Contains(a) {
		return "an address outside global unicast space"
	}
	for _, r := range specialIPv6 {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address of a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// allowListedReason says why even an allow-listed host may not be dialed at a: the admin permits private and
// loopback targets, but no unicast service can answer at these; "" when a is acceptable.
func allowListedReason(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "an invalid address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsMulticast():
		return "a multicast address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	return ""
}

// allowListedKey marks a dial context whose host an admin allow-listed, for the default dialer's Control hook.
type allowListedKey struct{}

// dialChecked is the transports' DialContext: it resolves the host once, refuses the whole host when any of
// its addresses is not permitted (for an allow-listed host, fewer are refused), and hands the checked addresses
// (never the name) to the low-level dialer.
func (c *Client) dialChecked(ctx context.Context, network, addr string, allowed bool) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("dial %s: bad port", addr)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		host = strings.ToLower(host) // names are case-insensitive; an address's zone is not
	}
	addrs, err := c.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		reason := publicReason(a)
		if allowed {
			reason = allowListedReason(a)
		}
		if reason != "" {
			return nil, &refusedError{host: host, reason: reason}
		}
	}
	ctx = context.WithValue(ctx, allowListedKey{}, allowed)
	var errs []error
	for _, a := range addrs {
		conn, err := c.dial(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns the addresses of host; an address literal is its own answer, so no resolver can rewrite it.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := c.lookupIP(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return addrs, nil
}

// controlPublicOnly is the default dialer's Control hook: a second look at the address the socket is about
// to connect to, so that a future change that dials an unchecked address still cannot reach our network.
func controlPublicOnly(ctx context.Context, _, address string, _ syscall.RawConn) error {
	if allowed, _ := ctx.Value(allowListedKey{}).(bool); allowed {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: not an address", address)
	}
	if reason := publicReason(ap.Addr()); reason != "" {
		return &refusedError{host: ap.Addr().String(), reason: reason}
	}
	return nil
}
