package service

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes: every error the service returns carries one, and the API maps each to one HTTP status.
const (
	EINVALID      = "invalid"      // valid syntax that breaks a rule; Fields names what
	ENOTFOUND     = "not_found"    // no such thing, or not one the caller may see
	ECONFLICT     = "conflict"     // the change conflicts with the current state
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) cannot be reached
	ETOOMANY      = "too_many"     // a rate or cap was reached; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure; its detail is logged, never shown
)

// Error is the service's error: a code for the adapter, a message safe to show a caller, and for EINVALID the
// fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Limit names, for ETOOMANY, the limit that was reached (LimitSubject); RetryAfter is the real wait until
	// one more would be accepted.
	Limit      string
	RetryAfter time.Duration
}

// LimitSubject is the per-subject cap on filings through intake tokens (web forms).
const LimitSubject = "subject"

// FieldError names one invalid field by its path in the request, e.g. "details.ground".
type FieldError struct {
	Field   string
	Message string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Message)
}

// Errorf returns an *Error with the code and a formatted, caller-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the fields at fault.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: "the request breaks a rule; see errors", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error, "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the caller-safe message of err; internal errors are never described.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the invalid fields carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// fieldErrors collects field errors while validating a command.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}

// Forbidden is the EFORBIDDEN answer to a caller of role whose role is not among allowed: it names the roles that
// may, in words ("only an officer or an admin may do this; this is an intake token").
func Forbidden(role Role, allowed []Role) *Error {
	names := make([]string, len(allowed))
	for i, r := range allowed {
		names[i] = withArticle(string(r))
	}
	who := "nobody"
	switch n := len(names); {
	case n == 1:
		who = "only " + names[0]
	case n > 1:
		who = "only " + strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	return Errorf(EFORBIDDEN, "%s may do this; this is %s token", who, withArticle(string(role)))
}

// withArticle puts "a" or "an" before a word, by its first letter: "an access request", "an intake token",
// "a deletion request". Enough for the English words and codes of this service.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
