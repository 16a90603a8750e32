// Package transmit sends a portability copy straight to the third party a subject named: it is the adapter
// behind service.Transmitter. The endpoint is chosen by the subject, so the client refuses targets inside our
// network (see ssrf.go), never follows redirects, and signs every delivery so the receiver can check its origin.
package transmit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/service"
)

// The headers of a delivery. They are exported so that a receiver written in Go need not copy the strings.
const (
	HeaderDelivery  = "Rightsdesk-Delivery"  // the delivery ID: the same on every retry, so repeats can be dropped
	HeaderReference = "Rightsdesk-Reference" // the request's reference, for the receiver's records (not signed)
	HeaderTimestamp = "Rightsdesk-Timestamp" // unix seconds when the delivery was signed
	HeaderSignature = "Rightsdesk-Signature" // v1=<hex HMAC-SHA256(secret, timestamp "." delivery "." body)>
)

const (
	defaultTimeout = 30 * time.Second
	minSecret      = 32      // bytes: the size of the HMAC-SHA256 output, below which the key is the weak part
	maxAnswerRead  = 4 << 10 // bytes of an answer we read: enough for a reason, too little to hurt
	maxAnswerQuote = 256     // bytes of an answer we quote in an error, which is stored and shown to admins
)

// Verification failures, distinguished so a receiver can tell a forgery from a clock that drifted.
var (
	ErrBadSignature = errors.New("transmit: signature does not verify")
	ErrStale        = errors.New("transmit: timestamp outside the accepted window")
)

// Config configures a Client. Only Secret is required; the other fields exist for tests. The allow-list comes
// with each delivery (service.Delivery.AllowedHosts), as it stands at that attempt.
type Config struct {
	// Secret is the HMAC-SHA256 key shared with receivers; at least 32 bytes.
	Secret []byte
	// Timeout bounds one whole delivery, from lookup to the answer; default 30s.
	Timeout time.Duration
	// Now is the clock for the signature timestamp; default time.Now.
	Now func() time.Time
	// RootCAs verifies the recipients' certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// DialContext connects to an address that has already been checked (an IP and port, never a name);
	// default a net.Dialer that checks the address once more.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupIP resolves a hostname; default net.DefaultResolver.LookupNetIP with network "ip".
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Client transmits deliveries; it is safe for concurrent use. It keeps connections to public recipients alive,
// never those to allow-listed ones: a pooled connection would outlive the host's removal from the allow-list.
type Client struct {
	secret   []byte
	timeout  time.Duration
	now      func() time.Time
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	lookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	public   *http.Client // dials public addresses only
	allowed  *http.Client // for allow-listed hosts: may dial private addresses, one connection per delivery
}

var _ service.Transmitter = (*Client)(nil)

// New checks cfg and builds a Client. It fails on a short secret or a malformed allow-list entry, because both
// would otherwise show up only as deliveries that receivers reject or that never reach the intended host.
func New(cfg Config) (*Client, error) {
	if len(cfg.Secret) < minSecret {
		return nil, fmt.Errorf("transmit: the signing secret has %d bytes; it needs at least %d", len(cfg.Secret), minSecret)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("transmit: timeout %s is negative", cfg.Timeout)
	}
	c := &Client{secret: bytes.Clone(cfg.Secret), timeout: cfg.Timeout, now: cfg.Now, dial: cfg.DialContext,
		lookupIP: cfg.LookupIP}
	if c.timeout == 0 {
		c.timeout = defaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, ControlContext: controlPublicOnly}
		c.dial = d.DialContext
	}
	if c.lookupIP == nil {
		c.lookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	c.public = c.newHTTPClient(cfg.RootCAs, false)
	c.allowed = c.newHTTPClient(cfg.RootCAs, true)
	return c, nil
}

// newHTTPClient returns a client whose dials follow the public-only rules, or the allow-listed ones. The
// allow-listed client keeps no idle connection, so that every delivery dials under the allow-list of its time.
func (c *Client) newHTTPClient(roots *x509.CertPool, allowListed bool) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: nil, // a proxy would dial for us, past the address check
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return c.dialChecked(ctx, network, addr, allowListed)
			},
			TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        90 * time.Second,
			DisableKeepAlives:      allowListed,
		},
		// A redirect would send the subject's data to a target the subject did not name, and could point
		// inside our network: the 3xx itself is returned and refused by Transmit.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// allowKey is the form in which allow-list entries and URL hosts are compared: an IP address canonical, a
// name lowercased and without a final dot (example.com. and example.com name the same host).
func allowKey(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String()
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// allowListed reports whether host is on the delivery's allow-list.
func allowListed(host string, d service.Delivery) bool {
	key := allowKey(host)
	for _, h := range d.AllowedHosts {
		if allowKey(h) == key {
			return true
		}
	}
	return false
}

// Transmit POSTs d to endpoint. A *service.PermanentError means retrying cannot help: a malformed or refused
// endpoint, a redirect, or a 4xx other than 408 and 429. Errors name the host only: the endpoint's path or
// query may hold the recipient's token, and the body is the subject's data.
func (c *Client) Transmit(ctx context.Context, endpoint string, d service.Delivery) error {
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return &service.PermanentError{Err: err}
	}
	if err := checkDelivery(d); err != nil {
		return &service.PermanentError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Body))
	if err != nil {
		return &service.PermanentError{Err: fmt.Errorf("build the request to %s: invalid endpoint", u.Host)}
	}
	contentType := d.ContentType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	timestamp := c.now().Unix()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Rightsdesk")
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderReference, d.Reference)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(timestamp, 10))
	req.Header.Set(HeaderSignature, Sign(c.secret, timestamp, d.ID, d.Body))

	client := c.public
	if allowListed(u.Hostname(), d) {
		client = c.allowed
	}
	resp, err := client.Do(req)
	if err != nil {
		return c.transportError(ctx, u.Host, err)
	}
	defer resp.Body.Close()
	return answerError(u.Host, resp)
}

