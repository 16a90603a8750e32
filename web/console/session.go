package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// The console's cookies. Over TLS their names carry the __Host- prefix, which browsers keep only for cookies
// set Secure, on Path=/ and without Domain: no other site or subdomain can plant one.
const (
	sessionCookie = "rd_console"      // the session's secret
	formCookie    = "rd_console_form" // before sign-in: what the sign-in forms' CSRF token is bound to
	langCookie    = "rd_console_lang" // the language chosen before sign-in
)

// signedInKey is where loadSession leaves the signed-in person in the Echo context.
const signedInKey = "console.signedIn"

func (s *Server) cookieName(name string) string {
	if s.tls {
		return "__Host-" + name
	}
	return name
}

func (s *Server) cookiePath() string {
	if s.tls {
		return "/"
	}
	return "/console/"
}

// setCookie sets one of the console's cookies: HttpOnly, SameSite=Lax, Secure over TLS; maxAge 0 for a cookie
// that lives as long as the browser, -1 to remove it.
func (s *Server) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: s.cookieName(name), Value: value, Path: s.cookiePath(), MaxAge: maxAge,
		HttpOnly: true, Secure: s.tls, SameSite: http.SameSiteLaxMode})
}

func (s *Server) cookie(c echo.Context, name string) string {
	ck, err := c.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return ck.Value
}

// loadSession finds who the session cookie stands for, if anyone. An expired or unknown session's cookie is
// removed.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secret := s.cookie(c, sessionCookie)
		if secret == "" {
			return next(c)
		}
		in, err := s.svc.LookupSession(c.Request().Context(), secret)
		switch service.ErrorCode(err) {
		case "":
			c.Set(signedInKey, in)
		case service.EUNAUTHORIZED:
			s.setCookie(c, sessionCookie, "", -1)
		default:
			return s.fail(c, err)
		}
		return next(c)
	}
}

// requireSession sends a person who is not signed in (or whose session expired) to the sign-in page, which
// brings her back to the page she asked for.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.signedIn(c) == nil {
			return s.toLogin(c)
		}
		return next(c)
	}
}

// toLogin redirects to the sign-in page; after signing in, a GET comes back where it was.
func (s *Server) toLogin(c echo.Context) error {
	to := "/console/login"
	if r := c.Request(); r.Method == http.MethodGet && r.URL.Path != "/console/" {
		to += "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// signedIn is the signed-in person; nil on pages open to everyone when nobody is.
func (s *Server) signedIn(c echo.Context) *service.SignedIn {
	in, _ := c.Get(signedInKey).(*service.SignedIn)
	return in
}

// actor is the signed-in person as the service knows her. Only behind requireSession.
func (s *Server) actor(c echo.Context) service.Actor {
	if in := s.signedIn(c); in != nil {
		return in.Actor
	}
	return service.Actor{}
}

// lang is the language of the page: ?lang= when it names one, else the signed-in person's preference, else
// the language chosen on the sign-in page, else the browser's (Accept-Language).
func (s *Server) lang(c echo.Context) string {
	if l := c.QueryParam("lang"); slices.Contains(web.Languages, l) {
		return l
	}
	if in := s.signedIn(c); in != nil && slices.Contains(web.Languages, in.User.Language) {
		return in.User.Language
	}
	if l := s.cookie(c, langCookie); slices.Contains(web.Languages, l) {
		return l
	}
	return web.AcceptLanguage(c.Request().Header.Get("Accept-Language"))
}

// switchLanguage keeps the language a person chose: on her user when signed in (it follows her to every
// browser), else in a cookie; and returns to the page she chose it on.
func (s *Server) switchLanguage(c echo.Context) error {
	lang := c.FormValue("lang")
	if !slices.Contains(web.Languages, lang) {
		return s.errorPage(c, http.StatusUnprocessableEntity, "error.invalid", "")
	}
	if in := s.signedIn(c); in != nil {
		if err := s.svc.SetLanguage(c.Request().Context(), in.Actor, lang); err != nil {
			return s.fail(c, err)
		}
	} else {
		s.setCookie(c, langCookie, lang, 365*24*3600)
	}
	return s.redirect(c, safeBack(c.FormValue("back")))
}

// logout ends the session in the store (so its cookie opens nothing, anywhere) and in the browser.
func (s *Server) logout(c echo.Context) error {
	if in := s.signedIn(c); in != nil {
		if err := s.svc.EndSession(c.Request().Context(), in.Actor); err != nil {
			return s.fail(c, err)
		}
	}
	s.setCookie(c, sessionCookie, "", -1)
	return s.redirect(c, "/console/login?done=signed_out")
}
