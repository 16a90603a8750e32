package service_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rightsdesk/rightsdesk/service"
)

var linkRe = regexp.MustCompile(`/console/invitations/(rd_[A-Za-z0-9_-]+)`)

// mustPerson creates a user of role with an address.
func (e *env) mustPerson(t *testing.T, name string, role service.Role) *service.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), admin, service.NewUser{Name: name,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@acme.example", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// lastLinkTo answers the token of the newest invitation or reset link mailed to an address.
func (e *env) lastLinkTo(t *testing.T, to string) string {
	return e.lastLinkOf(t, to, "")
}

// lastLinkOf answers the token of the newest link of a kind (invitation, reset; "" for either) mailed to an
// address.
func (e *env) lastLinkOf(t *testing.T, to, kind string) string {
	t.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == to && (kind == "" || m.Kind == kind) {
			if l := linkRe.FindStringSubmatch(m.Text); l != nil {
				return l[1]
			}
		}
	}
	t.Fatalf("no link mailed to %s", to)
	return ""
}

// auditActions answers the actions of the events that concern no request, in order.
func (e *env) auditActions(t *testing.T) []string {
	t.Helper()
	page, err := e.svc.AuditEvents(context.Background(), admin, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Event.Action)
	}
	return out
}

const goodPassword = "correct horse battery staple"

func TestInvitationSetsAPasswordOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		if _, err := e.svc.InviteUser(ctx, officer, u.ID); service.ErrorCode(err) != service.EFORBIDDEN {
			t.Fatalf("an officer invites: %v, want forbidden", err)
		}
		inv, err := e.svc.InviteUser(ctx, admin, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		token := e.lastLinkTo(t, u.Email)
		if !strings.HasSuffix(inv.Link, token) {
			t.Errorf("the mailed link %s is not the invitation's %s", token, inv.Link)
		}
		view, err := e.svc.OpenInvitation(ctx, token)
		if err != nil || view.Name != "Olivia Chen" || view.Purpose != service.InvitationPurposeInvite {
			t.Fatalf("OpenInvitation: %+v %v", view, err)
		}
		for pw, want := range map[string]string{
			"short":              "at least 12",
			"scandinavian":       "most often", // on the list
			"PASSWORD12345678":   "most often", // "password", without case, with digits
			"qwertyqwertyqwerty": "most often", // "qwerty" three times
			"abababababababab":   "most often",
		} {
			_, err := e.svc.AcceptInvitation(ctx, token, pw)
			if ve := fieldError(err, "password"); !strings.Contains(ve, want) {
				t.Errorf("password %q: %v, want %q beside the field", pw, err, want)
			}
		}
		if _, err := e.svc.AcceptInvitation(ctx, token, goodPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptInvitation(ctx, token, goodPassword+"!"); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("the link used twice: %v, want not found", err)
		}
		in, err := e.svc.CheckPassword(ctx, "OLIVIA.chen@acme.example", goodPassword)
		if err != nil || in.User.ID != u.ID || in.SecondFactor {
			t.Fatalf("CheckPassword: %+v %v", in, err)
		}
		for _, c := range []struct{ email, pw string }{{u.Email, "wrong password!!"}, {"nobody@acme.example", goodPassword}} {
			if _, err := e.svc.CheckPassword(ctx, c.email, c.pw); service.ErrorCode(err) != service.EUNAUTHORIZED {
				t.Errorf("CheckPassword(%s): %v, want unauthorized", c.email, err)
			}
		}
		actions := strings.Join(e.auditActions(t), " ")
		if strings.Count(actions, "auth.failed") != 2 || !strings.Contains(actions, "user.invited") ||
			!strings.Contains(actions, "user.password_set") {
			t.Errorf("audit: %s", actions)
		}
	})
}

