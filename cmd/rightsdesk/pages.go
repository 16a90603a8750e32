package main

import (
	"fmt"
	"net/http"

	"github.com/rightsdesk/rightsdesk/web"
)

// withPages serves the privacy center at /privacy/ beside the API. The pages are their own handler, not routes
// of the API's Echo server: the API's middleware (bearer tokens, validation against openapi.yaml, its CSP and
// 64 KiB body limit) is for JSON callers, and the pages have their own (form tokens, a CSP that allows their
// style sheet, uploads of an answer's files).
func withPages(a *app, apiHandler http.Handler) (http.Handler, error) {
	purposes, err := web.ParsePurposes(a.cfg.ConsentPurposes)
	if err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_CONSENT_PURPOSES: %w", err)
	}
	pages, err := web.New(web.Config{Service: a.svc, Logger: a.log, TrustedProxies: a.cfg.TrustedProxies,
		TLS: a.cfg.TLSCert != "", FilingsPerMinutePerAddress: a.cfg.FilingsPerIP, FrameAncestors: a.cfg.FrameAncestors,
		Brand: web.Brand{OrgName: a.cfg.OrgName, LogoURL: a.cfg.LogoURL, AccentColor: a.cfg.AccentColor,
			PrivacyPolicyURL: a.cfg.PrivacyPolicyURL, ContactEmail: a.cfg.ContactEmail, ConsentPurposes: purposes}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/privacy/", pages)
	// A person who opens the service's address in a browser lands on the privacy center, not on a JSON 404.
	mux.Handle("GET /{$}", http.RedirectHandler("/privacy/", http.StatusFound))
	mux.Handle("/", apiHandler)
	return mux, nil
}
