package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"mime"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/mail/smtptest"
	"github.com/rightsdesk/rightsdesk/service"
)

const (
	testFrom     = "rightsdesk@localhost"
	testTo       = "li.wei@example.com"
	testPassword = "pa:ss@w/rd"
	// A subject long enough that the encoder splits it into several encoded words.
	chineseSubject = "您的数据删除请求 DSR-2026-000042 已收到：我们将在十五个工作日内答复您，请留意邮件"
	chineseText    = "您好，\n\n我们已收到您的请求 DSR-2026-000042。\n"
	htmlBody       = "<p>您好，</p><p>我们已收到您的请求。</p>"
)

func testMail() service.OutgoingMail {
	return service.OutgoingMail{ID: "0b4c2a9e-6f0d-4c1e-9a57-3d2f1e8b7c65", To: testTo, Subject: chineseSubject,
		Text: chineseText, HTML: htmlBody}
}

// mustSender makes a Sender for rawURL; with host set, it dials the test server at addr whatever the URL names,
// so that a test can play a remote, non-localhost server while only ever connecting to 127.0.0.1.
func mustSender(tb testing.TB, rawURL string, redirectTo string) *Sender {
	tb.Helper()
	cfg, err := ParseURL(rawURL)
	if err != nil {
		tb.Fatalf("ParseURL: %v", err)
	}
	s, err := NewSender(cfg, testFrom)
	if err != nil {
		tb.Fatalf("NewSender: %v", err)
	}
	if redirectTo != "" {
		var d net.Dialer
		s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, redirectTo)
		}
	}
	return s
}

func withCredentials(url, user, pass string) string {
	return strings.Replace(url, "smtp://", "smtp://"+user+":"+pass+"@", 1)
}

func TestSendDeliversMessage(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := mustSender(t, srv.URL(), "")
	m := testMail()
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, 10*time.Second)[0]

	if got.From != testFrom || len(got.To) != 1 || got.To[0] != testTo {
		t.Errorf("envelope from %q to %q, want %q to [%q]", got.From, got.To, testFrom, testTo)
	}
	if got.Subject != chineseSubject {
		t.Errorf("Subject decoded = %q, want %q", got.Subject, chineseSubject)
	}
	if raw := got.Header.Get("Subject"); !strings.Contains(raw, "=?UTF-8?") {
		t.Errorf("Subject header %q is not RFC 2047-encoded", raw)
	}
	for header, want := range map[string]string{
		"Message-Id":     "<" + m.ID + "@rightsdesk>",
		"Auto-Submitted": "auto-generated",
		"From":           "<" + testFrom + ">",
		"To":             "<" + testTo + ">",
		"Mime-Version":   "1.0",
	} {
		if v := got.Header.Get(header); v != want {
			t.Errorf("%s = %q, want %q", header, v, want)
		}
	}
	if got.Header.Get("Date") == "" {
		t.Error("no Date header")
	}
	if mediaType, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mediaType != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", got.Header.Get("Content-Type"))
	}
	if got.Text != chineseText {
		t.Errorf("text part = %q, want %q", got.Text, chineseText)
	}
	if got.HTML != htmlBody {
		t.Errorf("HTML part = %q, want %q", got.HTML, htmlBody)
	}
	if got.TLS {
		t.Error("came over TLS from a server that offers none")
	}
}

