package console

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// Config is what New needs.
type Config struct {
	Service *service.Service
	Logger  zerolog.Logger
	// Brand is the organisation's name, logo and accent colour, as on the privacy center.
	Brand web.Brand
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client, as for the API.
	TrustedProxies []*net.IPNet
	// TLS: cookies are Secure and __Host- prefixed.
	TLS bool
	// Now is the clock of the console's own limits; default time.Now. Sessions follow the service's clock.
	Now func() time.Time
	// MaxConcurrentUploads bounds the export uploads read at once (each up to service.MaxExportSize in
	// memory), as the API's own bound does; default 4.
	MaxConcurrentUploads int
	// OIDC is single sign-on; an empty Issuer: none.
	OIDC OIDC
}

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed messages
var messageFS embed.FS

// Server serves every path under /console/.
type Server struct {
	svc      *service.Service
	log      zerolog.Logger
	brand    web.Brand
	cat      *web.Catalogue
	pages    map[string]*template.Template
	now      func() time.Time
	tls      bool
	secret   []byte // signs CSRF tokens
	csp      string
	brandCSS []byte
	e        *echo.Echo
	uploads  chan struct{} // the export uploads being read
	oidc     *sso          // nil without single sign-on
	// The sign-in's limits, per client address and per account.
	loginByAddress, loginByAccount *web.Limiter
}

// New returns the console's handler, its routes registered.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("console: Service is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Brand.OrgName == "" {
		cfg.Brand.OrgName = "Rightsdesk"
	}
	if cfg.Brand.AccentColor == "" {
		cfg.Brand.AccentColor = "#1a56db"
	}
	brandCSS, err := web.BrandCSS(cfg.Brand.AccentColor)
	if err != nil {
		return nil, err
	}
	imgSrc := "'self'"
	if u, err := url.Parse(cfg.Brand.LogoURL); err == nil && u.Scheme == "https" {
		imgSrc += " https://" + u.Host
	}
	msgs, err := fs.Sub(messageFS, "messages")
	if err != nil {
		return nil, err
	}
	cat, err := web.LoadCatalogueDir(msgs)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s := &Server{svc: cfg.Service, log: cfg.Logger, brand: cfg.Brand, cat: cat, pages: pages, now: cfg.Now,
		tls: cfg.TLS, secret: consoleSecret(cfg.Service.PageSecret()), brandCSS: brandCSS,
		csp: "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + imgSrc +
			"; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 4
	}
	s.uploads = make(chan struct{}, cfg.MaxConcurrentUploads)
	s.oidc, err = newSSO(cfg.OIDC)
	if err != nil {
		return nil, err
	}
	s.loginByAddress = web.NewLimiter(rate.Every(loginEveryPerAddress), loginBurstPerAddress, cfg.Now)
	s.loginByAccount = web.NewLimiter(rate.Every(loginEveryPerAccount), loginBurstPerAccount, cfg.Now)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	clientAddress := web.ClientAddress(cfg.TrustedProxies)
	e.IPExtractor = func(r *http.Request) string { return clientAddress(r) }
	e.HTTPErrorHandler = s.handleError
	e.Use(s.headers, s.loadSession, s.checkCSRF)
	s.e = e
	s.routes()
	return s, nil
}

// routes registers the shell's pages, then the work and admin areas' behind the session middleware.
func (s *Server) routes() {
	e := s.e
	e.GET("/console/static/brand.css", s.serveBrandCSS)
	e.GET("/console/static/site.css", s.serveSiteCSS)
	static, _ := fs.Sub(staticFS, "static")
	e.GET("/console/static/*", echo.WrapHandler(http.StripPrefix("/console/static/", http.FileServerFS(static))),
		cacheStatic)
	e.POST("/console/lang", s.switchLanguage)
	e.GET("/console/login", s.loginPage)
	e.POST("/console/login", s.login)
	e.GET("/console/login/code", s.codeForm)
	e.POST("/console/login/code", s.code)
	e.GET("/console/forgot", s.forgotSent)
	e.POST("/console/forgot", s.forgot)
	e.GET("/console/invitations/:token", s.invitation)
	e.POST("/console/invitations/:token", s.acceptInvitation)
	e.GET("/console/setup/:token", s.setup)
	e.POST("/console/setup/:token", s.completeSetup)
	e.GET("/console/oidc/start", s.oidcStart)
	e.GET("/console/oidc/callback", s.oidcCallback)
	e.POST("/console/logout", s.logout)
	g := e.Group("/console", s.requireSession, s.enrolFirst)
	g.GET("/account", s.account)
	g.POST("/account/password", s.changePassword)
	g.POST("/account/totp", s.beginTOTP)
	g.GET("/account/totp.png", s.totpQR)
	g.POST("/account/totp/confirm", s.confirmTOTP)
	g.POST("/account/totp/disable", s.disableTOTP)
	g.POST("/account/admin-second-factor", s.requireAdminSecondFactor)
	s.workRoutes(g)
	s.adminRoutes(g)
	e.Any("/console", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
}

// ServeHTTP answers every path under /console/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// headers sets the security headers of every answer, recovers a panic as the error page, and logs the route
// (its pattern: never the path, which may hold an invitation token, nor the query).
func (s *Server) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		start := time.Now()
		h := c.Response().Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		defer func() {
			if v := recover(); v != nil {
				s.log.Error().Interface("panic", v).Str("route", c.Path()).Msg("panic in console page")
				err = s.errorPage(c, http.StatusInternalServerError, "error.internal", "")
			}
			status := c.Response().Status
			if err != nil {
				var he *echo.HTTPError
				if errors.As(err, &he) {
					status = he.Code
				}
			}
			s.log.Info().Str("method", c.Request().Method).Str("route", c.Path()).Int("status", status).
				Dur("latency", time.Since(start)).Msg("console")
		}()
		r := c.Request()
		limit := int64(formLimit)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit = uploadLimit
		}
		if r.ContentLength > limit {
			return s.errorPage(c, http.StatusRequestEntityTooLarge, "error.too_large", "")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// The largest bodies the console reads: a form, and a form with a file (an export: service.MaxExportSize and
// the envelope).
const (
	formLimit   = 64 << 10
	uploadLimit = service.MaxExportSize + 1<<20
)

// cacheStatic lets browsers keep the embedded assets for a day (they change only with the binary).
func cacheStatic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return next(c)
	}
}

func (s *Server) serveBrandCSS(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", s.brandCSS)
}

func (s *Server) serveSiteCSS(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", web.SiteCSS())
}

// handleError answers what a handler returned and did not answer itself: Echo's 404 and 405 as the console's
// 404 page, anything else as the error page, logged once.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			_ = s.errorPage(c, http.StatusNotFound, "error.not_found", "")
			return
		case http.StatusRequestEntityTooLarge:
			_ = s.errorPage(c, he.Code, "error.too_large", "")
			return
		}
	}
	_ = s.fail(c, err)
}

// safeBack answers a path inside the console to return to, "/console/" for anything else (no open redirect).
func safeBack(back string) string {
	if !strings.HasPrefix(back, "/console/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		return "/console/"
	}
	return back
}
