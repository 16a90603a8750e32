package transmit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestTransmitRefusesMalformedEndpoints(t *testing.T) {
	tests := []struct {
		name, endpoint string
	}{
		{"http", "http://example.com/hook"},
		{"ftp", "ftp://example.com/hook"},
		{"no scheme", "example.com/hook"},
		{"relative", "/hook"},
		{"empty", ""},
		{"opaque", "https:example.com"},
		{"no host", "https:///hook"},
		{"userinfo", "https://user:pass@example.com/hook"},
		{"user only", "https://user@example.com/hook"},
		{"empty userinfo", "https://@example.com/hook"},
		{"port zero", "https://example.com:0/hook"},
		{"port too large", "https://example.com:70000/hook"},
		{"unparsable", "https://exa mple.com/%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			cfg, dials := receiverConfig(t, ts)
			lookup, lookups := fakeResolver(t, nil)
			cfg.LookupIP = lookup
			err := mustClient(t, cfg).Transmit(t.Context(), tt.endpoint, testDelivery("example.com"))
			if !isPermanent(err) {
				t.Fatalf("Transmit(%q) = %v, want a permanent error", tt.endpoint, err)
			}
			if strings.Contains(err.Error(), "pass") {
				t.Errorf("error %q repeats the credentials", err)
			}
			if got, want := dials.Load()+lookups.Load(), int32(0); got != want {
				t.Errorf("dials+lookups = %d, want %d", got, want)
			}
		})
	}
}

func TestTransmitRefusesNonPublicTargets(t *testing.T) {
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the receiver was reached at %s", r.Host)
	}))
	port := strconv.Itoa(ts.Listener.Addr().(*net.TCPAddr).Port)

	tests := []struct {
		name      string
		endpoint  string
		resolves  []string // what evil.example resolves to; nil for an address literal, which must not be resolved
		allow     []string
		wantInMsg string
	}{
		{"loopback literal", "https://127.0.0.1:" + port + "/", nil, nil, "loopback"},
		{"loopback literal, other host allow-listed", "https://127.0.0.1:" + port + "/", nil, []string{"localhost"}, "loopback"},
		{"IPv6 loopback literal", "https://[::1]:" + port + "/", nil, nil, "loopback"},
		{"mapped loopback literal", "https://[::ffff:127.0.0.1]:" + port + "/", nil, nil, "loopback"},
		{"metadata literal", "https://169.254.169.254/latest/meta-data/", nil, nil, "link-local"},
		{"localhost", "https://localhost/", []string{"127.0.0.1"}, nil, "loopback"},
		{"10/8", "https://evil.example/", []string{"10.1.2.3"}, nil, "private"},
		{"172.16/12", "https://evil.example/", []string{"172.16.0.1"}, nil, "private"},
		{"192.168/16", "https://evil.example/", []string{"192.168.1.1"}, nil, "private"},
		{"cloud metadata", "https://evil.example/", []string{"169.254.169.254"}, nil, "link-local"},
		{"CGNAT", "https://evil.example/", []string{"100.64.0.1"}, nil, "carrier-grade NAT"},
		{"unspecified IPv4", "https://evil.example/", []string{"0.0.0.0"}, nil, "unspecified"},
		{"this network", "https://evil.example/", []string{"0.1.2.3"}, nil, "this network"},
		{"broadcast", "https://evil.example/", []string{"255.255.255.255"}, nil, "broadcast"},
		{"multicast IPv4", "https://evil.example/", []string{"224.0.0.1"}, nil, "multicast"},
		{"IPv6 loopback", "https://evil.example/", []string{"::1"}, nil, "loopback"},
		{"unspecified IPv6", "https://evil.example/", []string{"::"}, nil, "unspecified"},
		{"IPv6 link-local", "https://evil.example/", []string{"fe80::1"}, nil, "link-local"},
		{"IPv6 unique local", "https://evil.example/", []string{"fc00::1"}, nil, "private"},
		{"IPv6 multicast", "https://evil.example/", []string{"ff02::1"}, nil, "multicast"},
		{"mapped private", "https://evil.example/", []string{"::ffff:10.0.0.1"}, nil, "private"},
		{"mapped loopback", "https://evil.example/", []string{"::ffff:127.0.0.1"}, nil, "loopback"},
		{"mapped metadata", "https://evil.example/", []string{"::ffff:169.254.169.254"}, nil, "link-local"},
		{"NAT64 of private", "https://evil.example/", []string{"64:ff9b::a00:1"}, nil, "private"},
		{"6to4 of loopback", "https://evil.example/", []string{"2002:7f00:1::1"}, nil, "loopback"},
		{"IPv4-compatible", "https://evil.example/", []string{"::a00:1"}, nil, "outside global unicast"},
		{"documentation", "https://evil.example/", []string{"192.0.2.10"}, nil, "documentation"},
		{"public and private", "https://evil.example/", []string{"93.184.216.34", "10.0.0.5"}, nil, "private"},
		{"private and public", "https://evil.example/", []string{"10.0.0.5", "93.184.216.34"}, nil, "private"},
		{"allow-listed but multicast", "https://evil.example/", []string{"224.0.0.1"}, []string{"evil.example"}, "multicast"},
		{"allow-listed but unspecified", "https://evil.example/", []string{"0.0.0.0"}, []string{"evil.example"}, "unspecified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, dials := receiverConfig(t, ts)
			table := map[string][]string{}
			if tt.resolves != nil {
				table["evil.example"], table["localhost"] = tt.resolves, tt.resolves
			}
			lookup, lookups := fakeResolver(t, table)
			cfg.LookupIP = lookup
			err := mustClient(t, cfg).Transmit(t.Context(), tt.endpoint, testDelivery(tt.allow...))
			if !isPermanent(err) {
				t.Fatalf("Transmit = %v, want a permanent error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantInMsg) || !strings.Contains(msg, "refused") {
				t.Errorf("error %q does not refuse for %q", msg, tt.wantInMsg)
			}
			if tt.resolves != nil {
				if !strings.Contains(msg, "evil.example") && !strings.Contains(msg, "localhost") {
					t.Errorf("error %q does not name the host", msg)
				}
				for _, a := range tt.resolves {
					if strings.Contains(msg, a) {
						t.Errorf("error %q reveals the resolved address %s", msg, a)
					}
				}
			}
			if got, want := dials.Load(), int32(0); got != want {
				t.Errorf("dials = %d, want %d", got, want)
			}
			if got, want := lookups.Load() > 0, tt.resolves != nil; got != want {
				t.Errorf("resolver consulted = %t, want %t", got, want)
			}
		})
	}
}

