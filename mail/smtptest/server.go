// Package smtptest runs a real SMTP server on the loopback interface for tests, as net/http/httptest does for
// HTTP: code under test speaks real SMTP to it, and the test reads back what arrived.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is an SMTP server on 127.0.0.1 that keeps every accepted message in memory.
type Server struct {
	tb   testing.TB
	opts options
	smtp *smtp.Server
	ln   net.Listener
	done chan struct{} // closed when Serve has returned
	pool *x509.CertPool

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{} // closed and replaced at every new message, to wake WaitFor
	failLeft int           // DATA commands still to fail (FailNext)
	closed   bool          // no more logging to tb once the test is over
}

// Option changes how the server answers, to put the client through authentication and failures.
type Option func(*options)

type options struct {
	user, pass          string
	rejectCode          int
	rejectMessage       string
	failCount, failCode int
	startTLS            bool
	tlsNames            []string
}

// WithAuth requires AUTH PLAIN with these credentials before MAIL. It is allowed without TLS, since the server
// is local; a wrong password gets 535.
func WithAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// RejectRecipients answers every RCPT TO with code (550 for a permanent, 451 for a temporary refusal).
func RejectRecipients(code int, message string) Option {
	return func(o *options) { o.rejectCode, o.rejectMessage = code, message }
}

// FailNext makes the next n DATA commands fail with code; the ones after succeed. It tests retries.
func FailNext(n int, code int) Option {
	return func(o *options) { o.failCount, o.failCode = n, code }
}

// WithSTARTTLS offers STARTTLS with a self-signed certificate for 127.0.0.1, localhost and names; clients trust
// it through RootCAs. It tests that a client upgrades when offered and sends credentials only then.
func WithSTARTTLS(names ...string) Option {
	return func(o *options) { o.startTLS, o.tlsNames = true, append(o.tlsNames, names...) }
}

// NewServer starts a server on 127.0.0.1 with a free port; it stops when the test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{tb: tb, done: make(chan struct{}), arrived: make(chan struct{})}
	for _, o := range opts {
		o(&s.opts)
	}
	s.failLeft = s.opts.failCount

	s.smtp = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.smtp.Domain = "localhost"
	s.smtp.AllowInsecureAuth = true
	s.smtp.MaxMessageBytes = 10 << 20
	// A client that stalls is dropped after a minute rather than holding the test until its deadline.
	s.smtp.ReadTimeout, s.smtp.WriteTimeout = time.Minute, time.Minute
	s.smtp.ErrorLog = testLogger{s}
	if s.opts.startTLS {
		cert, pool, err := selfSigned(s.opts.tlsNames)
		if err != nil {
			tb.Fatalf("smtptest: make certificate: %v", err)
		}
		s.smtp.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s.ln = ln
	go func() {
		defer close(s.done)
		if err := s.smtp.Serve(ln); err != nil {
			s.logf("smtptest: serve: %v", err)
		}
	}()
	tb.Cleanup(s.close)
	return s
}

// close stops accepting, drops open connections and waits for the accept loop to end.
func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.smtp.Close()
	_ = s.ln.Close() // in case Serve had not registered the listener yet
	<-s.done
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server as RIGHTSDESK_SMTP_URL names it (without credentials).
func (s *Server) URL() string { return "smtp://" + s.Addr() }

// RootCAs holds the certificate WithSTARTTLS serves, for the client's tls.Config; nil without WithSTARTTLS.
func (s *Server) RootCAs() *x509.CertPool { return s.pool }

// Messages returns a copy of the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// WaitFor waits until at least n messages have arrived and returns them; it fails the test after timeout.
// Delivery is synchronous for an SMTP client, so this is for code that sends from a goroutine of its own.
func (s *Server) WaitFor(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.messages), s.arrived
		if got >= n {
			msgs := slices.Clone(s.messages)
			s.mu.Unlock()
			return msgs
		}
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline.C:
			tb.Fatalf("smtptest: %d message(s) arrived within %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// Reset forgets the messages received so far (the options, FailNext's count included, stay as they are).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
}

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed { // testing panics on a log after the test has finished
		s.tb.Logf(format, args...)
	}
}

// testLogger sends go-smtp's connection errors to the test log instead of stderr.
type testLogger struct{ s *Server }

func (l testLogger) Printf(format string, v ...any) { l.s.logf("smtptest: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.s.logf("smtptest: %s", fmt.Sprintln(v...)) }

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is one SMTP transaction at a time on one connection.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.user == "" {
		return nil // AUTH not advertised
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.srv.opts.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.srv.opts.user || pass != ss.srv.opts.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.opts.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if o := ss.srv.opts; o.rejectCode != 0 {
		return &smtp.SMTPError{Code: o.rejectCode, EnhancedCode: smtp.EnhancedCodeNotSet, Message: o.rejectMessage}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	s := ss.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft > 0 {
		s.failLeft--
		return &smtp.SMTPError{Code: s.opts.failCode, EnhancedCode: smtp.EnhancedCodeNotSet,
			Message: "smtptest: failing as told (FailNext)"}
	}
	m, err := ParseMessage(data)
	if err != nil {
		// Refuse what cannot be read back, so that the sending test sees the fault instead of a half message.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "smtptest: message does not parse: " + err.Error()}
	}
	m.From, m.To = ss.from, slices.Clone(ss.to)
	_, m.TLS = ss.conn.TLSConnectionState()
	s.messages = append(s.messages, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
