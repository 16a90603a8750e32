package console

import (
	"regexp"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// numberRe finds the indexes of a field path (corrections[0], details.corrections.0).
var numberRe = regexp.MustCompile(`\.\d+|\[\d+\]`)

// fieldMessages puts a refusal's fields into the page's language, by field (after rename, if given): the
// field's own message, prefix + ".error." + the field without its indexes, when the catalogue has one; a
// message the page itself gave as a catalogue key; else prefix + ".error.invalid" carrying the service's words.
// A refusal that names no field is under "". The same for the work pages (prefix "work") and the admin pages
// ("admin").
func fieldMessages(l *web.Localizer, cat *web.Catalogue, err error, prefix string, rename func(string) string) map[string]string {
	out := map[string]string{}
	fields := service.ErrorFields(err)
	if len(fields) == 0 {
		out[""] = l.T(prefix+".error.invalid", "Detail", service.ErrorMessage(err))
		return out
	}
	for _, fe := range fields {
		field := fe.Field
		if rename != nil {
			field = rename(field)
		}
		if _, seen := out[field]; seen {
			continue
		}
		key := prefix + ".error." + strings.Trim(numberRe.ReplaceAllString(field, ""), ".")
		switch {
		case field != "" && cat.Has(key):
			out[field] = l.T(key)
		case cat.Has(fe.Message):
			out[field] = l.T(fe.Message)
		default:
			out[field] = l.T(prefix+".error.invalid", "Detail", fe.Message)
		}
	}
	return out
}
