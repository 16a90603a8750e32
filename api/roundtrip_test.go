package api_test

import (
	"encoding/json"
	"testing"
)

// roundTrip is v as it looks after JSON encoding and decoding, to compare with decoded responses.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
