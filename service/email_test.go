package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestEmailAddressesAsTyped (issue 12, item 10): addresses a mail user types are accepted, IDN domains
// included; an IP literal, a line separator (U+2028) or any other control or format character, and a MIME
// encoded word are refused with a message that says which, and nothing is filed.
func TestEmailAddressesAsTyped(t *testing.T) {
	e := mustEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, addr := range []string{
		"li.wei@example.com", "li.wei+dsr@mail.example.co.uk", "o'brien@example.ie", "user@例子.中国",
		"user@xn--fsqu00a.xn--fiqs8s", "张伟@例子.中国", "first_last-1@sub-domain.example.org",
	} {
		cmd := validFiling(service.TypeDeletion)
		cmd.Subject.Email = addr
		if _, _, err := e.svc.FileRequest(ctx, admin, cmd); err != nil {
			t.Errorf("%q refused: %v %v", addr, err, service.ErrorFields(err))
		}
	}
	for _, tt := range []struct{ addr, message string }{
		{"a@[127.0.0.1]", "not an IP address"},
		{"a@[IPv6:::1]", "not an IP address"},
		{"a@127.0.0.1", "not an IP address"},
		{"li.wei@example.com\u2028Bcc: x@example.com", "line separator"},
		{"li.wei\u2029@example.com", "line separator"},
		{"li\u202ewei@example.com", "formatting"},
		{"li\u200bwei@example.com", "formatting"},
		{"li\x00wei@example.com", "control"},
		{"=?utf-8?q?li=2Ewei?=@example.com", "MIME-encoded"},
		{"=?UTF-8?B?bGk=?=@example.com", "MIME-encoded"},
		{`"li wei"@example.com`, "spaces"},
		{`"li"@example.com`, "plain e-mail address"},
		{"li..wei@example.com", "plain e-mail address"},
		{"li.wei@localhost", "mail domain"},
		{"li.wei@-example.com", "mail domain"},
		{"li.wei@exa_mple.com", "mail domain"},
		{"Li Wei <li@example.com>", "spaces"},
	} {
		cmd := validFiling(service.TypeDeletion)
		cmd.Subject.Email = tt.addr
		_, _, err := e.svc.FileRequest(ctx, admin, cmd)
		fields := service.ErrorFields(err)
		if service.ErrorCode(err) != service.EINVALID || len(fields) != 1 || fields[0].Field != "subject.email" ||
			!strings.Contains(fields[0].Message, tt.message) {
			t.Errorf("%q: %v %v, want subject.email refused saying %q", tt.addr, err, fields, tt.message)
		}
	}
	// Staff and backup owners' addresses obey the same rule.
	_, err := e.svc.CreatePrincipal(ctx, admin, service.NewPrincipal{Name: "Olga", Role: service.RoleOfficer,
		Email: "olga@[10.0.0.1]"})
	wantError(t, err, service.EINVALID, "email")
	page, err := e.svc.ListRequests(ctx, admin, service.ListRequestsQuery{Limit: service.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 7 {
		t.Errorf("%d requests filed, want the 7 valid ones", len(page.Items))
	}
}