// TestFromShowsTheOrganisation: the From header carries the organisation's name (RIGHTSDESK_ORG_NAME) as its
// display name, RFC 2047-encoded when it is Chinese; a name given in the sender address itself wins.
func TestFromShowsTheOrganisation(t *testing.T) {
	for _, tc := range []struct{ from, orgName, wantName string }{
		{testFrom, "Example Trading Ltd", "Example Trading Ltd"},
		{testFrom, "示例科技有限公司", "示例科技有限公司"},
		{"Privacy Office <" + testFrom + ">", "Example Trading Ltd", "Privacy Office"},
	} {
		srv := smtptest.NewServer(t)
		cfg, err := ParseURL(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		cfg.FromName = tc.orgName
		s, err := NewSender(cfg, tc.from)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(t.Context(), testMail()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := srv.WaitFor(t, 1, 10*time.Second)[0]
		from, err := got.Header.AddressList("From")
		if err != nil || len(from) != 1 {
			t.Fatalf("From %q: %v", got.Header.Get("From"), err)
		}
		if from[0].Name != tc.wantName || from[0].Address != testFrom {
			t.Errorf("From %q <%s>, want %q <%s>", from[0].Name, from[0].Address, tc.wantName, testFrom)
		}
		if got.From != testFrom {
			t.Errorf("envelope sender %q, want %q", got.From, testFrom)
		}
	}
}

func TestSendTextOnly(t *testing.T) {
	srv := smtptest.NewServer(t)
	m := testMail()
	m.HTML = ""
	if err := mustSender(t, srv.URL(), "").Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Messages()[0]
	if mediaType, params, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mediaType != "text/plain" ||
		!strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q, want text/plain; charset=UTF-8", got.Header.Get("Content-Type"))
	}
	if got.Text != chineseText || got.HTML != "" {
		t.Errorf("text %q, HTML %q; want %q and none", got.Text, got.HTML, chineseText)
	}
}

func TestSendSameIDSameMessageID(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := mustSender(t, srv.URL(), "")
	for range 2 {
		if err := s.Send(t.Context(), testMail()); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	msgs := srv.Messages()
	if a, b := msgs[0].Header.Get("Message-Id"), msgs[1].Header.Get("Message-Id"); a != b {
		t.Errorf("a resend got another Message-ID: %q then %q", a, b)
	}
}

func TestSendAuthPlain(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("mailer", testPassword))

	ok := mustSender(t, withCredentials(srv.URL(), "mailer", "pa%3Ass%40w%2Frd"), "")
	if err := ok.Send(t.Context(), testMail()); err != nil {
		t.Fatalf("Send with the right credentials: %v", err)
	}

	wrong := mustSender(t, withCredentials(srv.URL(), "mailer", "not-the-password"), "")
	err := wrong.Send(t.Context(), testMail())
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	checkRetryable(t, err)
	if !strings.Contains(err.Error(), "535") {
		t.Errorf("err = %q, want the server's 535", err)
	}
	checkDiscreet(t, err, "not-the-password")

	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want only the authenticated one", n)
	}
}

// A remote server that offers no STARTTLS must never see the password.
func TestSendRefusesCleartextCredentials(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("mailer", testPassword))
	s := mustSender(t, "smtp://mailer:secret-password@mail.example.test:587", srv.Addr())
	err := s.Send(t.Context(), testMail())
	if err == nil {
		t.Fatal("Send sent credentials over a plain connection to a remote host")
	}
	checkRetryable(t, err)
	if !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("err = %q, want it to explain the refusal", err)
	}
	checkDiscreet(t, err, "secret-password")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages arrived, want none", n)
	}
}

func TestSendUsesSTARTTLSWhenOffered(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithSTARTTLS("mail.example.test"), smtptest.WithAuth("mailer", testPassword))
	s := mustSender(t, withCredentials("smtp://mail.example.test:587", "mailer", "pa%3Ass%40w%2Frd"), srv.Addr())
	s.tlsConfig = &tls.Config{ServerName: "mail.example.test", RootCAs: srv.RootCAs(), MinVersion: tls.VersionTLS12}
	if err := s.Send(t.Context(), testMail()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS || got[0].Subject != chineseSubject {
		t.Errorf("messages = %d (TLS %v), want one, over TLS", len(got), len(got) == 1 && got[0].TLS)
	}
}

func TestSendUntrustedCertificateFails(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithSTARTTLS("mail.example.test"))
	s := mustSender(t, "smtp://mail.example.test:25", srv.Addr()) // system roots: the test certificate is unknown
	err := s.Send(t.Context(), testMail())
	if err == nil {
		t.Fatal("Send went on after a failed TLS handshake")
	}
	checkRetryable(t, err)
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages arrived, want none", n)
	}
}

