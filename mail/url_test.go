package mail

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw        string
		want       Config
		wantString string // String(), password masked
		wantErr    string // part of the error; "" for success
	}{
		{raw: "smtp://127.0.0.1:2525", want: Config{Host: "127.0.0.1", Port: 2525}, wantString: "smtp://127.0.0.1:2525"},
		{raw: "smtp://mail.example.com:587/", want: Config{Host: "mail.example.com", Port: 587},
			wantString: "smtp://mail.example.com:587"},
		{raw: "SMTP://Mail.Example.com:25", want: Config{Host: "Mail.Example.com", Port: 25},
			wantString: "smtp://Mail.Example.com:25"},
		{raw: "smtp://[::1]:25", want: Config{Host: "::1", Port: 25}, wantString: "smtp://[::1]:25"},
		{raw: "smtp://mailer:s3cret@mail.example.com:587",
			want:       Config{Host: "mail.example.com", Port: 587, Username: "mailer", Password: "s3cret"},
			wantString: "smtp://mailer:xxxxx@mail.example.com:587"},
		{raw: "smtp://ops%40example.com:p%40ss%3Aw%2Frd%25@mail.example.com:587",
			want:       Config{Host: "mail.example.com", Port: 587, Username: "ops@example.com", Password: "p@ss:w/rd%"},
			wantString: "smtp://ops%40example.com:xxxxx@mail.example.com:587"},

		{raw: "", wantErr: "no scheme"},
		{raw: "mail.example.com:587", wantErr: "scheme"},
		{raw: "smtps://mail.example.com:465", wantErr: `scheme "smtps" is not supported`},
		{raw: "http://mail.example.com:25", wantErr: `scheme "http"`},
		{raw: "smtp://mail.example.com", wantErr: "no port"},
		{raw: "smtp://mail.example.com:", wantErr: "no port"},
		{raw: "smtp://mail.example.com:0", wantErr: `port "0"`},
		{raw: "smtp://mail.example.com:70000", wantErr: `port "70000"`},
		{raw: "smtp://:25", wantErr: "no host"},
		{raw: "smtp:///", wantErr: "no host"},
		{raw: "smtp:mail.example.com:25", wantErr: "no host"},
		{raw: "smtp://mail.example.com:25/relay", wantErr: "path"},
		{raw: "smtp://mail.example.com:25?tls=1", wantErr: "query"},
		{raw: "smtp://mailer@mail.example.com:25", wantErr: "both user and password"},
		{raw: "smtp://:s3cret@mail.example.com:25", wantErr: "both user and password"},
		{raw: "smtp://mailer:s3cret%zz@mail.example.com:25", wantErr: "malformed"},
		{raw: "smtp://mailer:s3cret@mail.example.com:x25", wantErr: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "smtp://[user:pass@]host:port") {
					t.Errorf("err = %q does not say which form is expected", err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("err = %q repeats the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			for verb, text := range map[string]string{"%s": got.String(), "%v": fmt.Sprintf("%v", got),
				"%+v": fmt.Sprintf("%+v", got), "%#v": fmt.Sprintf("%#v", got)} {
				if got.Password != "" && strings.Contains(text, got.Password) {
					t.Errorf("%s shows the password: %q", verb, text)
				}
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String() = %q, want %q", s, tt.wantString)
			}
			if tt.wantString != "" {
				again, err := ParseURL(strings.Replace(got.String(), "xxxxx", "pw", 1))
				if err != nil || again.Host != got.Host || again.Port != got.Port || again.Username != got.Username {
					t.Errorf("String() %q does not parse back: %+v, %v", got.String(), again, err)
				}
			}
		})
	}
}
