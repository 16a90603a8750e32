package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// adminUsersPage lists the users and adds one.
type adminUsersPage struct {
	adminPage
	Users      []userView
	Roles      []service.Role
	StaffRoles []service.Role // the roles a person may be given in place of hers
}

type userView struct {
	*service.User
	SignsIn     bool   // of a role that signs in to the console: may be invited
	Deactivated string // when, "" while active
}

var consoleRoles = []service.Role{service.RoleOfficer, service.RoleAuditor, service.RoleAdmin, service.RoleIntake,
	service.RoleIntegration}

func (s *Server) usersPage(c echo.Context, p adminUsersPage, status int) error {
	users, err := s.svc.Users(c.Request().Context(), s.actor(c))
	if err != nil {
		return s.fail(c, err)
	}
	p.Roles, p.StaffRoles = consoleRoles, service.ConsoleRoles
	for _, u := range users {
		v := userView{User: u, SignsIn: slices.Contains(service.ConsoleRoles, u.Role)}
		if u.DeactivatedAt != nil {
			v.Deactivated = s.when(c, *u.DeactivatedAt)
		}
		p.Users = append(p.Users, v)
	}
	return s.render(c, status, "admin_users", &p)
}

// adminUsers lists the users (service.Users).
func (s *Server) adminUsers(c echo.Context) error {
	return s.usersPage(c, adminUsersPage{adminPage: newAdminPage(c, s.actor(c), service.CanManageUsers)}, http.StatusOK)
}