// TestTransmitDialsCheckedAddress shows DNS rebinding gains nothing: the name is resolved once and the
// connection goes to the address that passed the check, not to whatever a second lookup would say.
func TestTransmitDialsCheckedAddress(t *testing.T) {
	var (
		mu      sync.Mutex
		dialed  []string
		lookups atomic.Int32
	)
	cfg := Config{Secret: testSecret, Timeout: 5 * time.Second,
		LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
			if host != "rebind.example" {
				t.Errorf("resolved %q", host)
			}
			if lookups.Add(1) == 1 {
				return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:2800:220:1::1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		// Records and fails every dial, so the test never leaves the machine.
		DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			defer mu.Unlock()
			dialed = append(dialed, addr)
			return nil, errors.New("test dialer: not connecting")
		},
	}
	err := mustClient(t, cfg).Transmit(t.Context(), "https://rebind.example:8443/hook", testDelivery())
	if got := classify(err); got != retryable {
		t.Errorf("Transmit = %v (%s), want retryable", err, got)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"93.184.216.34:8443", "[2606:2800:220:1::1]:8443"}, dialed); diff != "" {
		t.Errorf("dialed addresses (-want +got):\n%s", diff)
	}
	if got, want := lookups.Load(), int32(1); got != want {
		t.Errorf("lookups = %d, want %d", got, want)
	}
}