func fieldError(err error, field string) string {
	var e *service.Error
	if !asError(err, &e) {
		return ""
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

func asError(err error, target **service.Error) bool {
	e, ok := err.(*service.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestInvitationExpiresAndANewOneReplacesTheOld(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		if _, err := e.svc.InviteUser(ctx, admin, u.ID); err != nil {
			t.Fatal(err)
		}
		first := e.lastLinkTo(t, u.Email)
		e.clock.Set(testNow.Add(service.InvitationLife))
		if _, err := e.svc.OpenInvitation(ctx, first); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("after 72 hours: %v, want not found", err)
		}
		if _, err := e.svc.InviteUser(ctx, admin, u.ID); err != nil {
			t.Fatal(err)
		}
		second := e.lastLinkOf(t, u.Email, service.InvitationPurposeInvite)
		if second == first {
			t.Fatal("the second invitation mailed the first one's link")
		}
		// A reset asked for replaces the invitation; asking again at once sends nothing more.
		if err := e.svc.RequestPasswordReset(ctx, u.Email); err != nil {
			t.Fatal(err)
		}
		reset := e.lastLinkOf(t, u.Email, service.InvitationPurposeReset)
		if err := e.svc.RequestPasswordReset(ctx, u.Email); err != nil {
			t.Fatal(err)
		}
		if mails, _ := e.store.ListMail(ctx, "", 100); countKind(mails, service.InvitationPurposeReset) != 1 {
			t.Errorf("a second reset at once sent another link")
		}
		if _, err := e.svc.OpenInvitation(ctx, second); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("the invitation after a reset: %v, want not found", err)
		}
		if v, err := e.svc.OpenInvitation(ctx, reset); err != nil || v.Purpose != service.InvitationPurposeReset {
			t.Errorf("the reset link: %+v %v", v, err)
		}
		// An unknown address answers the same, and nothing is sent.
		if err := e.svc.RequestPasswordReset(ctx, "nobody@acme.example"); err != nil {
			t.Errorf("reset of an unknown address: %v, want nil", err)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		e.mustPassword(t, u)
		mine, err := e.svc.StartSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.StartSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		in, err := e.svc.LookupSession(ctx, mine.Secret)
		if err != nil {
			t.Fatal(err)
		}
		err = e.svc.ChangePassword(ctx, in.Actor, "not my password!", "a new and better passphrase")
		if fieldError(err, "current_password") == "" {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := e.svc.ChangePassword(ctx, in.Actor, goodPassword, "a new and better passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.LookupSession(ctx, mine.Secret); err != nil {
			t.Errorf("her own session after the change: %v", err)
		}
		if _, err := e.svc.LookupSession(ctx, other.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("her other session after the change: %v, want ended", err)
		}
		if _, err := e.svc.CheckPassword(ctx, u.Email, "a new and better passphrase"); err != nil {
			t.Errorf("the new password: %v", err)
		}
	})
}

// mustPassword gives u the password goodPassword through an invitation.
func (e *env) mustPassword(t *testing.T, u *service.User) {
	t.Helper()
	if _, err := e.svc.InviteUser(context.Background(), admin, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AcceptInvitation(context.Background(), e.lastLinkTo(t, u.Email), goodPassword); err != nil {
		t.Fatal(err)
	}
}

func TestSecondFactor(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Ada Admin", service.RoleAdmin)
		e.mustPassword(t, u)
		sess, err := e.svc.StartSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := e.svc.LookupSession(ctx, sess.Secret)
		enr, err := e.svc.BeginTOTP(ctx, in.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ConfirmTOTP(ctx, in.Actor, "000000"); fieldError(err, "code") == "" {
			t.Errorf("a wrong code: %v", err)
		}
		code, _ := totp.GenerateCode(enr.Secret, e.clock.Now())
		codes, err := e.svc.ConfirmTOTP(ctx, in.Actor, code)
		if err != nil || len(codes) != service.RecoveryCodeCount {
			t.Fatalf("ConfirmTOTP: %v %v", codes, err)
		}
		pw, err := e.svc.CheckPassword(ctx, u.Email, goodPassword)
		if err != nil || !pw.SecondFactor {
			t.Fatalf("after enrolment the password alone: %+v %v", pw, err)
		}
		// The code that confirmed the enrolment is used up; the next step's code is good once.
		if err := e.svc.VerifySecondFactor(ctx, u.ID, code); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("the enrolment's code again: %v, want unauthorized", err)
		}
		e.clock.Set(testNow.Add(30 * time.Second))
		next, _ := totp.GenerateCode(enr.Secret, e.clock.Now())
		if err := e.svc.VerifySecondFactor(ctx, u.ID, next); err != nil {
			t.Errorf("the next code: %v", err)
		}
		if err := e.svc.VerifySecondFactor(ctx, u.ID, next); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("the next code twice: %v, want unauthorized", err)
		}
		if err := e.svc.VerifySecondFactor(ctx, u.ID, strings.ToUpper(codes[3])); err != nil {
			t.Errorf("a recovery code: %v", err)
		}
		if err := e.svc.VerifySecondFactor(ctx, u.ID, codes[3]); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("a recovery code twice: %v, want unauthorized", err)
		}
		if on, left, err := e.svc.SecondFactorStatus(ctx, in.Actor); err != nil || !on || left != 9 {
			t.Errorf("status: %v %d %v, want on with 9 codes left", on, left, err)
		}
		// While admins must have one, an admin cannot turn hers off.
		if err := e.svc.SetAdminSecondFactorRequired(ctx, in.Actor, true); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DisableTOTP(ctx, in.Actor, goodPassword); service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("an admin turns hers off while required: %v, want conflict", err)
		}
		if err := e.svc.SetAdminSecondFactorRequired(ctx, in.Actor, false); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DisableTOTP(ctx, in.Actor, goodPassword); err != nil {
			t.Errorf("DisableTOTP: %v", err)
		}
	})
}

