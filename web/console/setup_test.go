package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

func TestSetupLinkMakesTheFirstAdminSignedIn(t *testing.T) {
	tc := newTestConsole(t, nil)
	ctx := context.Background()
	issued, err := tc.svc.IssueSetupLink(ctx)
	if err != nil || issued == nil {
		t.Fatalf("IssueSetupLink: %+v %v", issued, err)
	}
	i := strings.Index(issued.Link, "/console/setup/rd_")
	if i < 0 {
		t.Fatal("no setup link")
	}
	link := issued.Link[i:]
	other := tc.mustUser(t, "Olivia Chen", service.RoleOfficer)
	c := tc.anonymous(t)
	status, body := tc.get(t, c, link)
	if status != http.StatusOK || !strings.Contains(body, "first admin") {
		t.Fatalf("the setup page: %d\n%s", status, body)
	}
	for _, tt := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {""}, "email": {"root@acme.example"}, "password": {goodPassword}, "password_again": {goodPassword}},
			http.StatusUnprocessableEntity, "Enter your name"},
		{url.Values{"name": {"Root"}, "email": {"root"}, "password": {goodPassword}, "password_again": {goodPassword}},
			http.StatusUnprocessableEntity, "name@example.com"},
		{url.Values{"name": {"Root"}, "email": {"root@acme.example"}, "password": {"short"}, "password_again": {"short"}},
			http.StatusUnprocessableEntity, "at least 12 characters"},
		{url.Values{"name": {"Root"}, "email": {"root@acme.example"}, "password": {"password12345678"}, "password_again": {"password12345678"}},
			http.StatusUnprocessableEntity, "people use very often"},
		{url.Values{"name": {"Root"}, "email": {"root@acme.example"}, "password": {goodPassword}, "password_again": {goodPassword + "x"}},
			http.StatusUnprocessableEntity, "not the same"},
		{url.Values{"name": {"Root"}, "email": {strings.ToUpper(other.Email)}, "password": {goodPassword}, "password_again": {goodPassword}},
			http.StatusConflict, "Another user has this e-mail address"},
	} {
		status, body := tc.post(t, c, link, link, tt.form)
		if status != tt.status || !strings.Contains(body, tt.want) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%v: %d, want %d with %q beside the field\n%s", tt.form, status, tt.status, tt.want, body)
		}
		if tt.status == http.StatusConflict && !strings.Contains(body, `value="Root"`) {
			t.Errorf("the form again lost the name")
		}
	}
	if ok, _ := tc.svc.AdminCanSignIn(ctx); ok {
		t.Fatal("an admin can sign in after refused forms")
	}
	status, loc := tc.post(t, c, link, link, url.Values{"name": {"Root Admin"}, "email": {"root@acme.example"},
		"password": {goodPassword}, "password_again": {goodPassword}})
	if status != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("setup: %d %s, want signed in and sent to /console/", status, loc)
	}
	if status, body := tc.get(t, c, "/console/"); status != http.StatusOK || !strings.Contains(body, "Root Admin") {
		t.Errorf("signed in at once: %d", status)
	}
	if status, body := tc.get(t, tc.anonymous(t), link); status != http.StatusNotFound || !strings.Contains(body, "rightsdesk users invite") {
		t.Errorf("the link used: %d, want 404 saying how to get another", status)
	}
	if status, _ := tc.signInForm(t, tc.anonymous(t), "root@acme.example", goodPassword); status != http.StatusSeeOther {
		t.Errorf("sign in with the chosen password: %d", status)
	}
}
