package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// An admin changes a person's role from the users page: done, it redirects with its notice and the person's
// session ends; refused, the reason comes back beside that person's role.
func TestAdminChangesARole(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, me := tc.client(t, service.RoleAdmin)
	ctx := context.Background()
	o, err := tc.svc.CreateUser(ctx, adminActor, service.NewUser{Name: "Olivia Chen", Email: "olivia@acme.example", Role: service.RoleOfficer})
	if err != nil {
		t.Fatal(err)
	}
	olivia := tc.clientFor(t, o.ID)
	if status, _ := tc.get(t, olivia, "/console/"); status != http.StatusOK {
		t.Fatalf("her work list before: %d", status)
	}
	_, page := tc.get(t, admin, "/console/admin/users")
	if !strings.Contains(page, `action="/console/admin/users/`+o.ID+`/role"`) || !strings.Contains(page, `for="role-`+o.ID+`"`) {
		t.Fatalf("no labelled role form for Olivia:\n%s", page)
	}
	status, loc := tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+o.ID+"/role", url.Values{"role": {"auditor"}})
	if status != http.StatusSeeOther || loc != "/console/admin/users?done=role_changed" {
		t.Fatalf("officer to auditor: %d %s", status, loc)
	}
	if u, err := tc.store.FindUser(ctx, o.ID); err != nil || u.Role != service.RoleAuditor {
		t.Errorf("her role: %+v %v", u, err)
	}
	if status, _ := tc.get(t, olivia, "/console/"); status == http.StatusOK {
		t.Errorf("her old session still opens the work list: %d", status)
	}
	// The admin is the last who can sign in: the conflict is beside her own role.
	status, body := tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+me.ID+"/role", url.Values{"role": {"auditor"}})
	if status != http.StatusConflict || !strings.Contains(body, `id="role-`+me.ID+`-error"`) || !strings.Contains(body, "last admin who can sign in. Make another person admin first.") {
		t.Fatalf("the last admin steps down: %d\n%s", status, body)
	}
	status, body = tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+o.ID+"/role", url.Values{"role": {"intake"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="role-`+o.ID+`-error"`) {
		t.Fatalf("to intake: %d\n%s", status, body)
	}
	// Only an admin changes roles: an auditor's post is refused, whatever the page shows.
	auditor, _ := tc.client(t, service.RoleAuditor)
	if status, _ := tc.post(t, auditor, "/console/admin/users", "/console/admin/users/"+o.ID+"/role", url.Values{"role": {"admin"}}); status != http.StatusForbidden {
		t.Errorf("an auditor changes a role: %d, want 403", status)
	}
	if u, _ := tc.store.FindUser(ctx, o.ID); u.Role != service.RoleAuditor {
		t.Errorf("after the refusals: %s", u.Role)
	}
}

// Admin pages in Chinese give a refused field's message in Chinese, beside the field, and not the service's
// English words.
func TestAdminErrorsInThePagesLanguage(t *testing.T) {
	tc := newTestConsole(t, nil)
	admin, _ := tc.client(t, service.RoleAdmin)
	if status, _ := tc.post(t, admin, "/console/admin/users", "/console/lang", url.Values{"lang": {"zh-CN"}, "back": {"/console/admin/users"}}); status != http.StatusSeeOther {
		t.Fatalf("switch to Chinese: %d", status)
	}
	status, body := tc.post(t, admin, "/console/admin/users", "/console/admin/users",
		url.Values{"name": {""}, "email": {"not-an-address"}, "role": {"auditor"}})
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad user: %d\n%s", status, body)
	}
	for _, want := range []string{
		`<p class="error" id="f-name-error">请填写 1 至 100 个字符的名称，不含控制字符。</p>`,
		`<p class="error" id="f-email-error">请填写电子邮箱，例如 name@example.com；个人信息保护专员必须有电子邮箱。</p>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "is required") || strings.Contains(body, "must be") {
		t.Errorf("the service's English words on a Chinese page:\n%s", body)
	}
	// A conflict beside the role it refused, in Chinese too: an officer of a queue stays an officer.
	o := tc.mustUser(t, "Wang Fang", service.RoleOfficer)
	status, body = tc.post(t, admin, "/console/admin/users", "/console/admin/users/"+o.ID+"/role", url.Values{"role": {"auditor"}})
	if status != http.StatusConflict || !strings.Contains(body, `<p class="error" id="role-`+o.ID+`-error">角色未更改：该个人信息保护专员仍是某个队列的成员`) {
		t.Errorf("a queue's member to auditor: %d\n%s", status, body)
	}
	status, body = tc.post(t, admin, "/console/admin/allowed-hosts", "/console/admin/allowed-hosts",
		url.Values{"host": {"HTTPS://Example.com:8080/"}, "note": {"x"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="error" id="f-host-error">请填写小写、规范形式的主机名`) {
		t.Errorf("a bad host: %d\n%s", status, body)
	}
}