// adminCreateUser adds a user (service.CreateUser; fields as POST /api/v1/users: name, email, role).
func (s *Server) adminCreateUser(c echo.Context) error {
	a := s.actor(c)
	_, err := s.svc.CreateUser(c.Request().Context(), a, service.NewUser{Name: c.FormValue("name"),
		Email: c.FormValue("email"), Role: service.Role(c.FormValue("role"))})
	if err != nil {
		p := adminUsersPage{adminPage: newAdminPage(c, a, service.CanManageUsers)}
		form, _ := c.FormParams()
		if s.adminFormFailed(c, &p.adminPage, err, form, "name", "email", "role") {
			return s.usersPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/users", "user_created")
}

// adminChangeRole gives a person another role (service.ChangeUserRole; field role, as PATCH /api/v1/users/{id}).
// A refusal, a broken rule or a conflict (the last admin, a queue's member), comes back beside that user's role.
func (s *Server) adminChangeRole(c echo.Context) error {
	a, id := s.actor(c), c.Param("id")
	_, err := s.svc.ChangeUserRole(c.Request().Context(), a, id, service.Role(c.FormValue("role")))
	status := http.StatusUnprocessableEntity
	p := adminUsersPage{adminPage: newAdminPage(c, a, service.CanManageUsers)}
	switch service.ErrorCode(err) {
	case "":
		return s.adminDone(c, "/console/admin/users", "role_changed")
	case service.EINVALID:
		for _, msg := range s.adminFieldErrors(c, err) {
			p.Errors["role-"+id] = msg
		}
	case service.ECONFLICT:
		status = http.StatusConflict
		p.Errors["role-"+id] = roleConflict(s.cat.Localizer(s.lang(c)), service.ErrorMessage(err))
	default:
		return s.fail(c, err)
	}
	return s.usersPage(c, p, status)
}

// roleConflict is why a role did not change, in the page's language: the rules ChangeUserRole names, else
// its own words.
func roleConflict(l *web.Localizer, msg string) string {
	switch {
	case strings.Contains(msg, "last admin"):
		return l.T("admin.users.last_admin")
	case strings.Contains(msg, "member of queue"):
		return l.T("admin.users.queue_member")
	case strings.Contains(msg, "system that holds tokens"):
		return l.T("admin.users.system_role")
	}
	return l.T("admin.users.role_conflict", "Detail", msg)
}

// adminInviteUser e-mails a person a link to set her password (service.InviteUser, as POST
// /api/v1/users/{id}/invitations). The link goes only by e-mail: the admin never sees it.
//
// Without a mail server the invitation waits in the outbox, and nobody would receive it: the answer then shows
// the admin the link, once, to hand over herself (as `rightsdesk users invite` prints it), like a token's secret.
func (s *Server) adminInviteUser(c echo.Context) error {
	inv, err := s.svc.InviteUser(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	if s.svc.SendsMail() {
		return s.adminDone(c, "/console/admin/users", "user_invited")
	}
	return s.render(c, http.StatusCreated, "admin_invitation_link", &adminInvitationLinkPage{
		Name: inv.User.Name, Email: inv.User.Email, Link: inv.Link})
}

// adminInvitationLinkPage shows an invitation's link, once, when no mail server would deliver it.
type adminInvitationLinkPage struct {
	Page
	Name, Email, Link string
}

// adminDeactivateUser stops a user from signing in and using her tokens (service.DeactivateUser).
func (s *Server) adminDeactivateUser(c echo.Context) error {
	if _, err := s.svc.DeactivateUser(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/users", "user_deactivated")
}

// adminReactivateUser lets a deactivated user back in (service.ReactivateUser).
func (s *Server) adminReactivateUser(c echo.Context) error {
	if _, err := s.svc.ReactivateUser(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/users", "user_reactivated")
}

// adminTokensPage lists the tokens and issues one.
type adminTokensPage struct {
	adminPage
	Tokens []tokenRow
	Users  []*service.User
}

type tokenRow struct {
	*service.Token
	UserName string
	Created  string
	Revoked  string
}

func (s *Server) tokensPage(c echo.Context, p adminTokensPage, status int) error {
	ctx, a := c.Request().Context(), s.actor(c)
	tokens, err := s.svc.Tokens(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	users, err := s.svc.Users(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	p.Users = users
	for _, t := range tokens {
		r := tokenRow{Token: t, UserName: names[t.UserID], Created: s.when(c, t.CreatedAt)}
		if t.RevokedAt != nil {
			r.Revoked = s.when(c, *t.RevokedAt)
		}
		p.Tokens = append(p.Tokens, r)
	}
	return s.render(c, status, "admin_tokens", &p)
}

// adminTokens lists the tokens (service.Tokens).
func (s *Server) adminTokens(c echo.Context) error {
	return s.tokensPage(c, adminTokensPage{adminPage: newAdminPage(c, s.actor(c), service.CanManageUsers)}, http.StatusOK)
}

// adminTokenCreatedPage shows a new token's secret, once.
type adminTokenCreatedPage struct {
	Page
	Name, UserName, Secret string
}

// adminIssueToken issues a token (service.IssueToken; as POST /api/v1/users/{id}/tokens: user_id, name) and
// shows its secret in the answer itself, once: a redirect would have to keep the secret somewhere to show it
// after, which is what showing it once avoids. The page is not cached (Cache-Control: no-store).
func (s *Server) adminIssueToken(c echo.Context) error {
	ctx, a := c.Request().Context(), s.actor(c)
	userID := c.FormValue("user_id")
	var (
		issued *service.IssuedToken
		err    error
	)
	if userID == "" && a.Can(service.CanManageUsers) {
		// The API takes the user from the path; here it is a field, which may be left empty.
		err = service.Invalid(service.FieldError{Field: "user_id", Message: "admin.required"})
	} else if issued, err = s.svc.IssueToken(ctx, a, userID, c.FormValue("name")); service.ErrorCode(err) == service.ENOTFOUND {
		err = service.Invalid(service.FieldError{Field: "user_id", Message: "admin.tokens.no_user"})
	}
	if err != nil {
		p := adminTokensPage{adminPage: newAdminPage(c, a, service.CanManageUsers)}
		form, _ := c.FormParams()
		if s.adminFormFailed(c, &p.adminPage, err, form, "user_id", "name") {
			return s.tokensPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	p := &adminTokenCreatedPage{Name: issued.Token.Name, Secret: issued.Secret}
	if u, err := s.userName(c, issued.Token.UserID); err == nil {
		p.UserName = u
	}
	return s.render(c, http.StatusCreated, "admin_token_created", p)
}

func (s *Server) userName(c echo.Context, id string) (string, error) {
	users, err := s.svc.Users(c.Request().Context(), s.actor(c))
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.ID == id {
			return u.Name, nil
		}
	}
	return "", service.Errorf(service.ENOTFOUND, "no user %s", id)
}

// adminRevokeToken revokes a token (service.RevokeToken, as DELETE /api/v1/tokens/{id}).
func (s *Server) adminRevokeToken(c echo.Context) error {
	if err := s.svc.RevokeToken(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/tokens", "token_revoked")
}
