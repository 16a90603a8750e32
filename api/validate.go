package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// specOperation finds the operation of the route Echo matched: its path template with {name} parameters.
func specOperation(doc *openapi3.T, c echo.Context) (string, *openapi3.PathItem, *openapi3.Operation) {
	path := echoToSpecPath(c.Path())
	item := doc.Paths.Value(path)
	if item == nil {
		return path, nil, nil
	}
	return path, item, item.GetOperation(c.Request().Method)
}

// echoToSpecPath turns /a/:id into /a/{id}.
func echoToSpecPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// validateRequests checks every request against openapi.yaml before a handler sees it: unknown fields, types,
// enums, lengths and required members. Broken JSON answers 400; JSON that breaks the schema answers 422 naming
// each field.
func validateRequests(doc *openapi3.T) echo.MiddlewareFunc {
	opts := &openapi3filter.Options{
		MultiError:              true,
		KeepValidatedValue:      true,
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc, // authentication is its own middleware
		SchemaValidationOptions: doc.GetSchemaValidationOptions(),
	}
	// kin-openapi checks an operation's security requirements by reading the whole body into memory first (for
	// authentication functions that might read it). Authentication is its own middleware, so each operation is
	// validated as a copy without security requirements: an upload is then read only by its handler.
	withoutSecurity := map[*openapi3.Operation]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			cp := *op
			cp.Security = &openapi3.SecurityRequirements{}
			withoutSecurity[op] = &cp
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			path, item, op := specOperation(doc, c)
			if op == nil {
				return next(c) // Echo answers 404 or 405 itself
			}
			params := map[string]string{}
			for i, name := range c.ParamNames() {
				params[name] = c.ParamValues()[i]
			}
			in := &openapi3filter.RequestValidationInput{
				Request:    c.Request(),
				PathParams: params,
				Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: c.Request().Method,
					Operation: withoutSecurity[op]},
				Options: opts,
			}
			mt, mtParams, err := mediaType(c.Request())
			if err != nil && op.RequestBody != nil {
				return &malformedError{detail: "the Content-Type header is not a media type"}
			}
			if mt == echo.MIMEApplicationJSON {
				if err := requireOneJSONValue(c); err != nil {
					return err
				}
			}
			if op.OperationID == filingOperation {
				// The filing's body is read and checked by filingHandler; kin-openapi checks its header and
				// parameters only.
				filingOpts := *opts
				filingOpts.ExcludeRequestBody = true
				in.Options = &filingOpts
			}
			if mt == echo.MIMEMultipartForm && takesMultipart(op) {
				if mtParams["boundary"] == "" {
					return &malformedError{detail: "Content-Type multipart/form-data needs its boundary parameter"}
				}
				// Uploads are streamed to the handler, which reads and bounds the file itself.
				multipartOpts := *opts
				multipartOpts.ExcludeRequestBody = true
				in.Options = &multipartOpts
			}
			if err := openapi3filter.ValidateRequest(c.Request().Context(), in); err != nil {
				if isPage(op) {
					return writeLinkPage(c)
				}
				return requestValidationError(err)
			}
			return next(c)
		}
	}
}

// takesMultipart reports whether the operation's body may be multipart/form-data (an upload).
func takesMultipart(op *openapi3.Operation) bool {
	return op.RequestBody != nil && op.RequestBody.Value != nil &&
		op.RequestBody.Value.Content.Get(echo.MIMEMultipartForm) != nil
}

// requestValidationError turns kin-openapi's findings into a malformed (400) or invalid (422) error.
func requestValidationError(err error) error {
	var all []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		all = me
	} else {
		all = []error{err}
	}
	var fields []service.FieldError
	for _, e := range all {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			var he *echo.HTTPError
			if errors.As(e, &he) {
				return he
			}
			return &malformedError{detail: "the request could not be validated"}
		}
		if re.RequestBody != nil {
			var pe *openapi3filter.ParseError
			if errors.As(re.Err, &pe) || errors.Is(re.Err, openapi3filter.ErrInvalidRequired) ||
				re.Err == nil || strings.Contains(re.Reason, "Content-Type") {
				return &malformedError{detail: bodyProblem(re)}
			}
			fields = append(fields, schemaFields("", re.Err)...)
			continue
		}
		if re.Parameter != nil {
			fields = append(fields, parameterFields(re)...)
			continue
		}
		return &malformedError{detail: "the request could not be read"}
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return service.Invalid(fields...)
}

