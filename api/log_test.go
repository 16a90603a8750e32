package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestLogsCarryNoPersonalData files and reads requests full of canary values and proves that none reaches the
// log, while the references that make the log useful do.
func TestLogsCarryNoPersonalData(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		canaries := []string{"CanaryName", "canary.mail@example.com", "+86 139 1234 5678", "canary-account",
			"CanaryGuardian", "guardian.canary@example.com", "CanaryExplanation", h.admin}
		body := deletion(func(b map[string]any) {
			b["subject"] = map[string]any{"name": canaries[0], "email": canaries[1], "phone": canaries[2],
				"account_id": canaries[3], "is_minor": true,
				"guardian": map[string]any{"name": canaries[4], "email": canaries[5], "relationship": "mother"}}
			b["details"] = map[string]any{"ground": "unlawful_processing", "explanation": canaries[6]}
		})
		created := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, body)
		if created.Status != http.StatusCreated {
			t.Fatalf("file: %d %s", created.Status, created.Body)
		}
		id := created.Map(t)["id"].(string)
		h.Do(t, http.MethodGet, "/api/v1/requests/"+id, h.admin, nil)
		h.Do(t, http.MethodGet, "/api/v1/requests?assignee=me", h.admin, nil)
		bad := deletion(func(b map[string]any) { b["subject"].(map[string]any)["email"] = canaries[0] + " not an address" })
		h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, bad)
		h.Do(t, http.MethodGet, "/api/v1/me", "wrong-"+canaries[1], nil)

		logs := h.logs.String()
		for _, c := range canaries {
			if strings.Contains(logs, c) {
				t.Errorf("log contains %q:\n%s", c, logs)
			}
		}
		for _, want := range []string{`"route":"/api/v1/requests/:id"`, `"status":201`, `"status":422`, `"status":401`, `"request_id":`, `"actor":"` + adminID(t, h) + `"`} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %s:\n%s", want, logs)
			}
		}
	})
}

func adminID(t *testing.T, h *harness) string {
	t.Helper()
	return h.Do(t, http.MethodGet, "/api/v1/me", h.admin, nil).Map(t)["user_id"].(string)
}
