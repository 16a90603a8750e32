// Package web serves the pages people use in a browser, beside the API in the same binary: today the privacy
// center at /privacy/, where data subjects file, confirm, follow and answer their own requests. Pages are
// server-rendered (html/template, embedded), work without JavaScript, and speak English and Chinese from one
// message catalogue. Handlers translate form values into the service's commands and its results into view
// models; every rule stays in the service.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/rightsdesk/rightsdesk/service"
)

// Brand is how the organisation presents itself on the pages.
type Brand struct {
	OrgName string
	LogoURL string // absolute https URL or a path on this site; "" for none
	// Logo is the logo's image itself (PNG, JPEG, GIF or WebP, at most MaxLogoSize), served by the pages at
	// /privacy/static/logo; an alternative to LogoURL.
	Logo             []byte
	AccentColor      string // #rgb or #rrggbb
	PrivacyPolicyURL string
	ContactEmail     string
	// ConsentPurposes are the uses of data a subject may withdraw consent from.
	ConsentPurposes []Purpose
}

// Purpose is one consent purpose: the code the API carries in details.purposes, and its label per language.
type Purpose struct {
	Code   string
	Labels map[string]string // language -> label; the code when a language has none
}

// Config is what New needs.
type Config struct {
	Service *service.Service
	Logger  zerolog.Logger
	Brand   Brand
	// FrameAncestors may show the pages in an iframe (CSP frame-ancestors); none: 'none'.
	FrameAncestors []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client, as for the API.
	TrustedProxies []*net.IPNet
	// TLS: cookies are Secure, and may reach an embedding page's iframe.
	TLS bool
	// FilingsPerMinutePerAddress bounds filings from one client address, as for the API; default 30.
	FilingsPerMinutePerAddress int
	// MinFillTime is the least time a person takes to fill in a form; default 3 seconds.
	MinFillTime time.Duration
	// Now is the clock of form tokens and limits; default time.Now.
	Now func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the privacy center.
type Server struct {
	svc      *service.Service
	log      zerolog.Logger
	brand    Brand
	cat      *Catalogue
	pages    map[string]*template.Template
	tokens   *formTokens
	now      func() time.Time
	minFill  time.Duration
	realIP   func(*http.Request) string
	filings  *limiter
	links    *limiter
	csp      string
	brandCSS []byte
	logo     []byte // the logo file, when configured
	logoType string
	mux      *http.ServeMux
}

var colorRe = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ParsePurposes reads RIGHTSDESK_CONSENT_PURPOSES: comma-separated entries "code|English label|中文标签"
// (labels optional).
func ParsePurposes(s string) ([]Purpose, error) {
	var out []Purpose
	for _, entry := range strings.Split(s, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		parts := strings.Split(entry, "|")
		code := strings.TrimSpace(parts[0])
		if code == "" || len(code) > 100 || len(parts) > 1+len(Languages) {
			return nil, fmt.Errorf("%q is not code|English label|中文标签", entry)
		}
		p := Purpose{Code: code, Labels: map[string]string{}}
		for i, label := range parts[1:] {
			p.Labels[Languages[i]] = strings.TrimSpace(label)
		}
		out = append(out, p)
	}
	return out, nil
}

// New returns the handler of every path under /privacy/.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, fmt.Errorf("web: Service is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinFillTime == 0 {
		cfg.MinFillTime = 3 * time.Second
	}
	if cfg.FilingsPerMinutePerAddress <= 0 {
		cfg.FilingsPerMinutePerAddress = 30
	}
	if cfg.Brand.OrgName == "" {
		cfg.Brand.OrgName = "Rightsdesk"
	}
	if cfg.Brand.AccentColor == "" {
		cfg.Brand.AccentColor = "#1a56db"
	}
	brandCSS, err := BrandCSS(cfg.Brand.AccentColor)
	if err != nil {
		return nil, err
	}
	imgSrc := "'self'"
	var logoType string
	if len(cfg.Brand.Logo) > 0 {
		if cfg.Brand.LogoURL != "" {
			return nil, fmt.Errorf("RIGHTSDESK_LOGO_FILE: give a logo file or RIGHTSDESK_LOGO_URL, not both")
		}
		if logoType = logoContentType(cfg.Brand.Logo); logoType == "" {
			return nil, fmt.Errorf("RIGHTSDESK_LOGO_FILE: a logo must be a PNG, JPEG, GIF or WebP image of at most %d KiB", MaxLogoSize>>10)
		}
		cfg.Brand.LogoURL = LogoPath
	}
	if cfg.Brand.LogoURL != "" {
		u, err := url.Parse(cfg.Brand.LogoURL)
		switch {
		case err != nil || (u.Scheme != "https" && !(u.Scheme == "" && strings.HasPrefix(cfg.Brand.LogoURL, "/"))):
			return nil, fmt.Errorf("RIGHTSDESK_LOGO_URL: %q is neither an https URL nor a path on this site", cfg.Brand.LogoURL)
		case u.Scheme == "https":
			imgSrc += " https://" + u.Host
		}
	}
	if p := cfg.Brand.PrivacyPolicyURL; p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("RIGHTSDESK_PRIVACY_POLICY_URL: %q is not an http(s) URL", p)
		}
	}
	frame := "'none'"
	if len(cfg.FrameAncestors) > 0 {
		for _, o := range cfg.FrameAncestors {
			if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
				(u.Path != "" && u.Path != "/") || strings.ContainsAny(o, " ;,'") {
				return nil, fmt.Errorf("RIGHTSDESK_FRAME_ANCESTORS: %q is not an origin such as https://www.example.com", o)
			}
		}
		frame = strings.Join(cfg.FrameAncestors, " ")
	}
	cat, err := LoadCatalogue()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	realIP := ClientAddress(cfg.TrustedProxies)
	s := &Server{svc: cfg.Service, log: cfg.Logger, brand: cfg.Brand, cat: cat, pages: pages, now: cfg.Now,
		minFill: cfg.MinFillTime, realIP: realIP,
		tokens: &formTokens{secret: cfg.Service.PageSecret(), now: cfg.Now, secure: cfg.TLS,
			sameSiteNone: len(cfg.FrameAncestors) > 0},
		filings: newLimiter(rate.Limit(float64(cfg.FilingsPerMinutePerAddress)/60), max(cfg.FilingsPerMinutePerAddress/10, 5), cfg.Now),
		links:   newLimiter(rate.Every(6*time.Second), 10, cfg.Now),
		csp: "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + imgSrc +
			"; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors " + frame,
		brandCSS: brandCSS,
		logo:     cfg.Brand.Logo, logoType: logoType,
	}
	s.routes()
	return s, nil
}