// parseEndpoint accepts only an absolute https URL with a host and no credentials. Its errors do not repeat
// the URL, which may hold a token.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("the recipient endpoint is not a valid URL")
	}
	if !u.IsAbs() || u.Opaque != "" {
		return nil, errors.New("the recipient endpoint is not an absolute https URL")
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("the recipient endpoint uses %s; only https is accepted", u.Scheme)
	}
	if u.User != nil {
		return nil, errors.New("the recipient endpoint must not contain credentials (user info)")
	}
	if u.Hostname() == "" {
		return nil, errors.New("the recipient endpoint has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the recipient endpoint %s has no valid port", u.Hostname())
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// checkDelivery refuses IDs and references that cannot be sent as header values, and IDs with a dot: the
// dot separates the signed fields, so an ID with one would let the ID and body trade bytes under one signature.
func checkDelivery(d service.Delivery) error {
	if d.ID == "" || strings.Contains(d.ID, ".") || !printableASCII(d.ID) {
		return errors.New("the delivery ID must be printable ASCII without dots")
	}
	if !printableASCII(d.Reference) {
		return errors.New("the delivery reference must be printable ASCII")
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// transportError classifies a failure without an answer: a refused target is permanent; a timeout, a lookup
// or connection failure and a TLS failure are retryable, since the recipient may mend them.
func (c *Client) transportError(ctx context.Context, host string, err error) error {
	if refused, ok := errors.AsType[*refusedError](err); ok {
		return &service.PermanentError{Err: refused}
	}
	// url.Error repeats the whole endpoint, whose query may hold the recipient's token.
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("transmit to %s: no answer within %s: %w", host, c.timeout, err)
	}
	return fmt.Errorf("transmit to %s: %w", host, err)
}

// answerError classifies the recipient's answer: nil for 2xx; 408, 429 and 5xx are retryable; anything else,
// a redirect included, is permanent.
func answerError(host string, resp *http.Response) error {
	code := resp.StatusCode
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	switch {
	case code >= 200 && code < 300:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerRead)) // lets a short answer's connection be reused
		return nil
	case code >= 300 && code < 400:
		return &service.PermanentError{Err: fmt.Errorf("recipient %s answered %s: the recipient redirected; redirects are refused",
			host, strings.TrimSpace(status))}
	}
	err := fmt.Errorf("recipient %s answered %s%s", host, strings.TrimSpace(status), quoteAnswer(resp.Body))
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code < 600) {
		return err
	}
	return &service.PermanentError{Err: err}
}

// quoteAnswer reads a little of an answer body and returns it as one short, printable line, so that an
// admin sees the recipient's reason without a hostile recipient filling our error column.
func quoteAnswer(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, maxAnswerRead))
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(string(b), "\uFFFD"))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxAnswerQuote {
		cut := maxAnswerQuote
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return ""
	}
	return ": " + s
}

// Sign returns the Rightsdesk-Signature value for a delivery. Binding the timestamp and delivery ID lets a
// receiver refuse replays and old captures, not only forged bodies.
func Sign(secret []byte, timestamp int64, deliveryID string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	io.WriteString(m, deliveryID)
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received delivery's headers against its body, for receivers written in Go. It accepts any
// of several comma-separated signatures (so a secret can be rotated) and refuses timestamps more than maxSkew
// from now; the errors wrap ErrBadSignature or ErrStale.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, maxSkew time.Duration) error {
	if len(secret) == 0 {
		return errors.New("transmit: verify needs the shared secret")
	}
	if maxSkew <= 0 {
		return errors.New("transmit: verify needs a positive maximum clock skew")
	}
	id := header.Get(HeaderDelivery)
	if id == "" || strings.Contains(id, ".") {
		return fmt.Errorf("%w: missing or malformed %s", ErrBadSignature, HeaderDelivery)
	}
	timestamp, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed %s", ErrBadSignature, HeaderTimestamp)
	}
	want := []byte(Sign(secret, timestamp, id, body))
	matched := false
	for _, value := range header.Values(HeaderSignature) {
		for sig := range strings.SplitSeq(value, ",") {
			if hmac.Equal([]byte(strings.TrimSpace(sig)), want) {
				matched = true
			}
		}
	}
	if !matched {
		return ErrBadSignature
	}
	// Checked after the signature, so ErrStale always means a genuine delivery that is too old or too new.
	if skew := now.Sub(time.Unix(timestamp, 0)).Abs(); skew > maxSkew {
		return fmt.Errorf("%w: signed %s away from now, more than %s", ErrStale, skew, maxSkew)
	}
	return nil
}
