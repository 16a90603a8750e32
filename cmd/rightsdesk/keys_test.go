package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

const (
	keyA = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=" // 32 x 'A'
	keyB = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=" // 32 x 'B'
)

// TestPersonalDataIsSealedAndRotates files a request, proves its subject's data is nowhere in the database file
// in clear, rotates to a new key online, and reads it back with only the new key.
func TestPersonalDataIsSealedAndRotates(t *testing.T) {
	db := storetest.SQLite(t).DSN
	admin := "bootstrap-secret-for-tests-0123456789"
	canary := "canary.subject@example.com"
	vars := map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_BOOTSTRAP_TOKEN": admin, "RIGHTSDESK_ENCRYPTION_KEY": keyA,
		"RIGHTSDESK_SCHEDULER": "off"}
	p := start(t, vars)
	c := apitest.New(t, p.url)
	res := c.Do(t, http.MethodPost, "/api/v1/requests", admin, map[string]any{
		"type": "deletion", "channel": "email", "details": map[string]any{"ground": "unlawful_processing", "explanation": "CanaryExplanation"},
		"subject": map[string]any{"name": "Canary Name", "email": canary, "phone": "+86 139 5555 0000"},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("file: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	p.stop(t)

	for _, f := range []string{db, db + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, clear := range []string{canary, "Canary Name", "CanaryExplanation", "5555"} {
			if bytes.Contains(raw, []byte(clear)) {
				t.Errorf("%s holds %q in clear", f, clear)
			}
		}
	}

	// Rotate: key B is current, A still opens; afterwards B alone suffices.
	vars["RIGHTSDESK_ENCRYPTION_KEY"], vars["RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS"] = keyB, keyA
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "rotate"}, env(vars), &out); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	if !strings.Contains(out.String(), "re-sealed") {
		t.Errorf("rotate printed %q", out.String())
	}
	delete(vars, "RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS")
	p2 := start(t, vars)
	got := apitest.New(t, p2.url).Do(t, http.MethodGet, "/api/v1/requests/"+id, admin, nil)
	if got.Status != 200 || got.Map(t)["subject"].(map[string]any)["email"] != canary {
		t.Errorf("after rotation: %d %s", got.Status, got.Body)
	}
	p2.stop(t)

	// Without the key that sealed the data, reading fails loudly rather than showing garbage.
	vars["RIGHTSDESK_ENCRYPTION_KEY"] = keyA
	err := run(context.Background(), []string{"migrate"}, env(vars), &out)
	if err == nil || !strings.Contains(err.Error(), "index secret") {
		t.Errorf("start with the wrong key: %v", err)
	}
}

func TestKeyFromFile(t *testing.T) {
	file := t.TempDir() + "/key"
	if err := os.WriteFile(file, []byte(keyA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"RIGHTSDESK_DB": storetest.SQLite(t).DSN, "RIGHTSDESK_ENV": "production",
		"RIGHTSDESK_ENCRYPTION_KEY_FILE": file}
	if err := run(context.Background(), []string{"migrate"}, env(vars), &bytes.Buffer{}); err != nil {
		t.Errorf("production with a key file: %v", err)
	}
	vars["RIGHTSDESK_ENCRYPTION_KEY"] = keyB
	if err := run(context.Background(), []string{"migrate"}, env(vars), &bytes.Buffer{}); err == nil {
		t.Error("both a key and a key file were accepted")
	}
}

func TestProductionNeedsAKey(t *testing.T) {
	err := run(context.Background(), []string{"migrate"}, env(map[string]string{"RIGHTSDESK_DB": storetest.SQLite(t).DSN,
		"RIGHTSDESK_ENV": "production"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Errorf("production without a key: %v", err)
	}
}
