package transmit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	testBody   = []byte("PK\x03\x04 the subject's data copy")
)

// testDelivery is a delivery whose allow-list is allow.
func testDelivery(allow ...string) service.Delivery {
	return service.Delivery{ID: "6f1c2a9e-delivery", Reference: "RD-2026-0042", ContentType: "application/zip", Body: testBody,
		AllowedHosts: allow}
}

// mustReceiver starts an httptest TLS server on 127.0.0.1 and closes it when the test ends.
func mustReceiver(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	ts := httptest.NewTLSServer(h)
	tb.Cleanup(ts.Close)
	return ts
}

// loopbackOnly is a DialContext that dials the test receiver and nothing else: any other address fails the
// test, so no test can reach a real private or public address. It counts its calls.
func loopbackOnly(tb testing.TB, receiver string) (func(ctx context.Context, network, addr string) (net.Conn, error), *atomic.Int32) {
	tb.Helper()
	var calls atomic.Int32
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		calls.Add(1)
		if addr != receiver {
			tb.Errorf("dialed %s %s; only the test receiver %s may be dialed", network, addr, receiver)
			return nil, errors.New("test dialer: address not permitted")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}, &calls
}

// fakeResolver answers from a table instead of DNS and counts its calls; an unknown name fails the test.
func fakeResolver(tb testing.TB, table map[string][]string) (func(ctx context.Context, host string) ([]netip.Addr, error), *atomic.Int32) {
	tb.Helper()
	var calls atomic.Int32
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		calls.Add(1)
		texts, ok := table[host]
		if !ok {
			tb.Errorf("resolved %q, which the test did not expect", host)
			return nil, errors.New("test resolver: no such host")
		}
		var addrs []netip.Addr
		for _, s := range texts {
			addrs = append(addrs, netip.MustParseAddr(s))
		}
		return addrs, nil
	}, &calls
}

// receiverConfig is a Config that trusts ts's certificate, dials only ts and resolves example.com to it.
func receiverConfig(tb testing.TB, ts *httptest.Server) (Config, *atomic.Int32) {
	tb.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	dial, calls := loopbackOnly(tb, ts.Listener.Addr().String())
	lookup, _ := fakeResolver(tb, map[string][]string{"example.com": {"127.0.0.1"}})
	return Config{Secret: testSecret, Timeout: 5 * time.Second, Now: func() time.Time { return testNow },
		RootCAs: roots, DialContext: dial, LookupIP: lookup}, calls
}

func mustClient(tb testing.TB, cfg Config) *Client {
	tb.Helper()
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// isPermanent reports whether err is a *service.PermanentError.
func isPermanent(err error) bool {
	_, ok := errors.AsType[*service.PermanentError](err)
	return ok
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"minimal", Config{Secret: testSecret}, ""},
		{"short secret", Config{Secret: testSecret[:31]}, "at least 32"},
		{"no secret", Config{}, "at least 32"},
		{"negative timeout", Config{Secret: testSecret, Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("New error = %q, want one containing %q", got, tt.wantErr)
			}
		})
	}
}

func TestNewCopiesSecret(t *testing.T) {
	secret := bytes.Clone(testSecret)
	c := mustClient(t, Config{Secret: secret})
	secret[0] ^= 0xff
	if got, want := c.secret, testSecret; !bytes.Equal(got, want) {
		t.Errorf("client secret changed with the caller's slice: got %q, want %q", got, want)
	}
}

// received is what the test receiver saw of one delivery.
type received struct {
	Method, Path, ContentType, UserAgent, Delivery, Reference, Timestamp, Signature string
	Body                                                                            []byte
}

