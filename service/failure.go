package service

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxFailureText bounds a delivery failure's stored text: a server's reply can be long, and an operator needs
// its code and first words, not pages.
const maxFailureText = 1000

// addressPattern finds what looks like an e-mail address inside free text, such as an SMTP server's reply
// ("<li.wei@example.com>: Recipient address rejected"): anything around an @ up to a space or a delimiter.
var addressPattern = regexp.MustCompile(`[^\s<>()\[\]{}"',;:@]+@[^\s<>()\[\]{}"',;:@]+`)

// MaskAddress keeps an address recognisable to its owner without showing it: l***@example.com.
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// MaskAddresses masks every e-mail address in text (see MaskAddress).
func MaskAddresses(text string) string {
	return addressPattern.ReplaceAllStringFunc(text, MaskAddress)
}

// failureText is what is kept of a delivery failure (mail or transmission): its text, which carries the server's
// reply code, with addresses masked and its length bounded. It is sealed at rest all the same: a server may
// quote other personal data, and a transmission's error names the recipient's host.
func failureText(err error) string {
	text := MaskAddresses(err.Error())
	if len(text) <= maxFailureText {
		return text
	}
	cut := maxFailureText
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
