package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestKeysRotateOnline follows docs/security.md "Keys and rotation" on a running server: requests sealed under
// the old key; a restart with the new key current and the old one in RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS;
// `rightsdesk keys rotate` against the same database while the server reads and files; then every sealed value
// names the new key, and a restart with the new key alone reads everything.
func TestKeysRotateOnline(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) { rotateOnline(t, db) })
	}
}

// filed is a request the test filed, and the e-mail address it must read back.
type filed struct{ id, email string }

func rotateOnline(t *testing.T, db storetest.DB) {
	admin := "bootstrap-secret-for-tests-0123456789"
	vars := map[string]string{"RIGHTSDESK_DB": db.DSN, "RIGHTSDESK_BOOTSTRAP_TOKEN": admin, "RIGHTSDESK_ENCRYPTION_KEY": keyA,
		"RIGHTSDESK_SCHEDULER": "off", "RIGHTSDESK_FILINGS_PER_MINUTE": "100000",
		"RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS": "100000"}
	var requests []filed
	file := func(t *testing.T, c *apitest.Client, n int) {
		t.Helper()
		email := fmt.Sprintf("subject-%03d@example.com", n)
		res := c.Do(t, http.MethodPost, "/api/v1/requests", admin, map[string]any{
			"type": "deletion", "channel": "email", "details": map[string]any{"ground": "unlawful_processing", "explanation": "Explanation " + email},
			"subject": map[string]any{"name": "Subject " + email, "email": email},
		})
		if res.Status != http.StatusCreated {
			t.Fatalf("file: %d %s", res.Status, res.Body)
		}
		id := res.Map(t)["id"].(string)
		requests = append(requests, filed{id, email})
		if n%5 != 0 {
			return
		}
		// Some with a note and a reply, so that every sealed column holds values.
		path := "/api/v1/requests/" + id
		for _, step := range []struct {
			path string
			body map[string]any
		}{
			{path + "/transitions", map[string]any{"to": "in_progress"}},
			{path + "/notes", map[string]any{"body": "Called " + email}},
			{path + "/reply", map[string]any{"outcome": "denied", "denial_reason": "no_match", "message": "No account for " + email}},
		} {
			if res := c.Do(t, http.MethodPost, step.path, admin, step.body); res.Status/100 != 2 {
				t.Fatalf("POST %s: %d %s", step.path, res.Status, res.Body)
			}
		}
	}
	readAll := func(t *testing.T, c *apitest.Client, when string) {
		t.Helper()
		for _, r := range requests {
			res := c.Do(t, http.MethodGet, "/api/v1/requests/"+r.id, admin, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("%s: read %s: %d %s", when, r.email, res.Status, res.Body)
			}
			if got := res.Map(t)["subject"].(map[string]any)["email"]; got != r.email {
				t.Fatalf("%s: read %s back as %v", when, r.email, got)
			}
		}
	}

	// Before: everything sealed under the old key.
	p := start(t, vars)
	c := apitest.New(t, p.url)
	for n := range 100 {
		file(t, c, n)
	}
	p.stop(t)

	// Step 1 of the procedure: restart with the new key current and the old one previous.
	vars["RIGHTSDESK_ENCRYPTION_KEY"], vars["RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS"] = keyB, keyA
	p2 := start(t, vars)
	c2 := apitest.New(t, p2.url)
	readAll(t, c2, "restarted with both keys")
	file(t, c2, 100) // sealed under the new key already

	// Step 2: rotate while the server serves: clients read every request and file new ones before, during and
	// after the rotation.
	traffic := startTraffic(p2.url, admin, requests)
	traffic.waitFor(t, 10)
	before := traffic.ops.Load()
	var out bytes.Buffer
	rotStart := time.Now()
	if err := run(context.Background(), []string{"keys", "rotate"}, env(vars), &out); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	rotTook, during := time.Since(rotStart), traffic.ops.Load()-before
	traffic.waitFor(t, traffic.ops.Load()+10)
	newlyFiled, errs := traffic.stop()
	for _, err := range errs {
		t.Errorf("while the rotation ran: %v", err)
	}
	t.Logf("the rotation took %s; %d reads and filings finished meanwhile; %d requests filed by the clients", rotTook,
		during, len(newlyFiled))
	requests = append(requests, newlyFiled...)
	m := regexp.MustCompile(`re-sealed (\d+) value\(s\) under key ([0-9a-f]+)`).FindStringSubmatch(out.String())
	newID := keyID(t, keyB)
	if m == nil || m[1] == "0" || m[2] != newID {
		t.Errorf("keys rotate printed %q, want some values re-sealed under key %s", out.String(), newID)
	}
	readAll(t, c2, "after rotation")
	checkSealedUnder(t, db, newID)

	// Step 3: drop the old key; the new one alone reads everything.
	p2.stop(t)
	delete(vars, "RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS")
	p3 := start(t, vars)
	readAll(t, apitest.New(t, p3.url), "restarted with the new key alone")
}