func TestSendWithoutTLSOrCredentials(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := mustSender(t, "smtp://relay.example.test:25", srv.Addr())
	if err := s.Send(t.Context(), testMail()); err != nil {
		t.Fatalf("Send to a plain remote relay without credentials: %v", err)
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	tests := []struct {
		name          string
		opts          []smtptest.Option
		wantPermanent bool
		wantText      string
	}{
		{"recipient refused", []smtptest.Option{smtptest.RejectRecipients(550, "mailbox unavailable")}, true, "550"},
		{"recipient deferred", []smtptest.Option{smtptest.RejectRecipients(451, "try again later")}, false, "451"},
		{"data refused", []smtptest.Option{smtptest.FailNext(1, 554)}, true, "554"},
		{"data deferred", []smtptest.Option{smtptest.FailNext(1, 452)}, false, "452"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.opts...)
			err := mustSender(t, srv.URL(), "").Send(t.Context(), testMail())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var perm *service.PermanentError
			if got := errors.As(err, &perm); got != tt.wantPermanent {
				t.Errorf("permanent = %v, want %v (err %q)", got, tt.wantPermanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want the server's %s", err, tt.wantText)
			}
			checkDiscreet(t, err, testPassword)
			if strings.Contains(err.Error(), "affected") {
				t.Errorf("err = %q keeps go-mail's suffixes", err)
			}
		})
	}
}

// A server that wants AUTH when none is configured refuses MAIL FROM: that is the configuration, not the mail,
// so it must not fail the mail for good.
func TestSendMailFromRefusedIsRetryable(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("mailer", testPassword))
	err := mustSender(t, srv.URL(), "").Send(t.Context(), testMail())
	checkRetryable(t, err)
	if err == nil || !strings.Contains(err.Error(), "MAIL FROM") {
		t.Errorf("err = %v, want the refused MAIL FROM", err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	err = mustSender(t, "smtp://"+addr, "").Send(t.Context(), testMail())
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	checkRetryable(t, err)
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %q, want it to name the server", err)
	}
}

func TestSendRetryAfterTemporaryFailure(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.FailNext(1, 451))
	s := mustSender(t, srv.URL(), "")
	checkRetryable(t, s.Send(t.Context(), testMail()))
	if err := s.Send(t.Context(), testMail()); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

// A server that accepts the connection and then says nothing must not hold Send past its context.
func TestSendHonoursContext(t *testing.T) {
	addr := silentServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := mustSender(t, "smtp://"+addr, "").Send(ctx, testMail())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	checkRetryable(t, err)
}

// silentServer accepts connections on 127.0.0.1 and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestSendRefusesBadMailWithoutConnecting(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := mustSender(t, srv.URL(), "")
	for name, m := range map[string]service.OutgoingMail{
		"bad recipient": {ID: "m1", To: "not an address", Subject: "s", Text: "t"},
		"two addresses": {ID: "m1", To: "a@example.com, not an address", Subject: "s", Text: "t"},
		"no ID":         {To: testTo, Subject: "s", Text: "t"},
		"ID with <>":    {ID: "a>b", To: testTo, Subject: "s", Text: "t"},
	} {
		err := s.Send(t.Context(), m)
		var perm *service.PermanentError
		if !errors.As(err, &perm) {
			t.Errorf("%s: err = %v, want a PermanentError", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "not an address") {
			t.Errorf("%s: err = %q repeats the recipient", name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages arrived, want none", n)
	}
}

func TestNewSender(t *testing.T) {
	cfg := Config{Host: "127.0.0.1", Port: 25}
	for _, from := range []string{"rightsdesk@localhost", "Rightsdesk <dpo@example.com>"} {
		if _, err := NewSender(cfg, from); err != nil {
			t.Errorf("NewSender(%q): %v", from, err)
		}
	}
	for _, from := range []string{"", "rightsdesk", "a@b, c@d"} {
		if _, err := NewSender(cfg, from); err == nil {
			t.Errorf("NewSender(%q) accepted it", from)
		}
	}
	if _, err := NewSender(Config{Port: 25}, testFrom); err == nil {
		t.Error("NewSender accepted a config without host")
	}
}

func checkRetryable(t *testing.T, err error) {
	t.Helper()
	var perm *service.PermanentError
	if err == nil || errors.As(err, &perm) {
		t.Errorf("err = %v, want a retryable error", err)
	}
}

// checkDiscreet fails when an error text holds the password, the body or the recipient's address.
func checkDiscreet(t *testing.T, err error, password string) {
	t.Helper()
	for what, secret := range map[string]string{"password": password, "text body": "我们已收到您的请求",
		"HTML body": "<p>", "recipient": testTo} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text contains the %s: %q", what, err)
		}
	}
}