func bodyProblem(re *openapi3filter.RequestError) string {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return "a JSON body is required"
	case strings.Contains(re.Reason, "Content-Type") || strings.Contains(fmt.Sprint(re.Err), "Content-Type"):
		return "the body must be application/json"
	}
	return "the body is not valid JSON"
}

func parameterFields(re *openapi3filter.RequestError) []service.FieldError {
	name := re.Parameter.Name
	var pe *openapi3filter.ParseError
	switch {
	case errors.As(re.Err, &pe):
		return []service.FieldError{{Field: name, Message: "must be " + expected(re.Parameter.Schema)}}
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return []service.FieldError{{Field: name, Message: "is required"}}
	}
	fields := schemaFields("", re.Err)
	for i := range fields {
		fields[i].Field = name
	}
	if len(fields) == 0 {
		fields = []service.FieldError{{Field: name, Message: "is invalid"}}
	}
	return fields
}

// schemaFields names each schema violation by its dotted path, e.g. details.corrections[0].field.
func schemaFields(prefix string, err error) []service.FieldError {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []service.FieldError
		for _, e := range me {
			out = append(out, schemaFields(prefix, e)...)
		}
		return out
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return []service.FieldError{{Field: "body", Message: "is invalid"}}
	}
	field := fieldPath(se.JSONPointer())
	msg := schemaMessage(se)
	if strings.HasSuffix(se.Reason, "is unsupported") {
		if name := unknownProperty(se.Reason); name != "" {
			field = join(field, name)
			msg = "is not a known field"
		}
	}
	if strings.HasSuffix(se.Reason, "is missing") {
		msg = "is required"
	}
	if field == "" {
		field = "body"
	}
	return []service.FieldError{{Field: prefix + field, Message: msg}}
}

// unknownProperty extracts the name from kin-openapi's `property "x" is unsupported`.
func unknownProperty(reason string) string {
	_, rest, ok := strings.Cut(reason, `property "`)
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return ""
	}
	return name
}

func fieldPath(pointer []string) string {
	var b strings.Builder
	for _, p := range pointer {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// operationIsPublic reports whether the spec exempts the operation from authentication (`security: []`).
func operationIsPublic(op *openapi3.Operation) bool {
	return op != nil && op.Security != nil && len(*op.Security) == 0
}

// requireOneJSONValue refuses an application/json body (in any case of the media type) that is not exactly
// one valid UTF-8 JSON value: decoders stop at the first value and would otherwise act on a body with trailing
// text, or replace invalid bytes silently.
func requireOneJSONValue(c echo.Context) error {
	req := c.Request()
	if req.Body == nil {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *echo.HTTPError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return &malformedError{detail: "the body could not be read"}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // kin-openapi reports the missing body
	}
	if !utf8.Valid(body) || !json.Valid(body) {
		return &malformedError{detail: "the body is not one valid JSON value in UTF-8"}
	}
	if hasLoneSurrogate(body) {
		return &malformedError{detail: "the body escapes a lone UTF-16 surrogate (\\ud800 to \\udfff), which is no character"}
	}
	return nil
}

// hasLoneSurrogate reports whether the valid JSON text body has a \u escape of a UTF-16 surrogate that is not
// half of a pair; encoding/json would read it as U+FFFD and so change the text silently.
func hasLoneSurrogate(body []byte) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' { // in valid JSON a backslash only starts an escape, inside a string
			continue
		}
		if body[i+1] != 'u' {
			i++ // a two-character escape, \\ included
			continue
		}
		r := hex4(body[i+2 : i+6])
		switch {
		case r >= 0xd800 && r <= 0xdbff: // high: a low one must follow
			if i+12 > len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
				return true
			}
			if lo := hex4(body[i+8 : i+12]); lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
}

// hex4 reads the four hexadecimal digits of a \u escape that json.Valid accepted.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
