package smtptest_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/mail/smtptest"
)

// alternative is a message as a mail client writes it: a B-encoded Chinese subject, a quoted-printable text part
// and a base64 HTML part.
const alternative = "From: Rightsdesk <rightsdesk@localhost>\r\n" +
	"To: li.wei@example.com\r\n" +
	"Subject: =?UTF-8?B?5oKo55qE6K+35rGC5bey5pS25Yiw?=\r\n" +
	"Message-ID: <m-1@rightsdesk>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"=E6=82=A8=E5=A5=BD\r\n" +
	"a long line that is soft=\r\n" +
	" broken\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+5oKo5aW9PC9w\r\n" +
	"Pg==\r\n" +
	"--b1--\r\n"

// send delivers one message with go-smtp's own client, so these tests do not depend on the code under test.
// (smtp.SendMail insists on STARTTLS.)
func send(t *testing.T, addr, from string, to []string, data string) error {
	t.Helper()
	return sendAuth(t, addr, nil, from, to, data)
}

func sendAuth(t *testing.T, addr string, auth sasl.Client, from string, to []string, data string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.SendMail(from, to, strings.NewReader(data)); err != nil {
		return err
	}
	return c.Quit()
}

func TestServerCollectsMessages(t *testing.T) {
	srv := smtptest.NewServer(t)
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || srv.URL() != "smtp://"+srv.Addr() {
		t.Fatalf("Addr() = %q, URL() = %q; want 127.0.0.1:PORT and smtp://127.0.0.1:PORT", srv.Addr(), srv.URL())
	}
	if err := send(t, srv.Addr(), "rightsdesk@localhost", []string{"li.wei@example.com"}, alternative); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	want := smtptest.Message{
		From:    "rightsdesk@localhost",
		To:      []string{"li.wei@example.com"},
		Subject: "您的请求已收到",
		Text:    "您好\na long line that is soft broken", // the CRLF before a boundary belongs to the boundary
		HTML:    "<p>您好</p>",
	}
	if diff := cmp.Diff(want, got, cmpIgnoreRaw); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if got.Header.Get("Message-ID") != "<m-1@rightsdesk>" {
		t.Errorf("Message-ID = %q", got.Header.Get("Message-ID"))
	}
	if string(got.Data) != alternative {
		t.Errorf("Data is not the message as sent:\n%s", got.Data)
	}

	msgs[0].Subject = "changed by the caller"
	if srv.Messages()[0].Subject != want.Subject {
		t.Error("Messages() handed out its own slice: a caller's change reached the server")
	}
	srv.Reset()
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("after Reset, %d messages remain", n)
	}
}

// cmpIgnoreRaw compares the decoded fields; Data and Header are checked on their own.
var cmpIgnoreRaw = cmp.FilterPath(func(p cmp.Path) bool {
	name := p.Last().String()
	return name == ".Data" || name == ".Header"
}, cmp.Ignore())

func TestWithAuth(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("mailer", "s3cret"))
	msg := "Subject: hi\r\n\r\nbody\r\n"
	to := []string{"a@example.com"}

	if err := send(t, srv.Addr(), "x@localhost", to, msg); !hasCode(err, 502) {
		t.Errorf("without AUTH: err = %v, want 502 (authenticate first)", err)
	}
	if err := sendAuth(t, srv.Addr(), sasl.NewPlainClient("", "mailer", "wrong"), "x@localhost", to, msg); !hasCode(err, 535) {
		t.Errorf("wrong password: err = %v, want 535", err)
	}
	if err := sendAuth(t, srv.Addr(), sasl.NewPlainClient("", "mailer", "s3cret"), "x@localhost", to, msg); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("got %d messages, want only the authenticated one", n)
	}
}

func TestRejectRecipients(t *testing.T) {
	for _, code := range []int{550, 451} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.RejectRecipients(code, "no such user"))
			err := send(t, srv.Addr(), "x@localhost", []string{"gone@example.com"}, "Subject: hi\r\n\r\nbody\r\n")
			if !hasCode(err, code) || !strings.Contains(err.Error(), "no such user") {
				t.Errorf("err = %v, want %d no such user", err, code)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("got %d messages, want none", n)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.FailNext(2, 451))
	for i, wantCode := range []int{451, 451, 0, 0} {
		err := send(t, srv.Addr(), "x@localhost", []string{"a@example.com"}, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
		if wantCode == 0 && err != nil || wantCode != 0 && !hasCode(err, wantCode) {
			t.Errorf("attempt %d: err = %v, want code %d", i, err, wantCode)
		}
	}
	var subjects []string
	for _, m := range srv.Messages() {
		subjects = append(subjects, m.Subject)
	}
	if diff := cmp.Diff([]string{"2", "3"}, subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
}

func TestWaitFor(t *testing.T) {
	srv := smtptest.NewServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() {
			errs <- send(t, srv.Addr(), "x@localhost", []string{"a@example.com"}, fmt.Sprintf("Subject: %d\r\n\r\nb\r\n", i))
		})
	}
	msgs := srv.WaitFor(t, 3, 30*time.Second)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("send: %v", err)
		}
	}
	if len(msgs) != 3 {
		t.Errorf("WaitFor returned %d messages, want 3", len(msgs))
	}

	fake := &recordingTB{TB: t}
	if got := srv.WaitFor(fake, 4, 10*time.Millisecond); got != nil || !strings.Contains(fake.fatal, "want 4") {
		t.Errorf("WaitFor for a message that never comes: returned %d, failed with %q", len(got), fake.fatal)
	}
}

// recordingTB records Fatalf instead of stopping the test, to check how WaitFor fails.
type recordingTB struct {
	testing.TB
	fatal string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

func TestSTARTTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithSTARTTLS("mail.example.test"), smtptest.WithAuth("mailer", "s3cret"))
	c, err := smtp.DialStartTLS(srv.Addr(), &tls.Config{RootCAs: srv.RootCAs(), ServerName: "mail.example.test"})
	if err != nil {
		t.Fatalf("dial with STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "mailer", "s3cret")); err != nil {
		t.Fatalf("auth: %v", err)
	}
	if err := c.SendMail("x@localhost", []string{"a@example.com"}, strings.NewReader("Subject: tls\r\n\r\nb\r\n")); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Errorf("quit: %v", err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Errorf("messages = %+v, want one that came over TLS", msgs)
	}
}

func TestCleanupStopsServer(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = smtptest.NewServer(t).Addr()
	})
	if err := send(t, addr, "x@localhost", []string{"a@example.com"}, "Subject: late\r\n\r\nb\r\n"); err == nil {
		t.Error("the server still accepted mail after its test ended")
	}
}

func hasCode(err error, code int) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code == code
}
