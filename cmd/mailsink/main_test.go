package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/mail"
	"github.com/rightsdesk/rightsdesk/service"
)

// syncBuffer is stdout shared between run's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitForOutput polls stdout until re matches, with a generous timeout, and returns the match.
func waitForOutput(t *testing.T, out *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no output matching %s; got:\n%s", re, out.String())
	return nil
}

func TestRunPrintsMail(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &out) }()

	url := waitForOutput(t, &out, regexp.MustCompile(`RIGHTSDESK_SMTP_URL=(smtp://127\.0\.0\.1:\d+)`))[1]
	cfg, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSender(cfg, "rightsdesk@localhost")
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(t.Context(), service.OutgoingMail{ID: "m-1", To: "li.wei@example.com",
		Subject: "您的请求已收到", Text: "您好，\n我们已收到您的请求。\n", HTML: "<p>您好</p>"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	waitForOutput(t, &out, regexp.MustCompile(`(?s)From: rightsdesk@localhost\nTo: li\.wei@example\.com\n`+
		`Subject: 您的请求已收到\nMessage-ID: <m-1@rightsdesk>\n\n您好，\n我们已收到您的请求。\n`))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop after its context was cancelled")
	}
	if !strings.Contains(out.String(), "mailsink: stopping") {
		t.Errorf("no stop notice in:\n%s", out.String())
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-addr", "127.0.0.1:notaport"}, {"-nosuchflag"}, {"extra"}} {
		var out syncBuffer
		if err := run(t.Context(), args, &out); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
