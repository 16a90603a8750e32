package console

import (
	"bytes"
	"image/png"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"

	"github.com/rightsdesk/rightsdesk/service"
)

// accountPage is the signed-in person's own page: her password, her second factor, her language; for admins,
// whether admins must have a second factor.
type accountPage struct {
	Page
	SecondFactor  bool
	CodesLeft     int
	Enrolment     *service.TOTPEnrolment // while she sets up her second factor
	RecoveryCodes []string               // shown once, right after she confirmed it
	MustEnrol     bool                   // an admin without a second factor while admins must have one
	AdminRequired bool
	IsAdmin       bool
	Errors        map[string]string
	Notice        string
}

func (s *Server) accountData(c echo.Context) (*accountPage, error) {
	ctx := c.Request().Context()
	a := s.actor(c)
	on, left, err := s.svc.SecondFactorStatus(ctx, a)
	if err != nil {
		return nil, err
	}
	req, err := s.svc.AdminSecondFactorRequired(ctx)
	if err != nil {
		return nil, err
	}
	p := &accountPage{SecondFactor: on, CodesLeft: left, AdminRequired: req, IsAdmin: a.Role == service.RoleAdmin,
		MustEnrol: a.Role == service.RoleAdmin && req && !on, Errors: map[string]string{}}
	if !on {
		if enr, err := s.svc.PendingTOTP(ctx, a); err == nil {
			p.Enrolment = enr
		} else if service.ErrorCode(err) != service.ENOTFOUND {
			return nil, err
		}
	}
	switch c.QueryParam("done") {
	case "password":
		p.Notice = "account.password_changed"
	case "second_factor_off":
		p.Notice = "account.second_factor_off"
	case "setting":
		p.Notice = "account.setting_saved"
	}
	return p, nil
}

func (s *Server) account(c echo.Context) error {
	p, err := s.accountData(c)
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "account", p)
}

// accountAgain renders the account page again with a field's error.
func (s *Server) accountAgain(c echo.Context, field, key string) error {
	p, err := s.accountData(c)
	if err != nil {
		return s.fail(c, err)
	}
	p.Errors[field] = key
	return s.render(c, http.StatusUnprocessableEntity, "account", p)
}

// changePassword sets a new password, given the current one; her other sessions end.
func (s *Server) changePassword(c echo.Context) error {
	pw := c.FormValue("password")
	if pw != c.FormValue("password_again") {
		return s.accountAgain(c, "password_again", "invitation.mismatch")
	}
	err := s.svc.ChangePassword(c.Request().Context(), s.actor(c), c.FormValue("current_password"), pw)
	switch {
	case err == nil:
		return s.redirect(c, "/console/account?done=password")
	case fieldMessage(err, "current_password") != "":
		return s.accountAgain(c, "current_password", "account.wrong_password")
	case fieldMessage(err, "password") != "":
		return s.accountAgain(c, "password", passwordErrorKey(fieldMessage(err, "password")))
	}
	return s.fail(c, err)
}

// beginTOTP starts the set-up of a second factor.
func (s *Server) beginTOTP(c echo.Context) error {
	if _, err := s.svc.BeginTOTP(c.Request().Context(), s.actor(c)); err != nil {
		return s.fail(c, err)
	}
	return s.redirect(c, "/console/account#second-factor")
}

// totpQR is the QR code of the otpauth:// URI being enrolled, as a PNG (an image, so that no script is needed).
func (s *Server) totpQR(c echo.Context) error {
	enr, err := s.svc.PendingTOTP(c.Request().Context(), s.actor(c))
	if err != nil {
		return s.fail(c, err)
	}
	key, err := otp.NewKeyFromURL(enr.URI)
	if err != nil {
		return s.fail(c, err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return s.fail(c, err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return s.fail(c, err)
	}
	return c.Blob(http.StatusOK, "image/png", b.Bytes())
}

// confirmTOTP turns the second factor on with a code of the app, and shows the recovery codes, once: this page
// answers the POST itself, so that they are never at a URL that could be opened again.
func (s *Server) confirmTOTP(c echo.Context) error {
	codes, err := s.svc.ConfirmTOTP(c.Request().Context(), s.actor(c), c.FormValue("code"))
	if fieldMessage(err, "code") != "" {
		return s.accountAgain(c, "code", "account.wrong_code")
	}
	if err != nil {
		return s.fail(c, err)
	}
	p, err := s.accountData(c)
	if err != nil {
		return s.fail(c, err)
	}
	p.RecoveryCodes = codes
	return s.render(c, http.StatusOK, "account", p)
}

// disableTOTP turns the second factor off, given the password.
func (s *Server) disableTOTP(c echo.Context) error {
	err := s.svc.DisableTOTP(c.Request().Context(), s.actor(c), c.FormValue("current_password"))
	if fieldMessage(err, "current_password") != "" {
		return s.accountAgain(c, "disable_password", "account.wrong_password")
	}
	if err != nil {
		return s.fail(c, err)
	}
	return s.redirect(c, "/console/account?done=second_factor_off")
}

// requireAdminSecondFactor is the admins' setting: admins must sign in with a second factor.
func (s *Server) requireAdminSecondFactor(c echo.Context) error {
	if err := s.svc.SetAdminSecondFactorRequired(c.Request().Context(), s.actor(c), c.FormValue("required") == "on"); err != nil {
		return s.fail(c, err)
	}
	return s.redirect(c, "/console/account?done=setting")
}

// enrolFirst sends an admin without a second factor to enrol, while admins must have one: only her account
// page, signing out and the language switch are open to her until she has.
func (s *Server) enrolFirst(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		in := s.signedIn(c)
		if in == nil || in.Actor.Role != service.RoleAdmin || in.User.SecondFactor {
			return next(c)
		}
		req, err := s.svc.AdminSecondFactorRequired(c.Request().Context())
		if err != nil {
			return s.fail(c, err)
		}
		if !req {
			return next(c)
		}
		switch c.Path() {
		case "/console/account", "/console/account/totp", "/console/account/totp.png", "/console/account/totp/confirm":
			return next(c)
		}
		return s.redirect(c, "/console/account#second-factor")
	}
}
