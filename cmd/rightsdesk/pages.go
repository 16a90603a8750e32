package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
	"github.com/rightsdesk/rightsdesk/web/console"
)

// withPages serves the privacy center at /privacy/ and the console at /console/ beside the API. The pages are their own handler, not routes
// of the API's Echo server: the API's middleware (bearer tokens, validation against openapi.yaml, its CSP and
// 64 KiB body limit) is for JSON callers, and the pages have their own (form tokens, a CSP that allows their
// style sheet, uploads of an answer's files).
func withPages(a *app, apiHandler http.Handler) (http.Handler, error) {
	purposes, err := web.ParsePurposes(a.cfg.ConsentPurposes)
	if err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_CONSENT_PURPOSES: %w", err)
	}
	var logo []byte
	if a.cfg.LogoFile != "" {
		if logo, err = readLogo(a.cfg.LogoFile); err != nil {
			return nil, fmt.Errorf("RIGHTSDESK_LOGO_FILE: %w", err)
		}
	}
	pages, err := web.New(web.Config{Service: a.svc, Logger: a.log, TrustedProxies: a.cfg.TrustedProxies,
		TLS: a.cfg.TLSCert != "", FilingsPerMinutePerAddress: a.cfg.FilingsPerIP, FrameAncestors: a.cfg.FrameAncestors,
		Brand: web.Brand{OrgName: a.cfg.OrgName, LogoURL: a.cfg.LogoURL, Logo: logo, AccentColor: a.cfg.AccentColor,
			PrivacyPolicyURL: a.cfg.PrivacyPolicyURL, ContactEmail: a.cfg.ContactEmail, ConsentPurposes: purposes}})
	if err != nil {
		return nil, err
	}
	brand := web.Brand{OrgName: a.cfg.OrgName, LogoURL: a.cfg.LogoURL, AccentColor: a.cfg.AccentColor}
	if logo != nil {
		brand.LogoURL = web.LogoPath
	}
	con, err := console.New(console.Config{Service: a.svc, Logger: a.log, Brand: brand,
		TrustedProxies: a.cfg.TrustedProxies, TLS: a.cfg.TLSCert != "",
		OIDC: console.OIDC{Issuer: a.cfg.OIDCIssuer, ClientID: a.cfg.OIDCClientID, ClientSecret: a.cfg.OIDCClientSecret,
			RedirectURL: strings.TrimRight(a.cfg.PublicURL, "/") + "/console/oidc/callback",
			CreateRole:  service.Role(a.cfg.OIDCCreateUsers)}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/privacy/", pages)
	mux.Handle("/console/", con)
	mux.Handle("/console", http.RedirectHandler("/console/", http.StatusFound))
	// A person who opens the service's address in a browser lands on the privacy center, not on a JSON 404.
	mux.Handle("GET /{$}", http.RedirectHandler("/privacy/", http.StatusFound))
	mux.Handle("/", apiHandler)
	return mux, nil
}

// readLogo reads the logo file, refusing one larger than the pages serve.
func readLogo(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, web.MaxLogoSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > web.MaxLogoSize {
		return nil, fmt.Errorf("%s is over %d KiB", path, web.MaxLogoSize>>10)
	}
	return b, nil
}
