package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Forms without an account are protected by a signed double-submit token: a random value in a cookie, and in
// the form the same value with the time the form was served, signed with the page secret. A post must carry
// both, agreeing, and come from this site (Sec-Fetch-Site, Origin). The signed time also tells how long the
// form took to fill in, which people need more than a few seconds for and spam programs do not.

// csrfCookie holds the double-submit value.
const csrfCookie = "rd_form"

// formTokenLife is how long a served form may be sent.
const formTokenLife = 24 * time.Hour

var errForm = errors.New("form token missing, forged or expired")

// formTokens issues and checks form tokens.
type formTokens struct {
	secret []byte
	now    func() time.Time
	secure bool // cookies only over TLS
	// sameSiteNone lets the cookie reach an embedding page's iframe (only over TLS, as browsers require).
	sameSiteNone bool
}

// mac signs a form token's body: the cookie's value, the time served and the form's own random part.
func (f *formTokens) mac(body []byte) []byte {
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte("form\x00"))
	m.Write(body)
	return m.Sum(nil)
}

// issue answers the token of a form served now, setting the cookie when the browser has none.
func (f *formTokens) issue(w http.ResponseWriter, r *http.Request) string {
	nonce := f.cookieNonce(r)
	if nonce == nil {
		nonce = make([]byte, 16)
		if _, err := rand.Read(nonce); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		c := &http.Cookie{Name: csrfCookie, Value: base64.RawURLEncoding.EncodeToString(nonce), Path: "/privacy/",
			HttpOnly: true, Secure: f.secure, SameSite: http.SameSiteLaxMode}
		if f.sameSiteNone && f.secure {
			c.SameSite = http.SameSiteNoneMode
		}
		http.SetCookie(w, c)
	}
	// The token names this served form too (8 random bytes), so that sending it twice can be recognised.
	issued := f.now().Unix()
	body := make([]byte, 32)
	copy(body, nonce)
	binary.BigEndian.PutUint64(body[16:24], uint64(issued))
	if _, err := rand.Read(body[24:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(f.mac(body))
}

func (f *formTokens) cookieNonce(r *http.Request) []byte {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != 16 {
		return nil
	}
	return b
}

// check verifies a posted form's token against the cookie and the request's origin, and answers when the form
// was served.
func (f *formTokens) check(r *http.Request, token string) (time.Time, error) {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return time.Time{}, errForm
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return time.Time{}, errForm
		}
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return time.Time{}, errForm
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(raw) != 32 {
		return time.Time{}, errForm
	}
	nonce, issued := raw[:16], int64(binary.BigEndian.Uint64(raw[16:24]))
	cookie := f.cookieNonce(r)
	if cookie == nil || !hmac.Equal(cookie, nonce) || !hmac.Equal(mac, f.mac(raw)) {
		return time.Time{}, errForm
	}
	at := time.Unix(issued, 0)
	if f.now().Sub(at) > formTokenLife || at.After(f.now().Add(time.Minute)) {
		return time.Time{}, errForm
	}
	return at, nil
}

// signed seals a small value (no personal data) into a URL-safe string that cannot be forged, for the
// confirmation page after a redirect.
func (f *formTokens) signed(value []byte) string {
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte("value\x00"))
	m.Write(value)
	return base64.RawURLEncoding.EncodeToString(value) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// unsign reverses signed; false when the value was changed.
func (f *formTokens) unsign(s string) ([]byte, bool) {
	body, sig, ok := strings.Cut(s, ".")
	if !ok || len(s) > 2000 {
		return nil, false
	}
	value, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte("value\x00"))
	m.Write(value)
	return value, hmac.Equal(mac, m.Sum(nil)[:16])
}
