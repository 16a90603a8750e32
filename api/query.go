package api

import (
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// queryParams is what an operation's query string may hold: each declared name, and whether it may repeat.
type queryParams map[string]bool

// maxParamNameLen bounds the undeclared name an error repeats back from a query string.
const maxParamNameLen = 40

// strictQuery refuses a query string the operation does not declare, which Go's URL parsing, kin-openapi and
// the generated binder would each pass over silently: a parameter the spec does not list, one given twice
// that takes one value, and text that is not valid URL encoding (`%` not followed by two hex digits, `;`).
// Each is a 422 naming the parameter. The spec's parameters are the one list.
func strictQuery(doc *openapi3.T) echo.MiddlewareFunc {
	declared := map[*openapi3.Operation]queryParams{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			params := queryParams{}
			for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, ref := range list {
					p := ref.Value
					if p == nil || p.In != openapi3.ParameterInQuery {
						continue
					}
					params[p.Name] = p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(openapi3.TypeArray)
				}
			}
			declared[op] = params
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			_, _, op := specOperation(doc, c)
			if op == nil || c.Request().URL.RawQuery == "" {
				return next(c)
			}
			if fields := queryProblems(c.Request().URL.RawQuery, declared[op]); len(fields) > 0 {
				return service.Invalid(fields...)
			}
			return next(c)
		}
	}
}

// queryProblems names each parameter of the raw query string that params does not allow, once. A name the
// spec does not declare is named back only when it has the shape of a parameter name (lowercase letters,
// digits and _, as every declared one); anything else (markup, a path, personal data) is "query", so that a
// problem never reflects arbitrary input.
func queryProblems(raw string, params queryParams) []service.FieldError {
	seen := map[string]int{}
	problems := map[string]string{}
	var order []string
	add := func(name, msg string) {
		if _, ok := params[name]; !ok && !parameterShaped(name) {
			name = "query"
		}
		if _, ok := problems[name]; !ok {
			order = append(order, name)
			problems[name] = msg
		}
	}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		switch {
		case err != nil || strings.Contains(rawName, ";"):
			add(rawName, "holds text that is not valid URL encoding (a % starts %XX; a ; separates nothing)")
			continue
		case name == "":
			add("query", "has a value without a parameter name")
			continue
		}
		if _, err := url.QueryUnescape(rawValue); err != nil || strings.Contains(rawValue, ";") {
			add(name, "is not valid URL encoding (a % starts %XX, e.g. %40 for @; a ; must be %3B)")
			continue
		}
		multi, ok := params[name]
		switch {
		case !ok:
			add(name, "is not a parameter of this operation")
		case !multi && seen[name] > 0:
			add(name, "is given more than once; it takes one value")
		}
		seen[name]++
	}
	sort.Strings(order)
	out := make([]service.FieldError, 0, len(order))
	for _, name := range order {
		out = append(out, service.FieldError{Field: name, Message: problems[name]})
	}
	return out
}

// parameterShaped reports whether s looks like a parameter name: 1 to maxParamNameLen lowercase letters,
// digits and underscores, starting with a letter.
func parameterShaped(s string) bool {
	if s == "" || len(s) > maxParamNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
