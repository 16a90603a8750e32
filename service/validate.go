package service

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a filing may carry. The API spec states the same maxima; the service is the authority.
const (
	maxNameLen        = 200
	maxEmailLen       = 254
	maxPhoneLen       = 32
	maxIDLen          = 200
	maxRelationLen    = 100
	maxShortTextLen   = 100
	maxValueLen       = 1000
	maxExplanationLen = 4000
	maxListLen        = 50
	maxURLLen         = 2000
)

// earliestReceipt bounds received_at below: no request predates the service's first calendar.
var earliestReceipt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// validateFiling checks a filing command against the contract's rules, naming every bad field.
func validateFiling(cmd *FileRequestCommand, a Actor, now time.Time) error {
	var f fieldErrors
	if !oneOf(cmd.Type, RequestTypes) {
		f.add("type", "must be one of access, rectification, deletion, consent_withdrawal, account_cancellation, portability")
	}
	if !oneOf(cmd.Channel, Channels) {
		f.add("channel", "must be one of web_form, email, phone, letter, in_person")
	}
	validateSubject(&f, &cmd.Subject)
	validateDetails(&f, cmd.Type, &cmd.Details, cmd.Subject.AccountID)
	if cmd.ReceivedAt != nil {
		switch {
		case a.Role != RoleOfficer && a.Role != RoleAdmin:
			f.add("received_at", "may be given only by officers and admins")
		case cmd.ReceivedAt.After(now):
			f.add("received_at", "must not be in the future")
		case cmd.ReceivedAt.Before(earliestReceipt):
			f.add("received_at", "must not be before 2000-01-01")
		}
	}
	text(&f, "external_id", cmd.ExternalID, maxIDLen, false)
	if cmd.Locale != "" && !oneOf(cmd.Locale, Locales) {
		f.add("locale", "must be one of en, zh-CN")
	}
	return f.err()
}

func validateSubject(f *fieldErrors, s *Subject) {
	text(f, "subject.name", s.Name, maxNameLen, true)
	if s.Email == "" && s.Phone == "" {
		f.add("subject.email", "email or phone is required")
	}
	email(f, "subject.email", s.Email)
	phone(f, "subject.phone", s.Phone)
	text(f, "subject.account_id", s.AccountID, maxIDLen, false)
	g := s.Guardian
	if g != nil && *g == (Guardian{}) {
		s.Guardian, g = nil, nil
	}
	switch {
	case s.IsMinor && g == nil:
		f.add("subject.guardian", "is required for a minor: name, email and relationship")
	case s.IsMinor:
		text(f, "subject.guardian.name", g.Name, maxNameLen, true)
		if g.Email == "" {
			f.add("subject.guardian.email", "is required")
		}
		email(f, "subject.guardian.email", g.Email)
		text(f, "subject.guardian.relationship", g.Relationship, maxRelationLen, true)
	case g != nil:
		f.add("subject.guardian", "is only for minors (is_minor true)")
	}
}