// ClientAddress answers how to tell a request's client address: the connection's peer, or the address in
// X-Forwarded-For that the trusted reverse proxies name, as for the API.
func ClientAddress(trustedProxies []*net.IPNet) func(*http.Request) string {
	if len(trustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trustedProxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// SiteCSS is the pages' style sheet, which the console shares so that both look the same.
func SiteCSS() []byte {
	b, err := staticFS.ReadFile("static/site.css")
	if err != nil {
		panic("web: the embedded site.css is missing: " + err.Error())
	}
	return b
}

// BrandCSS is the style sheet that gives the pages the organisation's accent colour; an error names the
// variable when the colour is not #rgb or #rrggbb.
func BrandCSS(accent string) ([]byte, error) {
	if !colorRe.MatchString(accent) {
		return nil, fmt.Errorf("RIGHTSDESK_ACCENT_COLOR: %q is not a colour such as #1a56db", accent)
	}
	return []byte(":root { --accent: " + accent + "; }\n"), nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /privacy/{$}", s.home)
	m.HandleFunc("GET /privacy/requests/new", s.newRequest)
	m.HandleFunc("POST /privacy/requests", s.createRequest)
	m.HandleFunc("GET /privacy/requests/received", s.received)
	m.HandleFunc("GET /privacy/status/{token}", s.limitLinks(s.status))
	m.HandleFunc("POST /privacy/status/{token}/withdraw", s.limitLinks(s.withdraw))
	m.HandleFunc("POST /privacy/status/{token}/answer", s.limitLinks(s.answer))
	m.HandleFunc("GET /privacy/status/{token}/download", s.limitLinks(s.download))
	m.HandleFunc("GET /privacy/lang", s.switchLanguage)
	m.HandleFunc("GET /privacy/static/brand.css", s.serveBrandCSS)
	if s.logo != nil {
		m.HandleFunc("GET "+LogoPath, s.serveLogo)
	}
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /privacy/static/", s.cacheStatic(http.StripPrefix("/privacy/static/", http.FileServerFS(static))))
	m.HandleFunc("/privacy/", s.notFound)
	s.mux = m
}

// ServeHTTP answers every path under /privacy/ with the security headers of the pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	// Status pages carry their token in the path: no page may leak it to another site (same-origin, not
	// no-referrer, under which browsers send "Origin: null" with a form and the origin check could not work).
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error().Interface("panic", v).Str("route", routeOf(r)).Msg("panic in page")
			s.refuse(rec, r, http.StatusInternalServerError, "refused.error")
		}
		// References only: the route's pattern, never the path (status tokens) or the query.
		s.log.Info().Str("method", r.Method).Str("route", routeOf(r)).Int("status", rec.status).
			Dur("latency", time.Since(start)).Msg("page")
	}()
	s.mux.ServeHTTP(rec, r)
}

func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "/privacy/"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// cacheStatic lets browsers keep the embedded assets for a day (they change only with the binary).
func (s *Server) cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) serveBrandCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.brandCSS)
}

// MaxLogoSize bounds the logo file the pages serve.
const MaxLogoSize = 256 << 10

// LogoPath is where the privacy center serves the logo file (the console shows it from there too).
const LogoPath = "/privacy/static/logo"

// logoContentType is the type of a logo image, by its content; "" for anything else or a file too large. SVG
// is not taken: it can carry script.
func logoContentType(b []byte) string {
	if len(b) > MaxLogoSize {
		return ""
	}
	switch t := http.DetectContentType(b); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return t
	}
	return ""
}

func (s *Server) serveLogo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", s.logoType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.logo)
}

// limitLinks bounds status-link requests per client address, so tokens cannot be guessed by brute force.
func (s *Server) limitLinks(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.links.allow(s.realIP(r)) {
			w.Header().Set("Retry-After", "6")
			s.refuse(w, r, http.StatusTooManyRequests, "refused.rate")
			return
		}
		next(w, r)
	}
}

// switchLanguage remembers the chosen language and returns to the page it was chosen on.
func (s *Server) switchLanguage(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("to")
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, "/privacy/") || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = "/privacy/"
	}
	for _, l := range Languages {
		if l == lang {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/privacy/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: s.tokens.secure, SameSite: http.SameSiteLaxMode})
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.refuse(w, r, http.StatusNotFound, "refused.not_found")
}
