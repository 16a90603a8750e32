package service

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	tests := []RequestCursor{
		{DueAt: time.Date(2026, 10, 12, 15, 59, 59, 0, time.UTC), ID: "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"},
		{DueAt: time.Date(2026, 10, 12, 15, 59, 59, 123456000, time.UTC), ID: "00000000-0000-0000-0000-000000000000"},
		{DueAt: time.Unix(0, 0).UTC(), ID: "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF"},
		{DueAt: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ID: "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"},
		{DueAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ID: "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"},
	}
	for _, want := range tests {
		s := encodeCursor(want)
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("cursor %q is not URL-safe", s)
		}
		got, err := decodeCursor(s)
		if err != nil {
			t.Errorf("decodeCursor(encodeCursor(%+v)): %v", want, err)
			continue
		}
		if !got.DueAt.Equal(want.DueAt) || got.ID != want.ID || got.DueAt.Location() != time.UTC {
			t.Errorf("round trip of %+v = %+v", want, got)
		}
	}
}

// A cursor keeps microseconds, what the databases keep.
func TestCursorTruncatesToMicroseconds(t *testing.T) {
	at := time.Date(2026, 10, 12, 15, 59, 59, 123456789, time.UTC)
	got, err := decodeCursor(encodeCursor(RequestCursor{DueAt: at, ID: "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Microsecond); !got.DueAt.Equal(want) {
		t.Errorf("due at = %s, want %s", got.DueAt, want)
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ name, cursor string }{
		{"empty", ""},
		{"not base64", "!!"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(`{"t":1,"i":"xy"}`))},
		{"standard alphabet", strings.ReplaceAll(b64(`{"t":1,"i":"~~~~>>>"}`), "-", "+")},
		{"not JSON", b64("t=1&i=x")},
		{"empty object", b64("{}")},
		{"no time", b64(`{"i":"x"}`)},
		{"no ID", b64(`{"t":1}`)},
		{"null time", b64(`{"t":null,"i":"x"}`)},
		{"time as string", b64(`{"t":"1","i":"x"}`)},
		{"fractional time", b64(`{"t":1.5,"i":"x"}`)},
		{"ID as number", b64(`{"t":1,"i":7}`)},
		{"ID over 64 bytes", b64(`{"t":1,"i":"` + strings.Repeat("x", 65) + `"}`)},
		{"array", b64(`[1,"x"]`)},
		{"over 200 characters", encodeCursor(RequestCursor{ID: strings.Repeat("x", 64)}) + strings.Repeat("A", 200)},
	}
	for _, tt := range tests {
		if got, err := decodeCursor(tt.cursor); err == nil {
			t.Errorf("%s: decodeCursor(%q) = %+v, want an error", tt.name, tt.cursor, got)
		}
	}
}

// FuzzDecodeCursor: decodeCursor never panics, and what it accepts re-encodes to a cursor decoding to the same
// position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(RequestCursor{DueAt: time.Date(2026, 10, 12, 15, 59, 59, 0, time.UTC),
		ID: "3f0b3c52-6a55-4b8e-9f5e-0c1d2e3f4a5b"}))
	f.Add("")
	f.Add("!!")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("{}")))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"t":-9223372036854775808,"i":"x","extra":true}`)))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		again, err := decodeCursor(encodeCursor(c))
		if err != nil {
			t.Fatalf("decodeCursor(%q) = %+v, whose encoding does not decode: %v", s, c, err)
		}
		if !again.DueAt.Equal(c.DueAt) || again.ID != c.ID {
			t.Fatalf("decodeCursor(%q) = %+v, re-encoded decodes to %+v", s, c, again)
		}
	})
}

func TestEventHash(t *testing.T) {
	base := func() *Event {
		return &Event{ID: "e1", Seq: 7, At: time.Date(2026, 9, 15, 2, 0, 0, 0, time.UTC), ActorID: "u1",
			Action: "request.read", RequestID: "r1", Data: map[string]string{"a": "1", "b": "2"},
			PrevHash: strings.Repeat("0", 64), Hash: "ignored"}
	}
	want := eventHash(base())
	if len(want) != 64 || strings.Trim(want, "0123456789abcdef") != "" {
		t.Fatalf("eventHash = %q, want 64 hex digits", want)
	}

	same := []struct {
		name string
		edit func(*Event)
	}{
		{"same instant in another zone", func(e *Event) { e.At = e.At.In(time.FixedZone("CST", 8*3600)) }},
		{"stored hash is not hashed", func(e *Event) { e.Hash = "other" }},
		{"data in another insertion order", func(e *Event) { e.Data = map[string]string{"b": "2", "a": "1"} }},
	}
	for _, tt := range same {
		e := base()
		tt.edit(e)
		if got := eventHash(e); got != want {
			t.Errorf("%s: hash changed to %s", tt.name, got)
		}
	}

	changed := []struct {
		name string
		edit func(*Event)
	}{
		{"ID", func(e *Event) { e.ID = "e2" }},
		{"seq", func(e *Event) { e.Seq = 8 }},
		{"time", func(e *Event) { e.At = e.At.Add(time.Microsecond) }},
		{"actor", func(e *Event) { e.ActorID = "u2" }},
		{"action", func(e *Event) { e.Action = "request.filed" }},
		{"request", func(e *Event) { e.RequestID = "" }},
		{"data value", func(e *Event) { e.Data["a"] = "2" }},
		{"data key", func(e *Event) { e.Data = map[string]string{"a": "1", "c": "2"} }},
		{"no data", func(e *Event) { e.Data = nil }},
		{"previous hash", func(e *Event) { e.PrevHash = strings.Repeat("1", 64) }},
		{"fields shifted between actor and action", func(e *Event) { e.ActorID, e.Action = "u1request.read", "" }},
	}
	for _, tt := range changed {
		e := base()
		tt.edit(e)
		if got := eventHash(e); got == want {
			t.Errorf("changing the %s left the hash unchanged", tt.name)
		}
	}
}

func TestAuthorize(t *testing.T) {
	want := map[Role][]permission{
		RoleAdmin:       {permFileRequest, permReadRequests, permReadReference, permLoadCalendar, permManageUsers},
		RoleOfficer:     {permFileRequest, permReadRequests, permReadReference},
		RoleAuditor:     {permReadRequests, permReadReference},
		RoleIntake:      {permFileRequest},
		RoleIntegration: {},
		"":              {},
		"root":          {},
	}
	all := []permission{permFileRequest, permReadRequests, permReadReference, permLoadCalendar, permManageUsers}
	for role, granted := range want {
		for _, p := range all {
			err := authorize(Actor{UserID: "u", Role: role}, p)
			allowed := false
			for _, g := range granted {
				allowed = allowed || g == p
			}
			switch {
			case allowed && err != nil:
				t.Errorf("role %q may not %s: %v", role, p, err)
			case !allowed && ErrorCode(err) != EFORBIDDEN:
				t.Errorf("role %q %s: error %v, want %s", role, p, err, EFORBIDDEN)
			}
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	invalid := Invalid(FieldError{"details.ground", "is required"}, FieldError{"subject.name", "is required"})
	wrapped := fmt.Errorf("file request: %w", invalid)
	plain := errors.New("pq: connection refused at 10.0.0.7")
	tests := []struct {
		name    string
		err     error
		code    string
		message string
		fields  int
	}{
		{"nil", nil, "", "internal error", 0},
		{"invalid", invalid, EINVALID, invalid.Message, 2},
		{"wrapped invalid", wrapped, EINVALID, invalid.Message, 2},
		{"not found", Errorf(ENOTFOUND, "no request %s", "r1"), ENOTFOUND, "no request r1", 0},
		{"internal is never described", Errorf(EINTERNAL, "secret detail"), EINTERNAL, "internal error", 0},
		{"driver error", plain, EINTERNAL, "internal error", 0},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("%s: ErrorCode = %q, want %q", tt.name, got, tt.code)
		}
		if got := ErrorMessage(tt.err); got != tt.message {
			t.Errorf("%s: ErrorMessage = %q, want %q", tt.name, got, tt.message)
		}
		if got := len(ErrorFields(tt.err)); got != tt.fields {
			t.Errorf("%s: %d fields, want %d", tt.name, got, tt.fields)
		}
	}
	if got, want := invalid.Error(), "invalid: the request breaks a rule; see errors (details.ground: is required)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
