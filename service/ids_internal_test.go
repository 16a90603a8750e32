package service

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestTimeOrderedIDs: IDs are version 7 UUIDs carrying the service clock's millisecond, so that IDs made later
// sort after earlier ones; IDs of one millisecond differ by their random bits.
func TestTimeOrderedIDs(t *testing.T) {
	at := time.Date(2026, 12, 6, 7, 30, 0, 123_000_000, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		now := at.Add(time.Duration(i/10) * time.Millisecond) // ten IDs a millisecond
		id := newTimeOrderedID(now)
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d, variant %v; want 7, RFC 4122", id, u.Version(), u.Variant())
		}
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != now.UnixMilli() {
			t.Fatalf("%s carries %v, want %v", id, time.Unix(sec, nsec).UTC(), now)
		}
		if seen[id] {
			t.Fatalf("%s made twice", id)
		}
		seen[id] = true
		if i%10 == 0 && id < prev {
			t.Errorf("%s of a later millisecond sorts before %s", id, prev)
		}
		prev = id
	}
}
