package service

import (
	"strings"
	"testing"
)

func TestPasswordHashes(t *testing.T) {
	a, b := hashPassword("correct horse battery staple"), hashPassword("correct horse battery staple")
	if a == b {
		t.Error("two hashes of one password are equal: no salt of their own")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Errorf("hash %q does not carry its parameters", a)
	}
	if !checkPassword(a, "correct horse battery staple") || !checkPassword(b, "correct horse battery staple") {
		t.Error("the right password is refused")
	}
	for _, bad := range []struct{ hash, pw string }{
		{a, "correct horse battery stapl"},
		{a, ""},
		{strings.Replace(a, "t=2", "t=3", 1), "correct horse battery staple"}, // other parameters, other hash
		{strings.Replace(a, "argon2id", "argon2i", 1), "correct horse battery staple"},
		{"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdA$aGFzaA", "x"}, // absurd memory is not attempted
		{"", "x"},
	} {
		if checkPassword(bad.hash, bad.pw) {
			t.Errorf("checkPassword(%q, %q) = true", bad.hash, bad.pw)
		}
	}
}

func TestCommonPasswords(t *testing.T) {
	if n := len(commonPasswords); n < 9900 {
		t.Errorf("%d common passwords loaded, want the list's 10,000", n)
	}
	for pw, want := range map[string]bool{
		"scandinavian": true, "Scandinavian": true, "password12345678": true, "qwerty!!!!!!!!": true,
		"qwertyqwertyqwerty": true, "aaaaaaaaaaaa": true, "abababababab": true,
		"correct horse battery staple": false, "violet kettle on the moor": false,
	} {
		if got := isCommonPassword(pw); got != want {
			t.Errorf("isCommonPassword(%q) = %v, want %v", pw, got, want)
		}
	}
}