func TestTransmitDelivers(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []received
		hdrs []http.Header
	)
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, received{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
			UserAgent: r.Header.Get("User-Agent"), Delivery: r.Header.Get(HeaderDelivery), Reference: r.Header.Get(HeaderReference),
			Timestamp: r.Header.Get(HeaderTimestamp), Signature: r.Header.Get(HeaderSignature), Body: body})
		hdrs = append(hdrs, r.Header.Clone())
		w.WriteHeader(http.StatusAccepted)
	}))
	port := strconv.Itoa(ts.Listener.Addr().(*net.TCPAddr).Port)

	tests := []struct {
		name     string
		endpoint string
		allow    []string
	}{
		{"allow-listed address", "https://127.0.0.1:" + port + "/hook?token=abc", []string{"127.0.0.1"}},
		// The test certificate names example.com; the fake resolver points it at the receiver.
		{"allow-listed name, case-insensitive", "https://EXAMPLE.com:" + port + "/hook", []string{"Example.COM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			got, hdrs = nil, nil
			mu.Unlock()
			cfg, dials := receiverConfig(t, ts)
			if err := mustClient(t, cfg).Transmit(t.Context(), tt.endpoint, testDelivery(tt.allow...)); err != nil {
				t.Fatalf("Transmit: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			want := []received{{Method: http.MethodPost, Path: "/hook", ContentType: "application/zip", UserAgent: "Rightsdesk",
				Delivery: "6f1c2a9e-delivery", Reference: "RD-2026-0042", Timestamp: strconv.FormatInt(testNow.Unix(), 10),
				Signature: Sign(testSecret, testNow.Unix(), "6f1c2a9e-delivery", testBody), Body: testBody}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("received (-want +got):\n%s", diff)
			}
			if got, want := dials.Load(), int32(1); got != want {
				t.Errorf("dials = %d, want %d", got, want)
			}
			h := hdrs[0]
			if err := Verify(testSecret, h, got[0].Body, testNow.Add(10*time.Second), 5*time.Minute); err != nil {
				t.Errorf("Verify of the received delivery: %v", err)
			}
			if err := Verify(testSecret, h, append(bytes.Clone(got[0].Body), '!'), testNow, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify of a tampered body = %v, want ErrBadSignature", err)
			}
			if err := Verify(testSecret, h, got[0].Body, testNow.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrStale) {
				t.Errorf("Verify an hour later = %v, want ErrStale", err)
			}
		})
	}
}

func TestSign(t *testing.T) {
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte("1772445600.d-1.body"))
	want := "v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(testSecret, 1772445600, "d-1", []byte("body")); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	const ts = 1772445600
	now := time.Unix(ts, 0)
	good := Sign(testSecret, ts, "d-1", []byte("body"))
	other := Sign([]byte("another secret of thirty-two bytes!"), ts, "d-1", []byte("body"))
	header := func(id, timestamp string, sigs ...string) http.Header {
		h := http.Header{}
		h.Set(HeaderDelivery, id)
		h.Set(HeaderTimestamp, timestamp)
		for _, s := range sigs {
			h.Add(HeaderSignature, s)
		}
		return h
	}
	tests := []struct {
		name    string
		header  http.Header
		body    string
		now     time.Time
		wantErr error // nil: accepted
	}{
		{"valid", header("d-1", "1772445600", good), "body", now, nil},
		{"valid within skew, late", header("d-1", "1772445600", good), "body", now.Add(5 * time.Minute), nil},
		{"valid within skew, early clock", header("d-1", "1772445600", good), "body", now.Add(-5 * time.Minute), nil},
		{"rotation: one of several", header("d-1", "1772445600", other+", "+good), "body", now, nil},
		{"rotation: repeated header", header("d-1", "1772445600", other, good), "body", now, nil},
		{"tampered body", header("d-1", "1772445600", good), "body!", now, ErrBadSignature},
		{"other delivery ID", header("d-2", "1772445600", good), "body", now, ErrBadSignature},
		{"other timestamp", header("d-1", "1772445601", good), "body", now, ErrBadSignature},
		{"wrong secret", header("d-1", "1772445600", other), "body", now, ErrBadSignature},
		{"no signature", header("d-1", "1772445600"), "body", now, ErrBadSignature},
		{"bare hex without version", header("d-1", "1772445600", strings.TrimPrefix(good, "v1=")), "body", now, ErrBadSignature},
		{"no delivery ID", header("", "1772445600", good), "body", now, ErrBadSignature},
		{"malformed timestamp", header("d-1", "yesterday", good), "body", now, ErrBadSignature},
		{"stale", header("d-1", "1772445600", good), "body", now.Add(5*time.Minute + time.Second), ErrStale},
		{"from the future", header("d-1", "1772445600", good), "body", now.Add(-6 * time.Minute), ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(testSecret, tt.header, []byte(tt.body), tt.now, 5*time.Minute)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := Verify(testSecret, header("d-1", "1772445600", good), []byte("body"), now, 0); err == nil {
		t.Error("Verify with no skew allowance accepted; want an error")
	}
	if err := Verify(nil, header("d-1", "1772445600", good), []byte("body"), now, time.Minute); err == nil {
		t.Error("Verify without a secret accepted; want an error")
	}
}

// outcome is how a Transmit error is classified.
type outcome string

const (
	delivered outcome = "delivered"
	retryable outcome = "retryable"
	permanent outcome = "permanent"
)

func classify(err error) outcome {
	switch {
	case err == nil:
		return delivered
	case isPermanent(err):
		return permanent
	}
	return retryable
}

func TestTransmitAnswers(t *testing.T) {
	tests := []struct {
		status int
		want   outcome
	}{
		{200, delivered}, {201, delivered}, {202, delivered}, {204, delivered},
		{408, retryable}, {429, retryable}, {500, retryable}, {502, retryable}, {503, retryable}, {504, retryable},
		{400, permanent}, {401, permanent}, {403, permanent}, {404, permanent}, {410, permanent}, {413, permanent}, {422, permanent},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, "the recipient's reason")
			}))
			cfg, _ := receiverConfig(t, ts)
			err := mustClient(t, cfg).Transmit(t.Context(), ts.URL+"/hook?token=s3cret", testDelivery("127.0.0.1"))
			if got := classify(err); got != tt.want {
				t.Fatalf("Transmit = %v (%s), want %s", err, got, tt.want)
			}
			if err == nil {
				return
			}
			msg := err.Error()
			for _, want := range []string{"127.0.0.1", strconv.Itoa(tt.status), "the recipient's reason"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			for _, secret := range []string{"s3cret", string(testBody)} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q repeats %q", msg, secret)
				}
			}
		})
	}
}

