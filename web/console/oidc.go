package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/rightsdesk/rightsdesk/service"
)

// OIDC configures single sign-on with an OpenID Connect provider (RIGHTSDESK_OIDC_*).
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this console's callback as the provider knows it: PUBLIC_URL/console/oidc/callback.
	RedirectURL string
	// CreateRole creates a user of this role for a verified address no user has; "": never create users.
	CreateRole service.Role
	// HTTPClient reaches the provider; default one with a 10-second timeout.
	HTTPClient *http.Client
}

// sso is the single sign-on of the console: the provider is discovered on first use (and again after a
// failure), so that the console starts even while the provider cannot be reached.
type sso struct {
	cfg      OIDC
	mu       sync.Mutex
	provider *oidc.Provider
}

func (o *sso) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

func (o *sso) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID Connect provider (RIGHTSDESK_OIDC_ISSUER): %w", err)
	}
	o.provider = p
	return p, nil
}

func (o *sso) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

func newSSO(cfg OIDC) (*sso, error) {
	if cfg.Issuer == "" {
		return nil, nil
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("RIGHTSDESK_OIDC_ISSUER needs RIGHTSDESK_OIDC_CLIENT_ID and RIGHTSDESK_OIDC_CLIENT_SECRET")
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("the OpenID Connect callback %q is not an http(s) URL (RIGHTSDESK_PUBLIC_URL)", cfg.RedirectURL)
	}
	if cfg.CreateRole != "" && !contains(service.ConsoleRoles, cfg.CreateRole) {
		return nil, fmt.Errorf("RIGHTSDESK_OIDC_CREATE_USERS: %q is not admin, officer or auditor", cfg.CreateRole)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &sso{cfg: cfg}, nil
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// oidcCookie keeps, between the start and the callback, the state, the nonce and the PKCE verifier: signed, so
// that it cannot be forged, and good for oidcLife.
const (
	oidcCookie = "rd_console_oidc"
	oidcLife   = 10 * time.Minute
)

type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	At       int64  `json:"t"`
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) oidcMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("oidc\x00"))
	m.Write(body)
	return m.Sum(nil)
}

// oidcStart sends the browser to the provider.
func (s *Server) oidcStart(c echo.Context) error {
	if s.oidc == nil {
		return s.errorPage(c, http.StatusNotFound, "error.not_found", "")
	}
	p, err := s.oidc.discover(c.Request().Context())
	if err != nil {
		s.log.Error().Err(err).Msg("console: single sign-on")
		return s.render(c, http.StatusBadGateway, "login", &loginPage{Failed: "login.sso_unavailable", SSO: true,
			Next: safeBack(c.QueryParam("next"))})
	}
	st := oidcState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Next: safeBack(c.QueryParam("next")), At: s.now().Unix()}
	body, _ := json.Marshal(st)
	s.setCookie(c, oidcCookie, base64.RawURLEncoding.EncodeToString(body)+"."+
		base64.RawURLEncoding.EncodeToString(s.oidcMAC(body)), int(oidcLife.Seconds()))
	return c.Redirect(http.StatusFound, s.oidc.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce),
		oauth2.S256ChallengeOption(st.Verifier)))
}

func (s *Server) oidcPending(c echo.Context) (*oidcState, bool) {
	b64, sig, ok := strings.Cut(s.cookie(c, oidcCookie), ".")
	if !ok {
		return nil, false
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.oidcMAC(body)) {
		return nil, false
	}
	var st oidcState
	if json.Unmarshal(body, &st) != nil || s.now().Sub(time.Unix(st.At, 0)) > oidcLife {
		return nil, false
	}
	return &st, true
}

// oidcCallback takes the provider's answer: the code is exchanged (with the PKCE verifier), the ID token
// verified (issuer, audience, expiry, signature, nonce), and the person matched by her verified address.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return s.errorPage(c, http.StatusNotFound, "error.not_found", "")
	}
	ctx := c.Request().Context()
	refuse := func(key string, err error) error {
		if err != nil {
			s.log.Warn().Err(err).Msg("console: single sign-on refused")
		}
		s.setCookie(c, oidcCookie, "", -1)
		return s.render(c, http.StatusUnauthorized, "login", &loginPage{Failed: key, SSO: true, Next: "/console/"})
	}
	st, ok := s.oidcPending(c)
	if !ok || c.QueryParam("state") == "" || !hmac.Equal([]byte(c.QueryParam("state")), []byte(st.State)) {
		return refuse("login.sso_failed", errors.New("state missing or not this browser's"))
	}
	if c.QueryParam("error") != "" {
		return refuse("login.sso_failed", fmt.Errorf("the provider answered %q", truncate(c.QueryParam("error"), 64)))
	}
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return refuse("login.sso_unavailable", err)
	}
	tok, err := s.oidc.oauth(p).Exchange(s.oidc.ctx(ctx), c.QueryParam("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return refuse("login.sso_failed", fmt.Errorf("exchange the code: %w", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse("login.sso_failed", errors.New("no id_token in the token response"))
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.now}).Verify(s.oidc.ctx(ctx), raw)
	if err != nil {
		return refuse("login.sso_failed", fmt.Errorf("verify the ID token: %w", err))
	}
	if !hmac.Equal([]byte(idt.Nonce), []byte(st.Nonce)) {
		return refuse("login.sso_failed", errors.New("the ID token's nonce is not this sign-in's"))
	}
	var claims struct {
		Email    string `json:"email"`
		Verified any    `json:"email_verified"`
		Name     string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return refuse("login.sso_failed", fmt.Errorf("read the ID token's claims: %w", err))
	}
	verified := claims.Verified == true || claims.Verified == "true"
	u, err := s.svc.UserForSSO(ctx, claims.Email, verified, claims.Name, s.oidc.cfg.CreateRole)
	switch service.ErrorCode(err) {
	case "":
	case service.EUNAUTHORIZED:
		return refuse("login.sso_no_user", nil)
	default:
		return s.fail(c, err)
	}
	s.setCookie(c, oidcCookie, "", -1)
	return s.startSession(c, u.ID, st.Next)
}

// truncate bounds a value the other side chose before it is logged.
func truncate(v string, n int) string {
	if len(v) <= n {
		return v
	}
	return strings.ToValidUTF8(v[:n], "") + "…"
}
