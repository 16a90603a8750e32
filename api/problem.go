package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
)

// problemTypePrefix starts every problem type URI; the suffix is the error code (docs/api.md lists them).
const problemTypePrefix = "urn:rightsdesk:problem:"

// statusOf is the one table from service error codes to HTTP statuses.
var statusOf = map[string]int{
	service.EINVALID:      http.StatusUnprocessableEntity,
	service.ENOTFOUND:     http.StatusNotFound,
	service.ECONFLICT:     http.StatusConflict,
	service.EUNAUTHORIZED: http.StatusUnauthorized,
	service.EFORBIDDEN:    http.StatusForbidden,
	service.EUNAVAILABLE:  http.StatusServiceUnavailable,
	service.ETOOMANY:      http.StatusTooManyRequests,
	service.EINTERNAL:     http.StatusInternalServerError,
}

// malformedError is a request the server cannot read: bad JSON, a bad parameter encoding, a wrong content type.
type malformedError struct{ detail string }

func (e *malformedError) Error() string { return "malformed request: " + e.detail }

// errorHandler writes every error as an RFC 9457 problem. Internal errors are logged once, here, with detail,
// and answered with "internal error" only.
func errorHandler(log zerolog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemOf(err)
		if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
			log.Error().Err(err).Str("request_id", requestID(c)).Str("route", c.Path()).Msg("internal error")
		}
		if p.Status == http.StatusTooManyRequests {
			c.Response().Header().Set("Retry-After", retryAfter(waitOf(err)))
		}
		if errors.Is(err, errUploadsBusy) {
			c.Response().Header().Set("Retry-After", "5")
		}
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="rightsdesk"`)
		}
		writeProblem(c, p)
	}
}

func writeProblem(c echo.Context, p Problem) {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if requestMethod(c) == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.JSON(p.Status, p)
}

// problemOf classifies an error.
func problemOf(err error) Problem {
	var (
		he  *echo.HTTPError
		me  *malformedError
		se  *service.Error
		bmv *echo.BindingError
		le  *limitError
	)
	switch {
	case errors.As(err, &le):
		return tooMany(le.limit, le.detail, le.wait)
	case errors.As(err, &se) && se.Code == service.ETOOMANY:
		return tooMany(RateLimit(se.Limit), se.Message, se.RetryAfter)
	case errors.As(err, &me):
		return newProblem(http.StatusBadRequest, "malformed", me.detail)
	case errors.Is(err, http.ErrNotMultipart) || errors.Is(err, http.ErrMissingBoundary):
		return newProblem(http.StatusBadRequest, "malformed", "the body must be multipart/form-data with a boundary")
	case errors.As(err, &bmv):
		return newProblem(http.StatusBadRequest, "malformed", "the request body or a parameter could not be read")
	case errors.As(err, &se):
		status, ok := statusOf[se.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		p := newProblem(status, se.Code, service.ErrorMessage(err))
		for _, f := range se.Fields {
			p.addError(f.Field, f.Message)
		}
		return p
	case errors.As(err, &he) && he.Code == http.StatusBadRequest && parameterName(he) != "":
		// The generated binder refused a parameter (e.g. given twice): a broken rule about a named field.
		p := newProblem(http.StatusUnprocessableEntity, service.EINVALID, "the request breaks a rule; see errors")
		p.addError(parameterName(he), "has the wrong format (or is given more than once)")
		return p
	case errors.As(err, &he):
		code := strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		detail := http.StatusText(he.Code)
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			detail = "the request body is over the limit"
		case http.StatusNotFound:
			detail = "no such path"
		case http.StatusMethodNotAllowed:
			detail = "the path does not take this method"
		}
		if he.Code >= 500 {
			return newProblem(http.StatusInternalServerError, service.EINTERNAL, "internal error")
		}
		return newProblem(he.Code, code, detail)
	}
	if service.ErrorCode(err) == service.EUNAVAILABLE {
		return newProblem(http.StatusServiceUnavailable, service.EUNAVAILABLE, service.ErrorMessage(err))
	}
	return newProblem(http.StatusInternalServerError, service.EINTERNAL, "internal error")
}

func newProblem(status int, code, detail string) Problem {
	return Problem{Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status, Detail: &detail}
}

// addError names one invalid field.
func (p *Problem) addError(field, message string) {
	if p.Errors == nil {
		p.Errors = &[]FieldError{}
	}
	*p.Errors = append(*p.Errors, FieldError{Field: field, Message: message})
}

// parameterName extracts the parameter the generated binder names in "Invalid format for parameter NAME: ...".
func parameterName(he *echo.HTTPError) string {
	msg, _ := he.Message.(string)
	_, rest, ok := strings.Cut(msg, "for parameter ")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, ":")
	return strings.TrimSpace(name)
}
