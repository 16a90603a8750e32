package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// loginPage is the sign-in form: e-mail address and password, the single sign-on button when configured.
type loginPage struct {
	Page
	Next   string
	Email  string
	Errors map[string]string // field -> message key
	Failed string            // message key of a failure shown above the form
	Notice string            // message key of news, e.g. after a password was set
	SSO    bool
}

// The sign-in's limits: per client address, and per account (the e-mail address given), so that nobody can
// guess passwords fast from one place or against one person from many.
const (
	loginBurstPerAddress = 20
	loginEveryPerAddress = 3 * time.Second
	loginBurstPerAccount = 10
	loginEveryPerAccount = 30 * time.Second
)

func (s *Server) loginPage(c echo.Context) error {
	next := safeBack(c.QueryParam("next"))
	if s.signedIn(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	p := &loginPage{Next: next, SSO: s.oidc != nil}
	switch c.QueryParam("done") {
	case "password":
		p.Notice = "login.password_set"
	case "signed_out":
		p.Notice = "login.signed_out"
	}
	return s.render(c, http.StatusOK, "login", p)
}

// login checks the password; then starts a session, or asks for the second factor first.
func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	p := &loginPage{Next: safeBack(c.FormValue("next")), Email: strings.TrimSpace(c.FormValue("email")),
		Errors: map[string]string{}, SSO: s.oidc != nil}
	if p.Email == "" {
		p.Errors["email"] = "login.email_required"
	}
	if c.FormValue("password") == "" {
		p.Errors["password"] = "login.password_required"
	}
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "login", p)
	}
	if !s.loginByAddress.Allow(c.RealIP()) || !s.loginByAccount.Allow(strings.ToLower(p.Email)) {
		s.log.Warn().Msg("console: sign-in attempts over the limit refused")
		p.Failed = "login.too_many"
		c.Response().Header().Set("Retry-After", "30")
		return s.render(c, http.StatusTooManyRequests, "login", p)
	}
	in, err := s.svc.CheckPassword(ctx, p.Email, c.FormValue("password"))
	switch service.ErrorCode(err) {
	case "":
	case service.EUNAUTHORIZED:
		p.Failed = "login.failed"
		return s.render(c, http.StatusUnauthorized, "login", p)
	default:
		return s.fail(c, err)
	}
	if in.SecondFactor {
		s.setCookie(c, pendingCookie, s.signPending(in.User.ID), int(pendingLife.Seconds()))
		return s.redirect(c, "/console/login/code?next="+urlQueryEscape(p.Next))
	}
	return s.startSession(c, in.User.ID, p.Next)
}

// startSession signs the person in: a new session (never one the browser had before), its cookie, and on to
// where she was going.
func (s *Server) startSession(c echo.Context, userID, next string) error {
	started, err := s.svc.StartSession(c.Request().Context(), userID)
	if err != nil {
		return s.fail(c, err)
	}
	s.setCookie(c, sessionCookie, started.Secret, 0)
	s.setCookie(c, pendingCookie, "", -1)
	return s.redirect(c, safeBack(next))
}

// codePage asks for the second factor after the password.
type codePage struct {
	Page
	Next   string
	Failed bool
}

func (s *Server) codeForm(c echo.Context) error {
	if _, ok := s.pendingUser(c); !ok {
		return s.redirect(c, "/console/login")
	}
	return s.render(c, http.StatusOK, "login_code", &codePage{Next: safeBack(c.QueryParam("next"))})
}

func (s *Server) code(c echo.Context) error {
	userID, ok := s.pendingUser(c)
	if !ok {
		return s.redirect(c, "/console/login")
	}
	p := &codePage{Next: safeBack(c.FormValue("next"))}
	if !s.loginByAddress.Allow(c.RealIP()) || !s.loginByAccount.Allow("user:"+userID) {
		s.log.Warn().Msg("console: second-factor attempts over the limit refused")
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	err := s.svc.VerifySecondFactor(c.Request().Context(), userID, c.FormValue("code"))
	switch service.ErrorCode(err) {
	case "":
		return s.startSession(c, userID, p.Next)
	case service.EUNAUTHORIZED:
		p.Failed = true
		return s.render(c, http.StatusUnauthorized, "login_code", p)
	}
	return s.fail(c, err)
}

// pendingCookie carries, between the password and the second factor, who gave the right password: signed,
// and good for pendingLife.
const (
	pendingCookie = "rd_console_pending"
	pendingLife   = 5 * time.Minute
)

func (s *Server) pendingMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("pending\x00"))
	m.Write(body)
	return m.Sum(nil)
}

func (s *Server) signPending(userID string) string {
	body := make([]byte, 8+16, 8+16+len(userID))
	binary.BigEndian.PutUint64(body, uint64(s.now().Unix()))
	if _, err := rand.Read(body[8:24]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	body = append(body, userID...)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(s.pendingMAC(body))
}

// pendingUser is the user who gave her password in this browser in the last pendingLife.
func (s *Server) pendingUser(c echo.Context) (string, bool) {
	v := s.cookie(c, pendingCookie)
	b64, sig, ok := strings.Cut(v, ".")
	if !ok {
		return "", false
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(body) <= 24 || !hmac.Equal(mac, s.pendingMAC(body)) {
		return "", false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(body[:8])), 0)
	if s.now().Sub(at) > pendingLife || at.After(s.now().Add(time.Minute)) {
		return "", false
	}
	return string(body[24:]), true
}

// forgotPage asks for the address to send a reset link to.
type forgotPage struct {
	Page
	Email  string
	Sent   bool
	Errors map[string]string
}

// forgot sends a reset link if the address is a user's, and says the same either way.
func (s *Server) forgot(c echo.Context) error {
	p := &forgotPage{Email: strings.TrimSpace(c.FormValue("email")), Errors: map[string]string{}}
	if p.Email == "" || len(p.Email) > 254 || !strings.Contains(p.Email, "@") {
		p.Errors["email"] = "forgot.email_invalid"
		return s.render(c, http.StatusUnprocessableEntity, "forgot", p)
	}
	if !s.loginByAddress.Allow(c.RealIP()) || !s.loginByAccount.Allow(strings.ToLower(p.Email)) {
		c.Response().Header().Set("Retry-After", "30")
		return s.errorPage(c, http.StatusTooManyRequests, "error.too_many", "")
	}
	if err := s.svc.RequestPasswordReset(c.Request().Context(), p.Email); err != nil {
		return s.fail(c, err)
	}
	return s.redirect(c, "/console/forgot?sent=1")
}

// forgotSent is the form, or after it was sent (?sent=1) the same words for every address.
func (s *Server) forgotSent(c echo.Context) error {
	return s.render(c, http.StatusOK, "forgot", &forgotPage{Sent: c.QueryParam("sent") == "1"})
}