// keyID is the ID sealed values carry for a base64 key.
func keyID(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	k, err := service.NewKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k.KeyID()
}

// sealedColumnsByTable are the columns docs/security.md says hold sealed personal data.
var sealedColumnsByTable = map[string][]string{
	"requests":      {"subject", "details", "reply_message", "correction_outcomes"},
	"request_notes": {"body"},
	"outbox":        {"to_address", "body_text", "body_html"},
	"keyring":       {"sealed"},
	"exports":       {"content"},
}

// checkSealedUnder fails unless every non-empty value of every sealed column is sealed under the key keyID.
func checkSealedUnder(t *testing.T, db storetest.DB, keyID string) {
	t.Helper()
	raw := storetest.Raw(t, db)
	prefix := "rd1:" + keyID + ":"
	for table, cols := range sealedColumnsByTable {
		for _, col := range cols {
			rows, err := raw.Query(fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL", col, table, col))
			if err != nil {
				t.Fatalf("%s.%s: %v", table, col, err)
			}
			total, other := 0, 0
			for rows.Next() {
				var v []byte
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				if len(v) == 0 {
					continue
				}
				total++
				if !bytes.HasPrefix(v, []byte(prefix)) {
					other++
					if other == 1 {
						t.Errorf("%s.%s holds a value not sealed under %s: %.24q", table, col, keyID, v)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if other > 0 {
				t.Errorf("%s.%s: %d of %d values not under the new key", table, col, other, total)
			}
			// The test files no rectification and no export; and mails are queued with their text alone (the HTML
			// part is rendered when sent), so body_html holds only what earlier versions queued.
			if total == 0 && table != "exports" && col != "correction_outcomes" && col != "body_html" {
				t.Errorf("%s.%s holds no values: the test seals too little to prove anything", table, col)
			}
		}
	}
}

// traffic is three clients of a running server that, until stopped, read the requests given round and round
// and file a new one every fourth call, checking every answer.
type traffic struct {
	ops    atomic.Int64 // calls answered
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	filed  []filed
	errs   []error
}

func (tr *traffic) fail(err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.errs = append(tr.errs, err)
}

func startTraffic(baseURL, token string, requests []filed) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{cancel: cancel}
	call := func(method, path string, body any) (int, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, baseURL+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, err
	}
	client := func(worker int) {
		defer tr.wg.Done()
		for i := worker; ctx.Err() == nil; i += 3 {
			if i%4 == 3 {
				email := fmt.Sprintf("during-%04d@example.com", i)
				status, m, err := call(http.MethodPost, "/api/v1/requests", map[string]any{"type": "access", "channel": "email",
					"subject": map[string]any{"name": "Subject " + email, "email": email}})
				switch {
				case ctx.Err() != nil:
					return
				case err != nil || status != http.StatusCreated:
					tr.fail(fmt.Errorf("file %s: %d %v %v", email, status, m, err))
				default:
					tr.mu.Lock()
					tr.filed = append(tr.filed, filed{m["id"].(string), email})
					tr.mu.Unlock()
				}
				tr.ops.Add(1)
				continue
			}
			r := requests[i%len(requests)]
			status, m, err := call(http.MethodGet, "/api/v1/requests/"+r.id, nil)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil || status != http.StatusOK:
				tr.fail(fmt.Errorf("read %s: %d %v %v", r.email, status, m, err))
			default:
				if got := m["subject"].(map[string]any)["email"]; got != r.email {
					tr.fail(fmt.Errorf("read %s back as %v", r.email, got))
				}
			}
			tr.ops.Add(1)
		}
	}
	for w := range 3 {
		tr.wg.Add(1)
		go client(w)
	}
	return tr
}

// waitFor waits until the clients have made n calls.
func (tr *traffic) waitFor(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for tr.ops.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the clients made %d calls in 30s, want %d", tr.ops.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop ends the traffic and answers the requests it filed and the errors it met.
func (tr *traffic) stop() ([]filed, []error) {
	tr.cancel()
	tr.wg.Wait()
	return tr.filed, tr.errs
}

// TestKeyRotationAcrossReplicas: with two replicas, a rolling restart straight to the new key (what
// docs/security.md says) leaves a replica still on the old key unable to open what a restarted one sealed. Rolling
// the new key out first as a previous key, then as the current one, keeps every replica able to read every value
// at every step; this test walks that order.
func TestKeyRotationAcrossReplicas(t *testing.T) {
	db := storetest.SQLite(t).DSN
	admin := "bootstrap-secret-for-tests-0123456789"
	withKeys := func(current, previous string) map[string]string {
		return map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_BOOTSTRAP_TOKEN": admin, "RIGHTSDESK_SCHEDULER": "off",
			"RIGHTSDESK_ENCRYPTION_KEY": current, "RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS": previous}
	}
	replicas := []*program{start(t, withKeys(keyA, "")), start(t, withKeys(keyA, ""))}
	var requests []filed
	// check files a request on each replica and reads every request on each.
	check := func(step string) {
		t.Helper()
		for i, p := range replicas {
			email := fmt.Sprintf("replica%d-%d@example.com", i, len(requests))
			res := apitest.New(t, p.url).Do(t, http.MethodPost, "/api/v1/requests", admin, map[string]any{"type": "access",
				"channel": "email", "subject": map[string]any{"name": "Subject", "email": email}})
			if res.Status != http.StatusCreated {
				t.Fatalf("%s: file on replica %d: %d %s", step, i, res.Status, res.Body)
			}
			requests = append(requests, filed{res.Map(t)["id"].(string), email})
		}
		for i, p := range replicas {
			c := apitest.New(t, p.url)
			for _, r := range requests {
				res := c.Do(t, http.MethodGet, "/api/v1/requests/"+r.id, admin, nil)
				if res.Status != http.StatusOK || res.Map(t)["subject"].(map[string]any)["email"] != r.email {
					t.Fatalf("%s: replica %d reads %s: %d %s", step, i, r.email, res.Status, res.Body)
				}
			}
		}
	}
	restart := func(i int, vars map[string]string) {
		t.Helper()
		replicas[i].stop(t)
		replicas[i] = start(t, vars)
	}
	check("both on the old key")
	for i := range replicas {
		restart(i, withKeys(keyA, keyB)) // the new key opens, nothing is sealed under it yet
		check(fmt.Sprintf("replica %d knows the new key", i))
	}
	for i := range replicas {
		restart(i, withKeys(keyB, keyA)) // the new key seals; the old one still opens
		check(fmt.Sprintf("replica %d seals under the new key", i))
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "rotate"}, env(withKeys(keyB, keyA)), &out); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	for i := range replicas {
		restart(i, withKeys(keyB, ""))
		check(fmt.Sprintf("replica %d on the new key alone", i))
	}
}