func TestDeactivatedUsersCannotSignInNorUseTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, err := e.svc.CreatePrincipal(ctx, admin, service.NewPrincipal{Name: "Olivia Chen", Email: "olivia@acme.example",
			Role: service.RoleOfficer})
		if err != nil {
			t.Fatal(err)
		}
		e.mustPassword(t, p.User)
		sess, err := e.svc.StartSession(ctx, p.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeactivateUser(ctx, admin, p.User.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.LookupSession(ctx, sess.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("her session: %v, want ended", err)
		}
		if _, err := e.svc.Authenticate(ctx, p.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("her token: %v, want unauthorized", err)
		}
		if _, err := e.svc.CheckPassword(ctx, p.User.Email, goodPassword); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("her password: %v, want unauthorized", err)
		}
		if _, err := e.svc.ReactivateUser(ctx, admin, p.User.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, p.Secret); err != nil {
			t.Errorf("her token after reactivation: %v", err)
		}
	})
}

func TestSingleSignOnMatchesVerifiedAddressesOnly(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		if got, err := e.svc.UserForSSO(ctx, "Olivia.Chen@acme.example", true, "", ""); err != nil || got.ID != u.ID {
			t.Errorf("verified address: %v %v", got, err)
		}
		if _, err := e.svc.UserForSSO(ctx, u.Email, false, "", ""); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("unverified address: %v, want unauthorized", err)
		}
		if _, err := e.svc.UserForSSO(ctx, "new@acme.example", true, "New Person", ""); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("unknown address without creation: %v, want unauthorized", err)
		}
		got, err := e.svc.UserForSSO(ctx, "new@acme.example", true, "New Person", service.RoleAuditor)
		if err != nil || got.Role != service.RoleAuditor || got.Name != "New Person" {
			t.Errorf("unknown address with creation: %+v %v", got, err)
		}
	})
}

func TestFirstAdminIsInvitedOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, err := e.svc.InviteFirstAdmin(ctx, "root@acme.example")
		if err != nil || inv == nil || inv.User.Role != service.RoleAdmin {
			t.Fatalf("first start: %+v %v", inv, err)
		}
		if again, err := e.svc.InviteFirstAdmin(ctx, "root@acme.example"); err != nil || again != nil {
			t.Errorf("second start, the link still good: %+v %v, want nothing new", again, err)
		}
		token := linkRe.FindStringSubmatch(inv.Link)[1]
		if _, err := e.svc.AcceptInvitation(ctx, token, goodPassword); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.svc.AdminCanSignIn(ctx); err != nil || !ok {
			t.Errorf("AdminCanSignIn: %v %v", ok, err)
		}
		e.clock.Set(testNow.Add(100 * time.Hour))
		if again, err := e.svc.InviteFirstAdmin(ctx, "root@acme.example"); err != nil || again != nil {
			t.Errorf("once an admin can sign in: %+v %v, want nothing", again, err)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		s1, err := e.svc.StartSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := e.svc.StartSession(ctx, u.ID)
		in, err := e.svc.LookupSession(ctx, s1.Secret)
		if err != nil || in.Actor.UserID != u.ID || in.Actor.SessionID != s1.Session.ID {
			t.Fatalf("LookupSession: %+v %v", in, err)
		}
		if n, err := e.svc.EndUserSessions(ctx, in.Actor, u.ID); err != nil || n != 1 {
			t.Errorf("EndUserSessions: %d %v, want her other one ended", n, err)
		}
		if _, err := e.svc.LookupSession(ctx, s2.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("the other session: %v", err)
		}
		if err := e.svc.EndSession(ctx, in.Actor); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.LookupSession(ctx, s1.Secret); service.ErrorCode(err) != service.EUNAUTHORIZED {
			t.Errorf("after EndSession: %v", err)
		}
		// Sessions nobody used again are removed once expired.
		if _, err := e.svc.StartSession(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(testNow.Add(31 * time.Minute))
		if n, err := e.svc.EndExpiredSessions(ctx); err != nil || n != 1 {
			t.Errorf("EndExpiredSessions: %d %v", n, err)
		}
	})
}

