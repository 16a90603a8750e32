package service

import (
	"testing"
	"time"
)

// TestCollectedCSV: a header of every column, sorted; NULL empty; times in RFC 3339; bytes as text or base64;
// quotes and commas escaped; a cell a spreadsheet would run as a formula starts with an apostrophe.
func TestCollectedCSV(t *testing.T) {
	at := time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC)
	got, err := collectedCSV([]map[string]any{
		{"id": int64(1), "full_name": "Li, \"Wei\"", "phone": "+86 138", "note": nil, "at": at},
		{"id": int64(2), "full_name": "=HYPERLINK(\"x\")", "blob": []byte{0xff, 0x00}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "at,blob,full_name,id,note,phone\n" +
		"2026-09-15T10:00:00Z,,\"Li, \"\"Wei\"\"\",1,,'+86 138\n" +
		",/wA=,\"'=HYPERLINK(\"\"x\"\")\",2,,\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