func TestTransmitRefusesRedirects(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var targetHits atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", status)
			})
			mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { targetHits.Add(1) })
			ts := mustReceiver(t, mux)
			cfg, _ := receiverConfig(t, ts)
			err := mustClient(t, cfg).Transmit(t.Context(), ts.URL+"/hook", testDelivery("127.0.0.1"))
			if !isPermanent(err) {
				t.Fatalf("Transmit = %v, want a permanent error", err)
			}
			if !strings.Contains(err.Error(), "redirects are refused") {
				t.Errorf("error %q does not say redirects are refused", err)
			}
			if got, want := targetHits.Load(), int32(0); got != want {
				t.Errorf("redirect target requested %d times, want %d", got, want)
			}
		})
	}
}

func TestTransmitTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before ts.Close, so a stuck handler cannot hold the server
	cfg, _ := receiverConfig(t, ts)
	cfg.Timeout = 200 * time.Millisecond
	start := time.Now()
	err := mustClient(t, cfg).Transmit(t.Context(), ts.URL+"/hook", testDelivery("127.0.0.1"))
	if got := classify(err); got != retryable {
		t.Fatalf("Transmit = %v (%s), want retryable", err, got)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Transmit took %s with a 200ms timeout", elapsed)
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

func TestTransmitCallerCancelled(t *testing.T) {
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cfg, _ := receiverConfig(t, ts)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := mustClient(t, cfg).Transmit(ctx, ts.URL+"/hook", testDelivery("127.0.0.1"))
	if got := classify(err); got != retryable {
		t.Errorf("Transmit = %v (%s), want retryable", err, got)
	}
}

func TestTransmitBoundsAnswer(t *testing.T) {
	ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(bytes.Repeat([]byte("x\x00\n"), (1<<20)/3))
	}))
	cfg, _ := receiverConfig(t, ts)
	err := mustClient(t, cfg).Transmit(t.Context(), ts.URL+"/hook", testDelivery("127.0.0.1"))
	if !isPermanent(err) {
		t.Fatalf("Transmit = %v, want a permanent error", err)
	}
	if got, max := len(err.Error()), 512; got > max {
		t.Errorf("error has %d bytes, want at most %d", got, max)
	}
	if strings.ContainsAny(err.Error(), "\x00\n") {
		t.Errorf("error %q holds control characters", err)
	}
}

func TestTransmitRejectsDelivery(t *testing.T) {
	tests := []struct {
		name string
		edit func(*service.Delivery)
	}{
		{"empty ID", func(d *service.Delivery) { d.ID = "" }},
		{"dot in ID", func(d *service.Delivery) { d.ID = "a.b" }},
		{"newline in ID", func(d *service.Delivery) { d.ID = "a\r\nX-Injected: 1" }},
		{"newline in reference", func(d *service.Delivery) { d.Reference = "RD-1\nX-Injected: 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := mustReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			cfg, dials := receiverConfig(t, ts)
			d := testDelivery("127.0.0.1")
			tt.edit(&d)
			if err := mustClient(t, cfg).Transmit(t.Context(), ts.URL+"/hook", d); !isPermanent(err) {
				t.Errorf("Transmit = %v, want a permanent error", err)
			}
			if got, want := dials.Load(), int32(0); got != want {
				t.Errorf("dials = %d, want %d", got, want)
			}
		})
	}
}
