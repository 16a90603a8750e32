package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFilingBodyShape: a filing's body is read once, its shape checked as it is read: an unknown member, a value
// of another JSON type, null where the contract has no null, a missing required member, a date-time that is not
// one, each refused with 422 naming the field and saying what it must be; the values themselves (enums, lengths,
// the locale) by the service. Nothing is filed.
func TestFilingBodyShape(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		subject := func(b map[string]any) map[string]any { return b["subject"].(map[string]any) }
		details := func(b map[string]any) map[string]any { return b["details"].(map[string]any) }
		cases := []struct {
			name string
			edit func(map[string]any)
			want map[string]string // field: a part of its message
		}{
			{"unknown nested member", func(b map[string]any) { subject(b)["nickname"] = "Wei" },
				map[string]string{"subject.nickname": "is not a known field"}},
			{"unknown member of a list item", func(b map[string]any) {
				b["type"], b["details"] = "rectification", map[string]any{
					"corrections": []any{map[string]any{"field": "phone", "corrected_value": "1", "why": "moved"}}}
			}, map[string]string{"details.corrections[0].why": "is not a known field"}},
			{"number for text", func(b map[string]any) { subject(b)["name"] = 42 },
				map[string]string{"subject.name": "must be text"}},
			{"text for a boolean", func(b map[string]any) { subject(b)["is_minor"] = "no" },
				map[string]string{"subject.is_minor": "must be true or false"}},
			{"object for a list", func(b map[string]any) {
				b["type"], b["details"] = "access", map[string]any{"categories": map[string]any{}}
			},
				map[string]string{"details.categories": "must be a list"}},
			{"text for an object", func(b map[string]any) { b["subject"] = "Li Wei" },
				map[string]string{"subject": "must be an object"}},
			{"null name", func(b map[string]any) { subject(b)["name"] = nil },
				map[string]string{"subject.name": "must be text"}},
			{"null details", func(b map[string]any) { b["details"] = nil },
				map[string]string{"details": "must be an object"}},
			{"missing type and channel", func(b map[string]any) { delete(b, "type"); delete(b, "channel") },
				map[string]string{"type": "is required", "channel": "is required"}},
			{"received_at not a date-time", func(b map[string]any) { b["received_at"] = "yesterday" },
				map[string]string{"received_at": "a date and time"}},
			{"list item of another type", func(b map[string]any) {
				b["type"], b["details"] = "consent_withdrawal", map[string]any{"purposes": []any{"marketing", 7}}
			}, map[string]string{"details.purposes[1]": "must be text"}},
			{"unknown type (the service)", func(b map[string]any) { b["type"] = "erasure" },
				map[string]string{"type": "must be one of"}},
			{"empty enums", func(b map[string]any) { b["locale"], b["channel"], details(b)["format"] = "", "", "" },
				map[string]string{"locale": "must not be empty", "channel": "must not be empty", "details.format": "must not be empty"}},
			{"unknown locale (the service)", func(b map[string]any) { b["locale"] = "fr" },
				map[string]string{"locale": "must be one of en, zh-CN"}},
			{"name too long (the service)", func(b map[string]any) { subject(b)["name"] = strings.Repeat("李", 201) },
				map[string]string{"subject.name": "at most 200 characters"}},
			{"explanation of another type", func(b map[string]any) { details(b)["explanation"] = []any{"a"} },
				map[string]string{"details.explanation": "must be text"}},
		}
		for _, c := range cases {
			res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, deletion(c.edit))
			if res.Status != http.StatusUnprocessableEntity || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %q, want a 422 problem: %s", c.name, res.Status, res.Header.Get("Content-Type"), res.Body)
				continue
			}
			got := map[string]string{}
			for _, e := range res.Map(t)["errors"].([]any) {
				fe := e.(map[string]any)
				got[fe["field"].(string)] = fe["message"].(string)
			}
			var fields, want []string
			for f, part := range c.want {
				want = append(want, f)
				if !strings.Contains(got[f], part) {
					t.Errorf("%s: %s says %q, want it to say %q", c.name, f, got[f], part)
				}
			}
			for f := range got {
				fields = append(fields, f)
			}
			if diff := cmp.Diff(sorted(want...), sorted(fields...)); diff != "" {
				t.Errorf("%s: fields (-want +got):\n%s", c.name, diff)
			}
		}
		if res := h.Do(t, http.MethodGet, "/api/v1/requests", h.admin, nil); len(res.Map(t)["items"].([]any)) != 0 {
			t.Errorf("a refused filing filed something: %s", res.Body)
		}
	})
}