// validateDetails checks the fields of the request's type and refuses those of other types.
func validateDetails(f *fieldErrors, t RequestType, d *Details, subjectAccount string) {
	allowed := map[string]bool{}
	switch t {
	case TypeAccess:
		allowed["categories"] = true
		list(f, "details.categories", d.Categories, false)
	case TypeRectification:
		allowed["corrections"] = true
		if len(d.Corrections) == 0 {
			f.add("details.corrections", "at least one correction is required")
		} else if len(d.Corrections) > maxListLen {
			f.add("details.corrections", "at most %d corrections", maxListLen)
		}
		for i, c := range d.Corrections {
			p := "details.corrections[" + itoa(i) + "]"
			text(f, p+".field", c.Field, maxShortTextLen, true)
			text(f, p+".current_value", c.CurrentValue, maxValueLen, false)
			text(f, p+".corrected_value", c.CorrectedValue, maxValueLen, true)
		}
	case TypeDeletion:
		allowed["ground"], allowed["explanation"] = true, true
		if d.Ground == "" {
			f.add("details.ground", "is required for a deletion")
		} else if !oneOf(d.Ground, DeletionGrounds) {
			f.add("details.ground", "must be one of collected_without_consent, unlawful_processing, breach_of_agreement, no_longer_using_service, service_discontinued")
		}
		text(f, "details.explanation", d.Explanation, maxExplanationLen, false)
	case TypeConsentWithdrawal:
		allowed["purposes"] = true
		list(f, "details.purposes", d.Purposes, true)
	case TypeAccountCancellation:
		allowed["account_id"] = true
		if d.AccountID == "" && subjectAccount == "" {
			f.add("details.account_id", "is required here or in subject.account_id")
		}
		text(f, "details.account_id", d.AccountID, maxIDLen, false)
	case TypePortability:
		allowed["format"], allowed["recipient"] = true, true
		if d.Format != "json" && d.Format != "csv" {
			f.add("details.format", "must be json or csv")
		}
		if r := d.Recipient; r != nil {
			text(f, "details.recipient.name", r.Name, maxNameLen, false)
			httpsURL(f, "details.recipient.endpoint", r.Endpoint)
		}
	default:
		return // the type itself is reported
	}
	present := []struct {
		name string
		set  bool
	}{
		{"categories", d.Categories != nil}, {"corrections", d.Corrections != nil}, {"ground", d.Ground != ""},
		{"explanation", d.Explanation != ""}, {"purposes", d.Purposes != nil}, {"account_id", d.AccountID != ""},
		{"format", d.Format != ""}, {"recipient", d.Recipient != nil},
	}
	for _, p := range present {
		if p.set && !allowed[p.name] {
			f.add("details."+p.name, "does not apply to %s request", withArticle(string(t)))
		}
	}
}

// text checks a free-text field: required or not, length in characters, no control characters.
func text(f *fieldErrors, field, v string, max int, required bool) {
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case required && strings.TrimSpace(v) == "":
		f.add(field, "is required")
	case len([]rune(v)) > max:
		f.add(field, "must be at most %d characters", max)
	case hasControl(v, max >= maxValueLen):
		f.add(field, "must not contain control characters")
	}
}

func list(f *fieldErrors, field string, vs []string, required bool) {
	switch {
	case required && len(vs) == 0:
		f.add(field, "at least one is required")
	case len(vs) > maxListLen:
		f.add(field, "at most %d items", maxListLen)
	}
	for i, v := range vs {
		text(f, field+"["+itoa(i)+"]", v, maxShortTextLen, true)
	}
}

func phone(f *fieldErrors, field, v string) {
	if v == "" {
		return
	}
	digits := 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+ -().", r):
		default:
			f.add(field, "may contain only digits, spaces and + - ( ) .")
			return
		}
	}
	if digits < 5 || len(v) > maxPhoneLen {
		f.add(field, "must have at least 5 digits and at most %d characters", maxPhoneLen)
	}
}

func httpsURL(f *fieldErrors, field, v string) {
	if v == "" {
		f.add(field, "is required")
		return
	}
	u, err := url.Parse(v)
	switch {
	case len(v) > maxURLLen:
		f.add(field, "must be at most %d characters", maxURLLen)
	case err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "":
		f.add(field, "must be an absolute https URL")
	case u.User != nil:
		f.add(field, "must not carry credentials")
	}
}

// hasControl reports control characters; long free-text fields may hold line breaks and tabs.
func hasControl(v string, multiline bool) bool {
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return true
		}
	}
	return false
}

// hasFormatCharacter reports whether v holds an invisible formatting character (Unicode category Cf: the
// bidirectional controls U+202A to U+202E and U+2066 to U+2069, zero-width characters), or a line or paragraph
// separator, any of which can make a text show as something other than it is.
func hasFormatCharacter(v string) bool {
	for _, r := range v {
		if unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return true
		}
	}
	return false
}

func oneOf[T comparable](v T, set []T) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
