package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// A request an older version filed (no phone index) is found by its subject's phone once the program has started
// again: the start indexes it, says so in the log without the number, and the next start has nothing to do.
func TestPhonesOfOlderRequestsAreIndexedAtStart(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			vars := map[string]string{"RIGHTSDESK_DB": db.DSN, "RIGHTSDESK_ENCRYPTION_KEY": testKey}
			p := start(t, vars)
			m := adminTokenLine.FindStringSubmatch(p.out.String())
			if m == nil {
				t.Fatalf("no admin token printed:\n%s", p.out)
			}
			admin := m[1]
			c := apitest.New(t, p.url)
			res := c.Do(t, http.MethodPost, "/api/v1/requests", admin, map[string]any{
				"type": "access", "channel": "letter",
				"subject": map[string]any{"name": "Li Wei", "email": "li.wei@example.com", "phone": "+86 138 0013 8000"},
			})
			if res.Status != http.StatusCreated {
				t.Fatalf("file: %d %s", res.Status, res.Body)
			}
			id := res.Map(t)["id"].(string)
			p.stop(t)

			raw := storetest.Raw(t, db)
			if _, err := raw.ExecContext(t.Context(), "UPDATE requests SET phone_index = NULL"); err != nil {
				t.Fatal(err)
			}

			p2 := start(t, vars)
			if !strings.Contains(p2.out.String(), "indexed the phones of requests an older version filed") {
				t.Errorf("the start does not say it indexed phones:\n%s", p2.out)
			}
			if strings.Contains(p2.out.String(), "0013") {
				t.Errorf("the log holds the phone number:\n%s", p2.out)
			}
			c2 := apitest.New(t, p2.url)
			res = c2.Do(t, http.MethodGet, "/api/v1/requests?subject_phone="+url.QueryEscape("8613800138000"), admin, nil)
			items, _ := res.Map(t)["items"].([]any)
			if res.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != id {
				t.Errorf("found by phone after the restart: %d %s, want %s", res.Status, res.Body, id)
			}
			p2.stop(t)

			p3 := start(t, vars)
			if strings.Contains(p3.out.String(), "indexed the phones") {
				t.Errorf("a third start indexed phones again:\n%s", p3.out)
			}
		})
	}
}
