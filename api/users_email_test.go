package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUserEmailUnique: two users never share an e-mail address, whatever its case: the second is a 409 that
// names the user who has it, and nothing is written.
func TestUserEmailUnique(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		first := h.Do(t, http.MethodPost, "/api/v1/users", h.admin,
			map[string]any{"name": "Olivia Chen", "email": "olivia@example.com", "role": "officer"})
		if first.Status != http.StatusCreated {
			t.Fatalf("first user: %d %s", first.Status, first.Body)
		}
		id := first.Map(t)["id"].(string)
		count := func() int { return len(h.Do(t, http.MethodGet, "/api/v1/users", h.admin, nil).Map(t)["items"].([]any)) }
		n := count()
		for _, email := range []string{"olivia@example.com", "Olivia@Example.COM"} {
			res := h.Do(t, http.MethodPost, "/api/v1/users", h.admin,
				map[string]any{"name": "Olivia C.", "email": email, "role": "auditor"})
			if res.Status != http.StatusConflict || !strings.Contains(string(res.Body), id) {
				t.Errorf("second user with %s: %d %s, want 409 naming %s", email, res.Status, res.Body, id)
			}
		}
		if got := count(); got != n {
			t.Errorf("%d users after refused duplicates, want %d", got, n)
		}
		// Users without an e-mail address are not duplicates of each other.
		for range 2 {
			if res := h.Do(t, http.MethodPost, "/api/v1/users", h.admin, map[string]any{"name": "reports", "role": "auditor"}); res.Status != http.StatusCreated {
				t.Errorf("user without e-mail: %d %s", res.Status, res.Body)
			}
		}
	})
}
