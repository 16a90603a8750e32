package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/oapi-codegen/runtime"

	"github.com/rightsdesk/rightsdesk/service"
)

// The filing's body is checked once. Everywhere else kin-openapi validates a body against its schema before the
// handler, and the service then checks what it is given; for a filing, the busiest call, that checked each
// value twice. Here the body's shape is checked as it is read, against the generated types the spec defines
// (members, types, presence, null, date-time), and every value, once, by the service's validateFiling, which
// the console and the privacy center file through too (its limits are the spec's).

// filingOperation is the operation whose body filingHandler reads instead of kin-openapi.
const filingOperation = "createRequest"

// filingHandler serves createRequest with the body read by readFiling and the rest as generated.
type filingHandler struct {
	ServerInterface
	srv StrictServerInterface
}

func (h filingHandler) CreateRequest(c echo.Context, params CreateRequestParams) error {
	body, err := readFiling(c.Request())
	if err != nil {
		return err
	}
	res, err := h.srv.CreateRequest(c.Request().Context(), CreateRequestRequestObject{Params: params, Body: body})
	if err != nil {
		return err
	}
	return res.VisitCreateRequestResponse(c.Response())
}

// readFiling reads a filing's body (its Content-Type and JSON checked by the middleware before): one parse,
// one walk over the parsed value that names every member of the wrong shape, then a bind into the generated
// type without parsing again.
func readFiling(req *http.Request) (*NewRequest, error) {
	if mt, _, _ := mediaType(req); mt != echo.MIMEApplicationJSON {
		return nil, &malformedError{detail: "the body must be application/json"}
	}
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, &malformedError{detail: "the body could not be read"}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &malformedError{detail: "a JSON body is required"}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &malformedError{detail: "the body is not valid JSON"}
	}
	var fields []service.FieldError
	checkShape(v, reflect.TypeFor[NewRequest](), "", &fields)
	if len(fields) > 0 {
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
		return nil, service.Invalid(fields...)
	}
	var body NewRequest
	if err := runtime.BindJSONValue(v, &body); err != nil {
		return nil, service.Invalid(service.FieldError{Field: "body", Message: "is invalid"})
	}
	return &body, nil
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	stringType = reflect.TypeFor[string]()
)

// checkShape adds to fields every member of v, at path, that t does not have, that is missing though t
// requires it (a member without omitempty), or whose value is null or of another JSON type than t's, or empty
// where t is an enum.
func checkShape(v any, t reflect.Type, path string, fields *[]service.FieldError) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	field := path
	if field == "" {
		field = "body"
	}
	wrong := func(what string) {
		*fields = append(*fields, service.FieldError{Field: field, Message: "must be " + what})
	}
	if v == nil {
		wrong(shapeWords(t))
		return
	}
	switch {
	case t == timeType:
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			wrong(shapeWords(t))
		}
	case t.Kind() == reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			wrong(shapeWords(t))
			return
		}
		known := map[string]bool{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			known[name] = true
			member, present := obj[name]
			switch {
			case present:
				checkShape(member, f.Type, join(path, name), fields)
			case !strings.Contains(opts, "omitempty"):
				*fields = append(*fields, service.FieldError{Field: join(path, name), Message: "is required"})
			}
		}
		for name := range obj {
			if !known[name] {
				*fields = append(*fields, service.FieldError{Field: join(path, name), Message: "is not a known field"})
			}
		}
	case t.Kind() == reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			wrong(shapeWords(t))
			return
		}
		for i, item := range items {
			checkShape(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", fields)
		}
	case t.Kind() == reflect.String:
		s, ok := v.(string)
		switch {
		case !ok:
			wrong(shapeWords(t))
		case s == "" && t != stringType:
			// A named string type is one of the contract's enums (type, channel, locale, details.ground,
			// details.format), none of which lists "". The service reads "" as not given; present, it is wrong.
			*fields = append(*fields, service.FieldError{Field: field, Message: "must not be empty"})
		}
	case t.Kind() == reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong(shapeWords(t))
		}
	default:
		wrong(shapeWords(t)) // no other kind is in a filing
	}
}

// shapeWords names the JSON a Go type of a filing is read from, for a person.
func shapeWords(t reflect.Type) string {
	switch {
	case t == timeType:
		return formatExamples["date-time"]
	case t.Kind() == reflect.Struct:
		return typeWords["object"]
	case t.Kind() == reflect.Slice:
		return typeWords["array"]
	case t.Kind() == reflect.Bool:
		return typeWords["boolean"]
	case t.Kind() == reflect.String:
		return typeWords["string"]
	}
	return "of another type"
}
