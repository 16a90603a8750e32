package api

import (
	"crypto/rand"
	"encoding/hex"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxRequestIDLen bounds a client's X-Request-Id; longer ones are replaced.
const maxRequestIDLen = 64

// assignRequestIDs gives every request an ID, echoed in X-Request-Id and logged with it. A client's own ID is
// kept only when it is a short token of safe characters: anything else could write personal data or forged
// JSON into the logs, so it is replaced by a fresh one and never echoed.
func assignRequestIDs() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := req.Header.Get(echo.HeaderXRequestID)
			if !safeRequestID(id) {
				id = newRequestID()
				req.Header.Set(echo.HeaderXRequestID, id)
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			return next(c)
		}
	}
}

// safeRequestID reports whether id is 1 to 64 of [A-Za-z0-9._-].
func safeRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// noStoreAndCharset tells caches to keep no answer (API answers carry personal data, the subjects' pages carry
// their links) and names the character set of HTML pages, so that no browser guesses another one.
func noStoreAndCharset() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			res := c.Response()
			res.Header().Set(echo.HeaderCacheControl, "no-store")
			res.Before(func() {
				if mt, params, err := mime.ParseMediaType(res.Header().Get(echo.HeaderContentType)); err == nil &&
					mt == "text/html" && params["charset"] == "" {
					res.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
				}
			})
			return next(c)
		}
	}
}

// headAsGet answers HEAD on a path like GET, without a body: the request is routed, authorised and validated as
// a GET (Echo routes on the request it was given, so the method is changed in place), and the body written is
// discarded.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if req := c.Request(); req.Method == http.MethodHead {
			req.Method = http.MethodGet
			c.Set("head", true)
			c.Response().Writer = bodiless{c.Response().Writer}
		}
		return next(c)
	}
}

// bodiless is a response writer that sends the status and headers and drops the body, as HEAD asks.
type bodiless struct{ http.ResponseWriter }

func (w bodiless) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w bodiless) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestMethod is the method the client sent, HEAD included.
func requestMethod(c echo.Context) string {
	if head, _ := c.Get("head").(bool); head {
		return http.MethodHead
	}
	return c.Request().Method
}

// canonicalContentType rewrites a request's Content-Type in its canonical form (media type and parameter names
// lowercase), so that every reader after it (validation, Echo's binder, the multipart reader), each comparing
// in its own way, sees application/json whether the client wrote Application/JSON or APPLICATION/JSON.
func canonicalContentType(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if mt, params, err := mediaType(req); err == nil && mt != "" {
			if ct := mime.FormatMediaType(mt, params); ct != "" {
				req.Header.Set(echo.HeaderContentType, ct)
			}
		}
		return next(c)
	}
}

// mediaType is the request's media type, lowercase, and its parameters; "" when the header is absent. Media
// types are case-insensitive (RFC 9110), so every comparison goes through this.
func mediaType(req *http.Request) (string, map[string]string, error) {
	ct := req.Header.Get(echo.HeaderContentType)
	if strings.TrimSpace(ct) == "" {
		return "", nil, nil
	}
	return mime.ParseMediaType(ct)
}