func TestPublicReason(t *testing.T) {
	tests := []struct {
		addr string
		want bool // public
	}{
		{"8.8.8.8", true},
		{"93.184.216.34", true},
		{"::ffff:8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"64:ff9b::808:808", true}, // DNS64 form of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 form of 8.8.8.8
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.0.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"100.128.0.1", true},
		{"0.0.0.0", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"224.0.0.251", false},
		{"198.18.0.1", false},
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:0.0.0.0", false},
		{"::127.0.0.1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fec0::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"ff02::1", false},
		{"100::1", false},
		{"64:ff9b::7f00:1", false},
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b:1::a00:1", false},
		{"2002:a9fe:a9fe::1", false},
		{"2001::1", false}, // Teredo
		{"2001:db8::1", false},
		{"3fff::1", false},
		{"4000::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			reason := publicReason(netip.MustParseAddr(tt.addr))
			if got := reason == ""; got != tt.want {
				t.Errorf("publicReason(%s) = %q: public = %t, want %t", tt.addr, reason, got, tt.want)
			}
		})
	}
	if reason := publicReason(netip.Addr{}); reason == "" {
		t.Error("the zero Addr counts as public")
	}
}

// TestControlPublicOnly checks the default dialer's second look, without dialing.
func TestControlPublicOnly(t *testing.T) {
	allowed := context.WithValue(t.Context(), allowListedKey{}, true)
	tests := []struct {
		name    string
		ctx     context.Context
		address string
		wantErr bool
	}{
		{"public", t.Context(), "93.184.216.34:443", false},
		{"public IPv6", t.Context(), "[2606:4700:4700::1111]:443", false},
		{"private", t.Context(), "10.0.0.5:443", true},
		{"metadata", t.Context(), "169.254.169.254:80", true},
		{"mapped loopback", t.Context(), "[::ffff:127.0.0.1]:443", true},
		{"not an address", t.Context(), "evil.example:443", true},
		{"private, allow-listed", allowed, "10.0.0.5:443", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := controlPublicOnly(tt.ctx, "tcp", tt.address, nil)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("controlPublicOnly(%s) = %v, want error %t", tt.address, err, tt.wantErr)
			}
		})
	}
}

// TestTransmitDeliveryAllowList shows the allow-list is the one each delivery carries, consulted at every attempt:
// a loopback receiver is refused until the delivery names its host, and refused again once it no longer does,
// without a connection kept from the allowed delivery.
func TestTransmitDeliveryAllowList(t *testing.T) {
	var hits atomic.Int32
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	port := strconv.Itoa(ts.Listener.Addr().(*net.TCPAddr).Port)
	cfg, dials := receiverConfig(t, ts)
	c := mustClient(t, cfg)
	steps := []struct {
		name      string
		endpoint  string
		delivery  service.Delivery
		want      outcome
		wantDials int32 // in total, so far
	}{
		{"not listed", "https://127.0.0.1:" + port + "/hook", testDelivery(), permanent, 0},
		{"another host listed", "https://127.0.0.1:" + port + "/hook", testDelivery("hooks.internal", "10.0.0.7"), permanent, 0},
		{"listed", "https://127.0.0.1:" + port + "/hook", testDelivery("hooks.internal", "127.0.0.1"), delivered, 1},
		{"listed again: a new connection", "https://127.0.0.1:" + port + "/hook", testDelivery("127.0.0.1"), delivered, 2},
		{"name listed in another case", "https://EXAMPLE.com:" + port + "/hook", testDelivery("example.com"), delivered, 3},
		{"removed: no kept connection", "https://127.0.0.1:" + port + "/hook", testDelivery(), permanent, 3},
	}
	for _, s := range steps {
		err := c.Transmit(t.Context(), s.endpoint, s.delivery)
		if got := classify(err); got != s.want {
			t.Fatalf("%s: Transmit = %v (%s), want %s", s.name, err, got, s.want)
		}
		if s.want == permanent && !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: error %q does not refuse the loopback address", s.name, err)
		}
		if got := dials.Load(); got != s.wantDials {
			t.Errorf("%s: %d dials so far, want %d", s.name, got, s.wantDials)
		}
	}
	if got, want := hits.Load(), int32(3); got != want {
		t.Errorf("the receiver was reached %d times, want %d", got, want)
	}
}

func TestAllowKey(t *testing.T) {
	tests := []struct{ host, want string }{
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"127.0.0.1", "127.0.0.1"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"::FFFF:10.0.0.1", "::ffff:10.0.0.1"},
	}
	for _, tt := range tests {
		if got := allowKey(tt.host); got != tt.want {
			t.Errorf("allowKey(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
