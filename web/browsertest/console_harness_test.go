package browsertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rightsdesk/rightsdesk/service"
)

// signIn signs a person with role in to the console in the tab, without the sign-in form: an officer is
// Olivia (in the default queue), any other role a new user; her session is started through the service and its
// cookie set in the browser. It answers the actor, as the service sees her.
func (e *env) signIn(t *testing.T, ctx context.Context, role service.Role) service.Actor {
	t.Helper()
	a := e.officer
	if role != service.RoleOfficer {
		e.people++
		u, err := e.svc.CreateUser(context.Background(), adminActor, service.NewUser{
			Name: fmt.Sprintf("%s %d", role, e.people), Email: fmt.Sprintf("%s%d@acme.example", role, e.people), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		a = service.Actor{UserID: u.ID, Name: u.Name, Role: role}
	}
	e.signInAs(t, ctx, a.UserID)
	return a
}

// signInAs starts a session of a user and sets its cookie in the tab.
func (e *env) signInAs(t *testing.T, ctx context.Context, userID string) {
	t.Helper()
	started, err := e.svc.StartSession(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, network.SetCookie("rd_console", started.Secret).WithURL(e.URL+"/console/").WithPath("/console/").
		WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax))
}

// console opens a console page in the tab and waits for it.
func (e *env) console(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(e.URL+path), chromedp.WaitReady("main", chromedp.ByQuery))
}
