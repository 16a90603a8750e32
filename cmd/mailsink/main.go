// Command mailsink is a development mail server: it accepts every message and prints it, so that the mail a
// local rightsdesk sends can be watched without a real mail server:
//
//	go run ./cmd/mailsink &
//	RIGHTSDESK_SMTP_URL=smtp://127.0.0.1:2525 go run ./cmd/rightsdesk
//
// It decodes with smtptest.ParseMessage, the parser the mail tests check delivered mail with, so what it prints
// is what those tests see; that pulls package testing into this development binary, which is harmless here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rightsdesk/rightsdesk/mail/smtptest"
)

// shutdownGrace is how long a stop waits for a message in transit before dropping the connection.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mailsink:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then stops gracefully.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mailsink", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:2525", "address to listen on; keep it on loopback: the sink has no authentication")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	out := &printer{w: stdout}
	out.printf("mailsink: listening on %s; send mail with RIGHTSDESK_SMTP_URL=smtp://%s\n", ln.Addr(), ln.Addr())
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		out.printf("mailsink: warning: %s is not a loopback address; anyone who reaches it can send mail here\n", ln.Addr())
	}

	be := &backend{out: out, conns: map[*smtp.Conn]struct{}{}}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 25 << 20
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Minute, time.Minute
	srv.ErrorLog = out

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	out.printf("mailsink: stopping\n")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); errors.Is(err, context.DeadlineExceeded) {
		be.closeAll() // after Shutdown, srv.Close no longer closes connections: do it here
	}
	return <-served
}

// printer serialises output: sessions run concurrently, and one message's lines must stay together.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// Printf and Println make printer go-smtp's error log.
func (p *printer) Printf(format string, v ...any) { p.printf("mailsink: "+format+"\n", v...) }
func (p *printer) Println(v ...any)               { p.printf("mailsink: %s", fmt.Sprintln(v...)) }

// printMessage shows a message as a developer wants to read it: who to whom, the subject, then the text.
func (p *printer) printMessage(from string, to []string, data []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "----- %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(&b, "From: %s\nTo: %s\n", from, strings.Join(to, ", "))
	m, err := smtptest.ParseMessage(data)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "(cannot decode: %v; as received:)\n\n%s\n", err, data)
	default:
		fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
		if id := m.Header.Get("Message-Id"); id != "" {
			fmt.Fprintf(&b, "Message-ID: %s\n", id)
		}
		b.WriteString("\n")
		switch {
		case m.Text != "":
			b.WriteString(strings.TrimRight(m.Text, "\n") + "\n")
		case m.HTML != "":
			fmt.Fprintf(&b, "(no text part; the HTML part has %d bytes)\n", len(m.HTML))
		default:
			b.WriteString("(no text)\n")
		}
	}
	p.printf("%s", b.String())
}

// backend accepts everything and remembers open connections, to drop them if a stop outlasts shutdownGrace.
type backend struct {
	out   *printer
	mu    sync.Mutex
	conns map[*smtp.Conn]struct{}
}

func (be *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	be.mu.Lock()
	defer be.mu.Unlock()
	be.conns[c] = struct{}{}
	return &session{be: be, conn: c}, nil
}

func (be *backend) closeAll() {
	be.mu.Lock()
	conns := make([]*smtp.Conn, 0, len(be.conns))
	for c := range be.conns {
		conns = append(conns, c)
	}
	be.mu.Unlock() // Close calls Logout, which takes mu
	for _, c := range conns {
		c.Close()
	}
}

type session struct {
	be   *backend
	conn *smtp.Conn
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                      { s.from, s.to = "", nil }

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	s.be.out.printMessage(s.from, s.to, data)
	return nil
}

func (s *session) Logout() error {
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	delete(s.be.conns, s.conn)
	return nil
}
