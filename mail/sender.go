package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/rightsdesk/rightsdesk/service"
)

// sendTimeout bounds one delivery, from dialling to QUIT, so that a stalled server cannot hold the outbox job.
const sendTimeout = 30 * time.Second

// messageIDDomain is the right-hand side of every Message-ID: fixed rather than the hostname, so that a resend
// from another replica carries the same Message-ID and mail systems can drop the copy.
const messageIDDomain = "rightsdesk"

// Sender delivers outbox mail to one SMTP server. It keeps no connection between sends (the outbox sends in
// slow batches) and is safe for concurrent use.
type Sender struct {
	cfg     Config
	from    *netmail.Address
	timeout time.Duration
	// dial and tlsConfig are replaced by tests, to reach the test server under another host name and to trust
	// its certificate.
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConfig *tls.Config
}

var _ service.Mailer = (*Sender)(nil)

// NewSender checks the configuration up front, so that a bad RIGHTSDESK_MAIL_FROM stops the start rather than
// failing every mail. From shows cfg.FromName unless from names someone ("Privacy <privacy@example.com>").
func NewSender(cfg Config, from string) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("SMTP host is empty")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("SMTP port %d is out of range", cfg.Port)
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q is not an e-mail address: %w", from, err)
	}
	if addr.Name == "" {
		addr.Name = strings.TrimSpace(cfg.FromName)
	}
	var d net.Dialer
	return &Sender{
		cfg:       cfg,
		from:      addr,
		timeout:   sendTimeout,
		dial:      d.DialContext,
		tlsConfig: &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12},
	}, nil
}

// Send delivers m. The server refusing the mail (a 5xx reply to RCPT or DATA), or a mail that cannot be written
// (a malformed address), is a *service.PermanentError; anything else, a failure to connect, start TLS, log in or
// be accepted as sender included, is worth retrying. Error texts name the mail ID and the server's reply, never
// the password, the body or the recipient.
func (s *Sender) Send(ctx context.Context, m service.OutgoingMail) error {
	msg, err := s.compose(m)
	if err != nil {
		return &service.PermanentError{Err: fmt.Errorf("compose mail %s: %w", m.ID, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	// go-mail leaves the connection open when EHLO, STARTTLS or AUTH fails, and watches ctx only while dialling:
	// keep hold of the connection to close it at the end, or as soon as ctx is done.
	var conn net.Conn
	stopWatching := func() bool { return false }
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		c, err := s.dial(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		conn, stopWatching = c, context.AfterFunc(ctx, func() { c.Close() })
		return c, nil
	}
	defer func() {
		if conn != nil {
			stopWatching()
			conn.Close() // after QUIT this only frees the descriptor
		}
	}()

	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions(dial)...)
	if err != nil {
		return fmt.Errorf("send mail %s: configure SMTP client: %w", m.ID, err)
	}
	smtpClient, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.connectError(ctx, m.ID, err)
	}
	sendErr := client.SendWithSMTPClient(smtpClient, msg)
	_ = client.CloseWithSMTPClient(smtpClient) // a failed QUIT after the server took the mail changes nothing
	if msg.IsDelivered() {
		return nil
	}
	return s.deliveryError(ctx, m.ID, sendErr)
}

func (s *Sender) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(dial),
		gomail.WithoutNoop(), // the connection is fresh: no need to probe it before MAIL
	}
	if s.cfg.Username != "" {
		// go-mail's PLAIN refuses to run over an unencrypted connection to anything but localhost; connectError
		// turns that refusal into an explanation.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// compose builds the message. Its errors are about m itself, so sending it again cannot help.
func (s *Sender) compose(m service.OutgoingMail) (*gomail.Msg, error) {
	if err := checkMessageID(m.ID); err != nil {
		return nil, err
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		// The address is personal data, and net/mail's errors quote parts of it: say that it is wrong, not why.
		return nil, errors.New("recipient address is not an e-mail address")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent()) // UTF-8, quoted-printable; headers RFC 2047-encoded
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + messageIDDomain)
	// RFC 3834: tells auto-responders (out-of-office, vacation) not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// checkMessageID accepts the IDs that can stand left of the @ in a Message-ID (RFC 5322 dot-atom text).
func checkMessageID(id string) error {
	if id == "" {
		return errors.New("mail has no ID to make its Message-ID from")
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)) {
			return fmt.Errorf("mail ID %q cannot form a Message-ID", id)
		}
	}
	return nil
}

// connectError explains a failure before MAIL FROM. These are all about the server or the configuration, not
// about the mail, so they stay retryable: once the operator fixes the setting, the queue drains.
func (s *Sender) connectError(ctx context.Context, id string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("send mail %s: connect to SMTP server %s: %w (%w)", id, s.cfg.Addr(), ctx.Err(), err)
	case errors.Is(err, gosmtp.ErrUnencrypted):
		return fmt.Errorf("send mail %s: refusing to send the SMTP password unencrypted: %s does not offer "+
			"STARTTLS, and AUTH PLAIN without TLS is allowed only to localhost: %w", id, s.cfg.Addr(), err)
	default:
		return fmt.Errorf("send mail %s: connect to SMTP server %s: %w", id, s.cfg.Addr(), err)
	}
}

// deliveryError classifies a failure from MAIL FROM on. A 5xx reply to RCPT or DATA is the server's final
// word on this mail: permanent. A 5xx reply to MAIL FROM refuses us, not the mail (no AUTH configured where the
// server wants it, a sender address it will not relay for), so like a connect failure it stays retryable and
// drains once the configuration is fixed, instead of failing the whole queue for good.
func (s *Sender) deliveryError(ctx context.Context, id string, err error) error {
	if err == nil { // not delivered, yet no error: go-mail never does this, but never report a success that was not
		err = errors.New("the server did not confirm delivery")
	}
	if ctx.Err() != nil {
		return &safeError{msg: fmt.Sprintf("send mail %s via %s: %v (%s)", id, s.cfg.Addr(), ctx.Err(), replyText(err)),
			err: errors.Join(ctx.Err(), err)}
	}
	e := &safeError{msg: fmt.Sprintf("send mail %s via %s: %s", id, s.cfg.Addr(), replyText(err)), err: err}
	if mailRejected(err) {
		return &service.PermanentError{Err: e}
	}
	return e
}

// mailRejected reports a 5xx reply to RCPT or DATA. go-mail's SendError.IsTemp is false for lost connections and
// timeouts too, so it alone would fail for good mail that a retry would deliver: the reply code decides.
func mailRejected(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.Reason != gomail.ErrSMTPMailFrom && !se.IsTemp() && se.ErrorCode()/100 == 5
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code/100 == 5
}

// replyText is err's text less what go-mail appends: the recipients (an address is personal data, and the text
// is stored in the outbox and shown to operators) and the Message-ID (the mail ID is named already).
func replyText(err error) string {
	text := err.Error()
	for _, suffix := range []string{", affected recipient(s): ", ", affected message ID: "} {
		text, _, _ = strings.Cut(text, suffix)
	}
	return text
}

// safeError carries a cause for errors.As and errors.Is while its text is written here, free of personal data.
type safeError struct {
	msg string
	err error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }
