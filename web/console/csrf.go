package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// CSRF: every form carries a token (the hidden input "csrf") that is an HMAC of the cookie the browser holds:
// the session's secret once signed in, before that a random value of its own (formCookie). Another site can
// neither read the cookie nor compute the token. Every state-changing request must carry it, and must come from
// this site by Sec-Fetch-Site and Origin when the browser sends them.

func consoleSecret(pageSecret []byte) []byte {
	m := hmac.New(sha256.New, pageSecret)
	m.Write([]byte("rightsdesk console csrf v1"))
	return m.Sum(nil)
}

func (s *Server) csrfFor(bound string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(bound))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfBinding is the cookie value the request's token is bound to; "" when it has none.
func (s *Server) csrfBinding(c echo.Context) string {
	if s.signedIn(c) != nil {
		return s.cookie(c, sessionCookie)
	}
	return s.cookie(c, formCookie)
}

// csrfToken answers the token the page's forms carry, giving the browser a form cookie first if it needs one.
func (s *Server) csrfToken(c echo.Context) string {
	bound := s.csrfBinding(c)
	if bound == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		bound = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(c, formCookie, bound, 0)
		// Seen by the rest of this request (the page rendered now) as the browser will send it.
		c.Request().AddCookie(&http.Cookie{Name: s.cookieName(formCookie), Value: bound})
	}
	return s.csrfFor(bound)
}

// checkCSRF refuses a state-changing request from another site or without the token of the browser's cookie.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if !s.sameSite(r) || !s.validToken(c) {
			s.log.Warn().Str("route", c.Path()).Msg("console: a form without its CSRF token, or from another site, refused")
			return s.errorPage(c, http.StatusForbidden, "error.csrf", "")
		}
		return next(c)
	}
}

func (s *Server) sameSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	return true
}

func (s *Server) validToken(c echo.Context) bool {
	bound := s.csrfBinding(c)
	got := formToken(c)
	return bound != "" && got != "" && hmac.Equal([]byte(got), []byte(s.csrfFor(bound)))
}

// formToken reads a form's CSRF token. An upload (multipart) carries it in its URL (?csrf=), so that no byte of
// its body is read before its handler has authorised it (as the API's upload does); other forms in the body.
func formToken(c echo.Context) string {
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		return c.QueryParam("csrf")
	}
	return c.FormValue("csrf")
}
