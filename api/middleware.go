package api

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
)

type actorKey struct{}

// actorFrom returns the authenticated caller the auth middleware put in ctx.
func actorFrom(ctx context.Context) service.Actor {
	a, _ := ctx.Value(actorKey{}).(service.Actor)
	return a
}

// authenticate resolves the bearer token of every operation the spec does not mark public.
func authenticate(doc *openapi3.T, svc *service.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			_, _, op := specOperation(doc, c)
			if op == nil || operationIsPublic(op) {
				return next(c)
			}
			scheme, secret, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			if !strings.EqualFold(scheme, "Bearer") {
				secret = ""
			}
			a, err := svc.Authenticate(c.Request().Context(), strings.TrimSpace(secret))
			if err != nil {
				return err
			}
			c.Set("actor_id", a.UserID)
			if roles := operationRoles(op); !slices.Contains(roles, a.Role) {
				return service.Forbidden(a.Role, roles)
			}
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), actorKey{}, a)))
			return next(c)
		}
	}
}

// operationRoles lists the roles the operation's x-roles allow, so that a caller who may not call an operation
// learns so, and who may, before its body is read. The service checks again: this is the early, documented gate.
func operationRoles(op *openapi3.Operation) []service.Role {
	roles, _ := op.Extensions["x-roles"].([]any)
	var out []service.Role
	for _, r := range roles {
		if s, ok := r.(string); ok {
			out = append(out, service.Role(s))
		}
	}
	return out
}

// requestID is the ID the RequestID middleware gave the request, echoed in X-Request-Id.
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// logRequests writes one line per request: references only (request ID, route template, status, latency,
// actor ID). Never the URL's query, a body or a header: those may carry personal data or secrets.
func logRequests(log zerolog.Logger, m *metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the problem now, so the status logged is the one sent
			}
			status := c.Response().Status
			m.observe(c, time.Since(start))
			ev := log.Info()
			if status >= 500 {
				ev = log.Warn()
			}
			actor, _ := c.Get("actor_id").(string)
			ev.Str("request_id", requestID(c)).Str("method", requestMethod(c)).Str("route", c.Path()).
				Int("status", status).Dur("latency", time.Since(start)).Str("actor", actor).Msg("http")
			return nil
		}
	}
}
