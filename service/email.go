package service

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of an address's parts (RFC 5321 4.5.3.1).
const (
	maxLocalPartLen = 64
	maxLabelLen     = 63
)

// email checks an e-mail address as a person types it: local@domain.tld, the domain in ASCII, punycode or
// Unicode (user@例子.中国), the local part in UTF-8 too. Refused, each with its own message: control, format and
// line or paragraph separator characters (U+2028 hides a second line in a log or a header), IP literals
// (a@[127.0.0.1] addresses a host, not a mailbox), MIME encoded words (=?utf-8?...?=, which mail software
// decodes into other text), quoted local parts and display names.
func email(f *fieldErrors, field, v string) {
	if v == "" {
		return
	}
	if !utf8.ValidString(v) || len(v) > maxEmailLen {
		f.add(field, "must be at most %d characters", maxEmailLen)
		return
	}
	if msg := emailProblem(v); msg != "" {
		f.add(field, "%s", msg)
	}
}

// emailProblem says what is wrong with the address v, or "" when nothing is.
func emailProblem(v string) string {
	const plain = "must be a plain e-mail address such as name@example.com"
	for _, r := range v {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs) ||
			r == utf8.RuneError {
			return "must not contain control, formatting or line separator characters"
		}
		if unicode.IsSpace(r) {
			return "must not contain spaces"
		}
	}
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return plain
	}
	local, domain := v[:at], v[at+1:]
	switch {
	case strings.Contains(local, "=?"):
		return "must not be MIME-encoded (=?...?=); give the address as it is written"
	case strings.HasPrefix(domain, "[") || strings.HasSuffix(domain, "]"):
		return "must name a mail domain, not an IP address"
	case !validLocalPart(local):
		return plain
	}
	if msg := domainProblem(domain); msg != "" {
		return msg
	}
	// The mail library must read it as the same plain address, or the outbox could not send to it.
	if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v || addr.Name != "" {
		return plain
	}
	return ""
}

// validLocalPart accepts a dot-atom (RFC 5322 3.2.3) whose characters are ASCII atext or, as RFC 6532 allows,
// letters, marks and digits of any script.
func validLocalPart(local string) bool {
	if local == "" || len(local) > maxLocalPartLen || strings.HasPrefix(local, ".") ||
		strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r < utf8.RuneSelf && (isASCIIAlnum(r) || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)):
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}

// domainProblem checks a domain of at least two labels, each of letters (any script), digits and inner
// hyphens, the last not all digits (so that no IP address passes as a domain).
func domainProblem(domain string) string {
	const msg = "must end in a mail domain such as example.com"
	labels := strings.Split(strings.TrimSuffix(domain, "."), ".")
	if len(labels) < 2 {
		return msg
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return msg
		}
		for _, r := range l {
			if !(isASCIIAlnum(r) || r == '-' ||
				r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))) {
				return msg
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "must name a mail domain, not an IP address"
	}
	return ""
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
