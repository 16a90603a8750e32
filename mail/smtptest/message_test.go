package smtptest_test

import (
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/mail/smtptest"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name                      string
		data                      string
		wantSubject, wantText     string
		wantHTML, wantErrContains string
	}{
		{
			name:        "plain without MIME headers",
			data:        "Subject: hello\r\n\r\nline one\r\nline two\r\n",
			wantSubject: "hello", wantText: "line one\nline two\n",
		},
		{
			name: "single part base64",
			data: "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\n" +
				"Content-Transfer-Encoding: base64\r\n\r\n5L2g5aW9\r\n",
			wantSubject: "café", wantText: "你好",
		},
		{
			name:        "the alternative message",
			data:        alternative,
			wantSubject: "您的请求已收到", wantText: "您好\na long line that is soft broken", wantHTML: "<p>您好</p>",
		},
		{
			name: "alternative nested in mixed, attachment skipped",
			data: "Subject: s\r\nContent-Type: multipart/mixed; boundary=out\r\n\r\n" +
				"--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n" +
				"--in\r\nContent-Type: text/plain\r\n\r\ntext\r\n" +
				"--in\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--in--\r\n" +
				"--out\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nattached\r\n" +
				"--out--\r\n",
			wantSubject: "s", wantText: "text", wantHTML: "<b>html</b>",
		},
		{
			name:            "multipart without boundary",
			data:            "Subject: s\r\nContent-Type: multipart/alternative\r\n\r\nx\r\n",
			wantErrContains: "without boundary",
		},
		{
			name:            "unknown transfer encoding",
			data:            "Subject: s\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n",
			wantErrContains: "x-uuencode",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := smtptest.ParseMessage([]byte(tt.data))
			if tt.wantErrContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrContains) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErrContains)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if got.Subject != tt.wantSubject || got.Text != tt.wantText || got.HTML != tt.wantHTML {
				t.Errorf("got subject %q, text %q, html %q; want %q, %q, %q",
					got.Subject, got.Text, got.HTML, tt.wantSubject, tt.wantText, tt.wantHTML)
			}
		})
	}
}
