package service

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed" // the common passwords
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id (RFC 9106), each with a salt of its own; the parameters are stored with
// the hash (a PHC string), so that they can be raised later without invalidating older hashes.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// passwordParams are the parameters of new hashes: 64 MiB, 2 passes, 2 lanes (about 100 ms on one core of a
// small server), above OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
var passwordParams = argonParams{memory: 64 * 1024, time: 2, threads: 2}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 12
	// maxPasswordLen bounds what is hashed (bytes), so that nobody can make the server hash megabytes.
	maxPasswordLen = 256
)

//go:embed passwords/common.txt
var commonPasswordsText []byte

// commonPasswords is the list of passwords people choose most often (passwords/README.md), lowercased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// passwordProblem says what is wrong with a new password, "" when nothing is.
func passwordProblem(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case len(pw) > maxPasswordLen:
		return fmt.Sprintf("must be at most %d bytes", maxPasswordLen)
	case hasControl(pw, false):
		return "must not contain control characters"
	case isCommonPassword(pw):
		return "is one of the passwords people use most often, or made of one; choose another"
	}
	return ""
}

// isCommonPassword reports whether a password is on the list of common passwords, without case, or made of
// one: a common password with digits or punctuation added at the end (password12345678), or repeated
// (qwertyqwertyqwerty). The list's entries are mostly shorter than the 12 characters asked for; these are how
// people stretch them.
func isCommonPassword(pw string) bool {
	pw = strings.ToLower(pw)
	if commonPasswords[pw] {
		return true
	}
	if stem := strings.TrimRightFunc(pw, func(r rune) bool { return !unicode.IsLetter(r) }); len(stem) >= 3 &&
		stem != pw && commonPasswords[stem] {
		return true
	}
	for k := 1; k <= len(pw)/2; k++ {
		if len(pw)%k == 0 && strings.Repeat(pw[:k], len(pw)/k) == pw && (k <= 4 || commonPasswords[pw[:k]]) {
			return true
		}
	}
	return false
}

// hashPassword answers the PHC string of a password's argon2id hash with a fresh salt.
func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	p := passwordParams
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether pw matches a PHC string hashPassword made; false for a malformed one.
func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(pw) > maxPasswordLen {
		return false
	}
	var version int
	var p argonParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil ||
		p.memory == 0 || p.memory > 1<<20 || p.time == 0 || p.time > 16 || p.threads == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when no user has the address given, so that a failed sign-in takes as long
// whether or not the address is known.
var dummyHash = sync.OnceValue(func() string { return hashPassword("rightsdesk: no such user, no such password") })
