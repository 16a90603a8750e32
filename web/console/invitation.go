package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// invitationPage is where an invitation or reset link lands: the form to choose a password.
type invitationPage struct {
	Page
	Token  string
	View   *service.InvitationView
	Errors map[string]string // field -> message (the service's words for the password, a key otherwise)
}

// invitation shows the form, or the console's 404 page for a link that is unknown, used or expired.
func (s *Server) invitation(c echo.Context) error {
	token := c.Param("token")
	if !s.loginByAddress.Allow(c.RealIP()) {
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	v, err := s.svc.OpenInvitation(c.Request().Context(), token)
	if err != nil {
		if service.ErrorCode(err) == service.ENOTFOUND {
			return s.errorPage(c, http.StatusNotFound, "invitation.gone", "")
		}
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "invitation", &invitationPage{Token: token, View: v})
}

// acceptInvitation sets the password; the person then signs in with it.
func (s *Server) acceptInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if !s.loginByAddress.Allow(c.RealIP()) {
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	v, err := s.svc.OpenInvitation(ctx, token)
	if err != nil {
		if service.ErrorCode(err) == service.ENOTFOUND {
			return s.errorPage(c, http.StatusNotFound, "invitation.gone", "")
		}
		return s.fail(c, err)
	}
	p := &invitationPage{Token: token, View: v, Errors: map[string]string{}}
	pw := c.FormValue("password")
	if pw != c.FormValue("password_again") {
		p.Errors["password_again"] = "invitation.mismatch"
		return s.render(c, http.StatusUnprocessableEntity, "invitation", p)
	}
	if _, err := s.svc.AcceptInvitation(ctx, token, pw); err != nil {
		if msg := fieldMessage(err, "password"); msg != "" {
			p.Errors["password"] = passwordErrorKey(msg)
			return s.render(c, http.StatusUnprocessableEntity, "invitation", p)
		}
		if service.ErrorCode(err) == service.ENOTFOUND {
			return s.errorPage(c, http.StatusNotFound, "invitation.gone", "")
		}
		return s.fail(c, err)
	}
	// Signed in elsewhere before? Those sessions ended with the new password; this browser's too.
	s.setCookie(c, sessionCookie, "", -1)
	return s.redirect(c, "/console/login?done=password")
}
