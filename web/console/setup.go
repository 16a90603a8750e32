package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// setupPage is where the first start's setup link lands: the first admin chooses her name, e-mail address and
// password.
type setupPage struct {
	Page
	Token  string
	Name   string
	Email  string
	Errors map[string]string // field -> message key
}

// setupGone answers a setup link that is unknown, used, expired, or no longer needed.
func (s *Server) setupGone(c echo.Context, err error) error {
	if service.ErrorCode(err) == service.ENOTFOUND {
		return s.errorPage(c, http.StatusNotFound, "setup.gone", "")
	}
	return s.fail(c, err)
}

// setup shows the form, or the console's 404 page for a link that can no longer be used.
func (s *Server) setup(c echo.Context) error {
	token := c.Param("token")
	if !s.loginByAddress.Allow(c.RealIP()) {
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	if _, err := s.svc.OpenSetupLink(c.Request().Context(), token); err != nil {
		return s.setupGone(c, err)
	}
	return s.render(c, http.StatusOK, "setup", &setupPage{Token: token})
}

// completeSetup makes the first admin and signs her in at once.
func (s *Server) completeSetup(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if !s.loginByAddress.Allow(c.RealIP()) {
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	if _, err := s.svc.OpenSetupLink(ctx, token); err != nil {
		return s.setupGone(c, err)
	}
	p := &setupPage{Token: token, Name: strings.TrimSpace(c.FormValue("name")),
		Email: strings.TrimSpace(c.FormValue("email")), Errors: map[string]string{}}
	pw := c.FormValue("password")
	if pw != c.FormValue("password_again") {
		p.Errors["password_again"] = "invitation.mismatch"
		return s.render(c, http.StatusUnprocessableEntity, "setup", p)
	}
	u, err := s.svc.CompleteSetup(ctx, token, service.FirstAdmin{Name: p.Name, Email: p.Email, Password: pw})
	switch service.ErrorCode(err) {
	case "":
	case service.EINVALID:
		if msg := fieldMessage(err, "name"); msg != "" {
			p.Errors["name"] = "setup.name_invalid"
			if p.Name == "" {
				p.Errors["name"] = "setup.name_required"
			}
		}
		if msg := fieldMessage(err, "email"); msg != "" {
			p.Errors["email"] = "forgot.email_invalid"
			if p.Email == "" {
				p.Errors["email"] = "login.email_required"
			}
		}
		if msg := fieldMessage(err, "password"); msg != "" {
			p.Errors["password"] = passwordErrorKey(msg)
		}
		if len(p.Errors) == 0 {
			return s.fail(c, err)
		}
		return s.render(c, http.StatusUnprocessableEntity, "setup", p)
	case service.ECONFLICT:
		p.Errors["email"] = "setup.email_taken"
		return s.render(c, http.StatusConflict, "setup", p)
	default:
		return s.setupGone(c, err)
	}
	return s.startSession(c, u.ID, "/console/")
}
