package console

import (
	"errors"
	"net/url"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
)

// fieldMessage is the service's message about one field of an EINVALID error; "" when it names none.
func fieldMessage(err error, field string) string {
	var e *service.Error
	if !errors.As(err, &e) || e.Code != service.EINVALID {
		return ""
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// passwordErrorKey is the catalogue's words for what the service found wrong with a new password.
func passwordErrorKey(msg string) string {
	switch {
	case strings.Contains(msg, "at least"):
		return "password.too_short"
	case strings.Contains(msg, "at most"):
		return "password.too_long"
	case strings.Contains(msg, "most often"):
		return "password.common"
	}
	return "password.invalid"
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
