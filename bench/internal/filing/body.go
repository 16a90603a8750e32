// Package filing makes the bodies of filings that bench load tools send.
package filing

import (
	"encoding/json"
	"fmt"
)

// Body is a valid filing of one of the six types, as README.md shows them, for a subject of its own.
func Body(worker, seq int) string {
	types := []struct {
		typ     string
		details map[string]any
	}{
		{"access", map[string]any{"categories": []string{"chat_history"}}},
		{"rectification", map[string]any{"corrections": []map[string]string{{"field": "phone",
			"current_value": "+86 138 0000 0000", "corrected_value": "+86 139 0000 0000"}}}},
		{"deletion", map[string]any{"ground": "no_longer_using_service"}},
		{"consent_withdrawal", map[string]any{"purposes": []string{"marketing"}}},
		{"account_cancellation", map[string]any{"account_id": fmt.Sprintf("acct-%d-%d", worker, seq)}},
		{"portability", map[string]any{"format": "json"}},
	}
	channels := []string{"web_form", "email", "phone", "letter", "in_person"}
	t := types[seq%len(types)]
	b, _ := json.Marshal(map[string]any{
		"type": t.typ,
		"subject": map[string]string{
			"name":       fmt.Sprintf("Load Subject %d-%d", worker, seq),
			"email":      fmt.Sprintf("load-%d-%d@example.com", worker, seq),
			"account_id": fmt.Sprintf("acct-%d-%d", worker, seq),
		},
		"details": t.details,
		"channel": channels[seq%len(channels)],
	})
	return string(b)
}