func countKind(mails []*service.Mail, kind string) int {
	n := 0
	for _, m := range mails {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

var setupRe = regexp.MustCompile(`/console/setup/(rd_[A-Za-z0-9_-]+)$`)

func TestSetupLinkMakesTheFirstAdminOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		issued, err := e.svc.IssueSetupLink(ctx)
		if err != nil || issued == nil || !setupRe.MatchString(issued.Link) {
			t.Fatalf("first start: %+v %v", issued, err)
		}
		if !issued.SetupLink.ExpiresAt.Equal(testNow.Add(72 * time.Hour)) {
			t.Errorf("expires at %v, want 72 hours on", issued.SetupLink.ExpiresAt)
		}
		if again, err := e.svc.IssueSetupLink(ctx); err != nil || again != nil {
			t.Errorf("second start, the link still good: %+v %v, want nothing new", again, err)
		}
		// Expired: the next start makes a new one, and the old one no longer works.
		e.clock.Set(testNow.Add(73 * time.Hour))
		old := setupRe.FindStringSubmatch(issued.Link)[1]
		if _, err := e.svc.OpenSetupLink(ctx, old); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("expired link: %v, want not found", err)
		}
		issued, err = e.svc.IssueSetupLink(ctx)
		if err != nil || issued == nil {
			t.Fatalf("start after expiry: %+v %v", issued, err)
		}
		token := setupRe.FindStringSubmatch(issued.Link)[1]
		if _, err := e.svc.OpenSetupLink(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CompleteSetup(ctx, old, service.FirstAdmin{Name: "Root", Email: "root@acme.example",
			Password: goodPassword}); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("expired link used: %v, want not found", err)
		}
		// Bad input names its field and changes nothing.
		_, err = e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: " ", Email: "not an address", Password: "password"})
		for _, f := range []string{"name", "email", "password"} {
			if fieldError(err, f) == "" {
				t.Errorf("bad %s: %v, want the field named", f, err)
			}
		}
		if !strings.Contains(fieldError(err, "password"), "at least 12") {
			t.Errorf("short password: %q", fieldError(err, "password"))
		}
		_, err = e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: "Root", Email: "root@acme.example",
			Password: "PASSWORD12345678"})
		if !strings.Contains(fieldError(err, "password"), "most often") {
			t.Errorf("common password: %v", err)
		}
		// Another user's address is a conflict.
		other := e.mustPerson(t, "Olivia Chen", service.RoleOfficer)
		_, err = e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: "Root", Email: other.Email, Password: goodPassword})
		if service.ErrorCode(err) != service.ECONFLICT {
			t.Errorf("address in use: %v, want conflict", err)
		}
		if ok, _ := e.svc.AdminCanSignIn(ctx); ok {
			t.Fatal("an admin can sign in after refused setups")
		}
		u, err := e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: " Root Admin ", Email: "root@acme.example",
			Password: goodPassword})
		if err != nil || u.Role != service.RoleAdmin || u.Name != "Root Admin" {
			t.Fatalf("setup: %+v %v", u, err)
		}
		if in, err := e.svc.CheckPassword(ctx, "root@acme.example", goodPassword); err != nil || in.User.ID != u.ID {
			t.Errorf("sign in with the new password: %+v %v", in, err)
		}
		if _, err := e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: "Again", Email: "again@acme.example",
			Password: goodPassword}); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("link used twice: %v, want not found", err)
		}
		// Once an admin can sign in, no link is made, and an unused one no longer works.
		e.clock.Set(testNow.Add(200 * time.Hour))
		if again, err := e.svc.IssueSetupLink(ctx); err != nil || again != nil {
			t.Errorf("once an admin can sign in: %+v %v, want nothing", again, err)
		}
		acts := strings.Join(e.auditActions(t), " ")
		for _, want := range []string{"setup.link_issued", "user.created", "user.password_set"} {
			if !strings.Contains(acts, want) {
				t.Errorf("audit %q lacks %s", acts, want)
			}
		}
	})
}

func TestSetupLinkStopsOnceAnAdminCanSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		issued, err := e.svc.IssueSetupLink(ctx)
		if err != nil || issued == nil {
			t.Fatalf("first start: %+v %v", issued, err)
		}
		token := setupRe.FindStringSubmatch(issued.Link)[1]
		inv, err := e.svc.InviteFirstAdmin(ctx, "boss@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptInvitation(ctx, linkRe.FindStringSubmatch(inv.Link)[1], goodPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenSetupLink(ctx, token); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("open once an admin can sign in: %v, want not found", err)
		}
		if _, err := e.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: "Root", Email: "root@acme.example",
			Password: goodPassword}); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("use once an admin can sign in: %v, want not found", err)
		}
	})
}
