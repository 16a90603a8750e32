// Package api is the HTTP adapter of Rightsdesk: an Echo server generated from openapi.yaml (oapi-codegen,
// strict mode), with every request validated against the same document. It converts between HTTP and service
// types and holds no rules of its own.
package api

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk"
	"github.com/rightsdesk/rightsdesk/service"
)

// Server implements the generated strict interface over the service.
type Server struct {
	svc       *service.Service
	schedules Schedules
	holder    string
	metrics   *metrics
	uploads   chan struct{} // one token per upload being read
}

var _ StrictServerInterface = (*Server)(nil)

// Config is what New needs.
type Config struct {
	Service *service.Service
	Logger  zerolog.Logger
	// BodyLimit bounds request bodies, e.g. "64K"; default 64K.
	BodyLimit string
	// CORSOrigins may call the API from a browser (web forms); none by default.
	CORSOrigins []string
	// Schedules describes the scheduler's jobs for the jobs view; nil when this replica runs none.
	Schedules Schedules
	// Holder names this replica when an admin runs a job.
	Holder string
	// FilingsPerMinute bounds filings per token; default 600.
	FilingsPerMinute int
	// FilingsPerMinutePerAddress bounds intake tokens' filings per client address (a web form in a browser shares
	// its intake token with the world; its abusers are told apart by address); default 30. Officers and admins
	// are limited per token only.
	FilingsPerMinutePerAddress int
	// TrustedProxies are the CIDRs of reverse proxies whose X-Forwarded-For names the client; none by default.
	TrustedProxies []*net.IPNet
	// TLS reports that the server terminates TLS itself, so browsers are told to insist on it (HSTS).
	TLS bool
	// MaxConcurrentUploads bounds the export uploads read at once (each holds up to 10 MiB in memory); more
	// answer 503 with Retry-After. Default 4.
	MaxConcurrentUploads int
}

// LoadSpec parses and validates the embedded openapi.yaml.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rightsdesk.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	doc.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	return doc, nil
}

// New returns the HTTP handler: middleware, validation and every route of openapi.yaml.
func New(cfg Config) (*echo.Echo, error) {
	doc, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "64K"
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	// The client address is the peer's, or X-Forwarded-For's only when the peer is a trusted proxy, so that a
	// client cannot dodge rate limits by naming another address.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	if cfg.FilingsPerMinute <= 0 {
		cfg.FilingsPerMinute = 600
	}
	if cfg.FilingsPerMinutePerAddress <= 0 {
		cfg.FilingsPerMinutePerAddress = 30
	}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 4
	}
	srv := &Server{svc: cfg.Service, schedules: cfg.Schedules, holder: cfg.Holder, metrics: newMetrics(cfg.Service),
		uploads: make(chan struct{}, cfg.MaxConcurrentUploads)}
	if srv.holder == "" {
		srv.holder = "api"
	}
	e.Pre(headAsGet)
	e.Use(assignRequestIDs())
	e.Use(noStoreAndCharset())
	e.Use(logRequests(cfg.Logger, srv.metrics))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			cfg.Logger.Error().Err(err).Bytes("stack", stack).Str("request_id", requestID(c)).Msg("panic")
			return err
		},
	}))
	secure := middleware.SecureConfig{XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer",
		// The only HTML is the subject's pages: their own inline style and a form posting to themselves.
		ContentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"}
	if cfg.TLS {
		secure.HSTSMaxAge = 63072000
	}
	e.Use(middleware.SecureWithConfig(secure))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: cfg.CORSOrigins,
			AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key"},
			AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut},
		}))
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: cfg.BodyLimit, Skipper: isUpload}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: uploadLimit,
		Skipper: func(c echo.Context) bool { return !isUpload(c) }}))
	e.Use(publicLinkLimiter(doc))
	e.Use(authenticate(doc, cfg.Service))
	e.Use(addressFilingLimiter(cfg.FilingsPerMinutePerAddress))
	e.Use(tokenFilingLimiter(cfg.FilingsPerMinute))
	e.Use(canonicalContentType)
	e.Use(strictQuery(doc))
	e.Use(validateRequests(doc))
	RegisterHandlers(e, filingHandler{ServerInterface: NewStrictHandler(srv, nil), srv: srv})
	return e, nil
}

// uploadLimit bounds a multipart export upload: one file of service.MaxExportSize and its envelope.
const uploadLimit = "11M"

// isUpload reports whether the request is an export upload, the one route with a larger body limit.
func isUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/api/v1/requests/:id/exports"
}

// GetHealth answers that the process is up.
func (s *Server) GetHealth(ctx context.Context, _ GetHealthRequestObject) (GetHealthResponseObject, error) {
	return GetHealth200JSONResponse{Status: HealthStatusOk}, nil
}

// GetReady answers whether the database is reachable.
func (s *Server) GetReady(ctx context.Context, _ GetReadyRequestObject) (GetReadyResponseObject, error) {
	if err := s.svc.Ready(ctx); err != nil {
		p := problemOf(err)
		return GetReady503ApplicationProblemPlusJSONResponse(p), nil
	}
	out := GetReady200JSONResponse{Status: HealthStatusOk}
	if w := s.svc.Warnings(); len(w) > 0 {
		out.Warnings = &w
	}
	return out, nil
}

// GetOpenAPI serves the document the server is built from.
func (s *Server) GetOpenAPI(ctx context.Context, _ GetOpenAPIRequestObject) (GetOpenAPIResponseObject, error) {
	return GetOpenAPI200ApplicationyamlResponse{Body: bytes.NewReader(rightsdesk.OpenAPI),
		ContentLength: int64(len(rightsdesk.OpenAPI))}, nil
}

// GetMe answers who the caller is.
func (s *Server) GetMe(ctx context.Context, _ GetMeRequestObject) (GetMeResponseObject, error) {
	a := actorFrom(ctx)
	return GetMe200JSONResponse{UserId: parseUUID(a.UserID), Name: a.Name, Role: Role(a.Role)}, nil
}
