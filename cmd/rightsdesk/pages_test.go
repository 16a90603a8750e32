package main

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivacyCenterServed: the program serves the privacy center beside the API, branded and embeddable as
// configured; bad branding stops the start with the variable's name.
func TestPrivacyCenterServed(t *testing.T) {
	p := start(t, map[string]string{"RIGHTSDESK_DB": filepath.Join(t.TempDir(), "rd.db"), "RIGHTSDESK_ENCRYPTION_KEY": testKey,
		"RIGHTSDESK_ORG_NAME": "Acme Trading", "RIGHTSDESK_ACCENT_COLOR": "#c8102e",
		"RIGHTSDESK_CONSENT_PURPOSES": "marketing|Marketing e-mails|营销邮件",
		"RIGHTSDESK_FRAME_ANCESTORS":  "https://www.acme.example https://shop.acme.example"})
	resp, err := http.Get(p.url + "/privacy/requests/new?type=consent_withdrawal")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Acme Trading") || !strings.Contains(string(body), "Marketing e-mails") {
		t.Errorf("/privacy/: %d\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors https://www.acme.example https://shop.acme.example") {
		t.Errorf("CSP %q", csp)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(p.url + "/"); err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/privacy/" {
		t.Errorf("the service's address in a browser: %v %v, want a redirect to /privacy/", err, resp)
	}
	if resp, err := http.Get(p.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the API beside the pages: %v %v", err, resp)
	}
	for name, vars := range map[string]map[string]string{
		"RIGHTSDESK_ACCENT_COLOR":     {"RIGHTSDESK_ACCENT_COLOR": "red"},
		"RIGHTSDESK_FRAME_ANCESTORS":  {"RIGHTSDESK_FRAME_ANCESTORS": "*"},
		"RIGHTSDESK_LOGO_URL":         {"RIGHTSDESK_LOGO_URL": "http://cdn.example/logo.png"},
		"RIGHTSDESK_CONSENT_PURPOSES": {"RIGHTSDESK_CONSENT_PURPOSES": "a|b|c|d"},
	} {
		vars["RIGHTSDESK_DB"], vars["RIGHTSDESK_ENCRYPTION_KEY"] = filepath.Join(t.TempDir(), "rd.db"), testKey
		err := run(t.Context(), []string{"serve", "-addr", "127.0.0.1:0"}, env(vars), io.Discard)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming it", name, err)
		}
	}
}

// TestLogoFileServed: RIGHTSDESK_LOGO_FILE's image is served by the pages and shown on them; a file that is not
// such an image stops the start with the variable's name.
func TestLogoFileServed(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(logo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, map[string]string{"RIGHTSDESK_DB": filepath.Join(dir, "rd.db"), "RIGHTSDESK_ENCRYPTION_KEY": testKey,
		"RIGHTSDESK_LOGO_FILE": logo})
	resp, err := http.Get(p.url + "/privacy/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<img src="/privacy/static/logo"`) {
		t.Errorf("the page shows no logo:\n%s", page)
	}
	resp, err = http.Get(p.url + "/privacy/static/logo")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("logo: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	svg := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(t.Context(), []string{"serve", "-addr", "127.0.0.1:0"}, env(map[string]string{
		"RIGHTSDESK_DB": filepath.Join(dir, "rd2.db"), "RIGHTSDESK_ENCRYPTION_KEY": testKey, "RIGHTSDESK_LOGO_FILE": svg}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "RIGHTSDESK_LOGO_FILE") {
		t.Errorf("an SVG logo: %v, want an error naming RIGHTSDESK_LOGO_FILE", err)
	}
}
