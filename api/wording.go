package api

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Examples of the string formats of openapi.yaml, so that a format error says in words what is expected instead
// of printing the regular expression kin-openapi checks it with.
var formatExamples = map[string]string{
	"uuid":      "an ID such as 1f0e6c2a-8b3d-4e5f-9a7b-2c4d6e8f0a1b",
	"date":      "a date such as 2026-09-15",
	"date-time": "a date and time with its offset from UTC, such as 2026-09-15T10:00:00+08:00",
	"int64":     "a whole number",
	"double":    "a number",
}

// typeWords names a JSON Schema type for a person.
var typeWords = map[string]string{
	"string":  "text",
	"integer": "a whole number",
	"number":  "a number",
	"boolean": "true or false",
	"object":  "an object",
	"array":   "a list",
}

// schemaMessage says what a value that broke its schema should have been, in words: never kin-openapi's
// regular expressions or Go type names.
func schemaMessage(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.Reason
	}
	switch se.SchemaField {
	case "pattern":
		if _, ok := formatExamples[s.Format]; !ok {
			return "does not have the expected form"
		}
		return "must be " + expected(openapi3.NewSchemaRef("", s))
	case "format", "type":
		return "must be " + expected(openapi3.NewSchemaRef("", s))
	case "enum":
		var vs []string
		for _, v := range s.Enum {
			vs = append(vs, fmt.Sprint(v))
		}
		return "must be one of " + strings.Join(vs, ", ")
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters", *s.MaxLength)
		}
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters", s.MinLength)
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("must be at most %v", *s.Max)
		}
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf("must be at least %v", *s.Min)
		}
	case "maxItems":
		if s.MaxItems != nil {
			return fmt.Sprintf("must have at most %d items", *s.MaxItems)
		}
	case "minItems":
		if s.MinItems == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "nullable":
		return "must not be null"
	}
	return se.Reason
}

// expected describes the value a schema accepts: "a date such as 2026-09-15", "a whole number".
func expected(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return "of another type or format"
	}
	s := ref.Value
	if ex, ok := formatExamples[s.Format]; ok && s.Type.Includes(openapi3.TypeString) {
		return ex
	}
	if s.Type != nil && len(*s.Type) == 1 {
		t := (*s.Type)[0]
		switch {
		case t == openapi3.TypeInteger && s.Min != nil && s.Max != nil:
			return fmt.Sprintf("a whole number from %v to %v", *s.Min, *s.Max)
		case t == openapi3.TypeInteger && s.Min != nil:
			return fmt.Sprintf("a whole number, at least %v", *s.Min)
		}
		if w, ok := typeWords[t]; ok {
			return w
		}
	}
	return "of another type or format"
}
