package api_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
	"github.com/rightsdesk/rightsdesk/transmit"
)

const allowedHosts = "/api/v1/transmissions/allowed-hosts"

// errorFields lists the fields a 422 problem names.
func errorFields(t *testing.T, res *apitest.Response) []string {
	t.Helper()
	var out []string
	errs, _ := res.Map(t)["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestAllowedHostsAPI(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			h := newHarnessWith(t, db, service.Config{TransmitAllowHosts: []string{"hr.internal", "shared.internal"}})
			auditor, _ := h.token(t, service.RoleAuditor, "auditor")
			officer, _ := h.token(t, service.RoleOfficer, "officer")
			me := h.Do(t, "GET", "/api/v1/me", h.admin, nil).Map(t)["user_id"].(string)

			put := h.Do(t, "PUT", allowedHosts+"/hooks.internal", h.admin, map[string]any{"note": "the HR system's import"})
			if put.Status != 201 {
				t.Fatalf("PUT a new host: %d %s", put.Status, put.Body)
			}
			entry := put.Map(t)
			if entry["host"] != "hooks.internal" || entry["source"] != "api" || entry["note"] != "the HR system's import" ||
				entry["created_by"] != me || entry["created_at"] == nil {
				t.Errorf("PUT answered %v", entry)
			}
			again := h.Do(t, "PUT", allowedHosts+"/hooks.internal", h.admin, map[string]any{"note": "changed"})
			if again.Status != 200 || !cmp.Equal(again.Map(t), entry) {
				t.Errorf("PUT the same host again: %d %s, want 200 and the entry unchanged", again.Status, again.Body)
			}
			for _, path := range []string{"/::1", "/%3A%3A1"} {
				if res := h.Do(t, "PUT", allowedHosts+path, h.admin, map[string]any{}); res.Status/100 != 2 || res.Map(t)["host"] != "::1" {
					t.Errorf("PUT %s: %d %s, want the host ::1", path, res.Status, res.Body)
				}
			}
			if res := h.Do(t, "PUT", allowedHosts+"/shared.internal", h.admin, map[string]any{}); res.Status != 201 {
				t.Errorf("PUT a host of the operator's list: %d %s, want 201", res.Status, res.Body)
			}

			for _, tt := range []struct {
				name, path string
				body       any
				status     int
				fields     []string
			}{
				{"uppercase", "/Hooks.Internal", map[string]any{}, 422, []string{"host"}},
				{"port", "/hooks.internal:8443", map[string]any{}, 422, []string{"host"}},
				{"scheme, escaped", "/https%3A%2F%2Fhooks.internal", map[string]any{}, 422, []string{"host"}},
				{"IPv6 not canonical", "/0:0:0:0:0:0:0:1", map[string]any{}, 422, []string{"host"}},
				{"too long", "/" + strings.Repeat("a", 254), map[string]any{}, 422, []string{"host"}},
				{"note too long", "/hooks2.internal", map[string]any{"note": strings.Repeat("x", 501)}, 422, []string{"note"}},
				{"unknown field", "/hooks2.internal", map[string]any{"reason": "x"}, 422, []string{"reason"}},
				{"malformed JSON", "/hooks2.internal", `{"note":`, 400, nil},
			} {
				res := h.Do(t, "PUT", allowedHosts+tt.path, h.admin, tt.body)
				if res.Status != tt.status {
					t.Errorf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.status)
					continue
				}
				if got := errorFields(t, res); tt.fields != nil && !cmp.Equal(got, tt.fields) {
					t.Errorf("%s: fields %v, want %v", tt.name, got, tt.fields)
				}
			}
			if res := h.Do(t, "PUT", allowedHosts+"/evil.internal", officer, map[string]any{}); res.Status != 403 {
				t.Errorf("PUT by an officer: %d, want 403", res.Status)
			}

			type item struct{ Host, Source string }
			wantList := []item{{"::1", "api"}, {"hooks.internal", "api"}, {"hr.internal", "environment"},
				{"shared.internal", "api"}, {"shared.internal", "environment"}}
			list := func(token string) []item {
				t.Helper()
				res := h.Do(t, "GET", allowedHosts, token, nil)
				if res.Status != 200 {
					t.Fatalf("GET: %d %s", res.Status, res.Body)
				}
				var body struct{ Items []map[string]any }
				res.JSON(t, &body)
				var out []item
				for _, it := range body.Items {
					out = append(out, item{it["host"].(string), it["source"].(string)})
					if it["source"] == "environment" && (it["created_by"] != nil || it["created_at"] != nil || it["note"] != nil) {
						t.Errorf("an operator's entry carries API fields: %v", it)
					}
				}
				return out
			}
			for _, token := range []string{h.admin, auditor} {
				if diff := cmp.Diff(wantList, list(token)); diff != "" {
					t.Errorf("GET (-want +got):\n%s", diff)
				}
			}

			for _, tt := range []struct {
				host   string
				status int
			}{
				{"hr.internal", 409},    // the operator's only: the API cannot remove it
				{"gone.internal", 404},  // on no list
				{"hooks.internal", 204}, // the admins'
				{"hooks.internal", 404}, // gone already
				{"shared.internal", 204},
				{"Hooks.Internal", 422},
			} {
				if res := h.Do(t, "DELETE", allowedHosts+"/"+tt.host, h.admin, nil); res.Status != tt.status {
					t.Errorf("DELETE %s: %d %s, want %d", tt.host, res.Status, res.Body, tt.status)
				}
			}
			if res := h.Do(t, "DELETE", allowedHosts+"/::1", auditor, nil); res.Status != 403 {
				t.Errorf("DELETE by an auditor: %d, want 403", res.Status)
			}
			if diff := cmp.Diff([]item{{"::1", "api"}, {"hr.internal", "environment"}, {"shared.internal", "environment"}}, list(h.admin)); diff != "" {
				t.Errorf("GET after DELETE (-want +got):\n%s", diff)
			}

			evs, err := h.store.AuditEventsAfter(context.Background(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				if strings.HasPrefix(ev.Action, "allowed_host.") {
					got = append(got, ev.Action+" "+ev.Data["host"])
					if ev.ActorID != me {
						t.Errorf("%s by %s, want the admin %s", ev.Action, ev.ActorID, me)
					}
				}
			}
			want := []string{"allowed_host.added hooks.internal", "allowed_host.added ::1", "allowed_host.added shared.internal",
				"allowed_host.removed hooks.internal", "allowed_host.removed shared.internal"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("audit events (-want +got):\n%s", diff)
			}
			if v := h.Do(t, "GET", "/api/v1/audit/verify", auditor, nil).Map(t); v["ok"] != true {
				t.Errorf("audit verify: %v", v)
			}
		})
	}
}

// receiver is a TLS test server on 127.0.0.1 that records the deliveries it accepts.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	verified []error // Verify's answer for each delivery
}

func newReceiver(t *testing.T, secret []byte) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.verified = append(rc.verified, transmit.Verify(secret, r.Header, body, time.Now(), 5*time.Minute))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]error(nil), rc.verified...)
}

// loopbackTransmitter is the real transmitter, trusting rc's certificate, whose dialer reaches rc and nothing
// else (any other address fails the test) and whose resolver is never asked: the tests dial no other host.
func loopbackTransmitter(t *testing.T, rc *receiver, secret []byte) (*transmit.Client, *atomic.Int32) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(rc.Certificate())
	addr := rc.Listener.Addr().String()
	var dials atomic.Int32
	c, err := transmit.New(transmit.Config{Secret: secret, Timeout: 5 * time.Second, RootCAs: roots,
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			dials.Add(1)
			if a != addr {
				t.Errorf("dialed %s; only the test receiver %s may be dialed", a, addr)
				return nil, errors.New("test dialer: address not permitted")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, a)
		},
		LookupIP: func(context.Context, string) ([]netip.Addr, error) {
			t.Error("the transmitter resolved a name")
			return nil, errors.New("test resolver: no lookups")
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c, &dials
}

// TestAllowListTakesEffectWithoutRestart transmits portability copies to a receiver on the loopback address
// through the running server: refused until an admin allow-lists 127.0.0.1 through the API, delivered from the
// next attempt on, and refused again once the admin removes it.
func TestAllowListTakesEffectWithoutRestart(t *testing.T) {
	secret := []byte("a shared secret of at least thirty-two bytes")
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			rc := newReceiver(t, secret)
			tc, dials := loopbackTransmitter(t, rc, secret)
			h := newHarnessWith(t, db, service.Config{Transmitter: tc})
			endpoint := rc.URL + "/import?token=recipient-secret"

			// transmitOne files a portability request to the receiver, fulfils it and runs the transmissions job;
			// it answers the run's detail and the request's events.
			transmitOne := func() (string, []string) {
				t.Helper()
				id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
					b["type"] = "portability"
					b["details"] = map[string]any{"format": "json", "recipient": map[string]any{"name": "Other Co", "endpoint": endpoint}}
				})).Map(t)["id"].(string)
				path := "/api/v1/requests/" + id
				h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "in_progress"})
				body, ct := multipartFile(t, "profile.json", []byte(`{"name":"Li Wei"}`))
				if res := h.Do(t, "POST", path+"/exports", h.admin, body, "Content-Type", ct); res.Status != 201 {
					t.Fatalf("upload: %d %s", res.Status, res.Body)
				}
				if res := h.Do(t, "POST", path+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Here."}); res.Status != 200 {
					t.Fatalf("reply: %d %s", res.Status, res.Body)
				}
				run := h.Do(t, "POST", "/api/v1/jobs/transmissions/runs", h.admin, nil)
				if run.Status != 201 || run.Map(t)["outcome"] != "ok" {
					t.Fatalf("transmissions run: %d %s", run.Status, run.Body)
				}
				var events struct{ Items []struct{ Action string } }
				h.Do(t, "GET", path+"/events", h.admin, nil).JSON(t, &events)
				var actions []string
				for _, ev := range events.Items {
					if strings.HasPrefix(ev.Action, "export.transmi") {
						actions = append(actions, ev.Action)
					}
				}
				return run.Map(t)["detail"].(string), actions
			}
			steps := []struct {
				name       string
				change     func()
				wantDetail string
				wantEvent  string
				wantDials  int32
			}{
				{"not allow-listed", func() {}, "0 delivered, 0 to retry, 1 failed", "export.transmission_failed", 0},
				{"allow-listed through the API", func() {
					if res := h.Do(t, "PUT", allowedHosts+"/127.0.0.1", h.admin, map[string]any{"note": "test receiver"}); res.Status != 201 {
						t.Fatalf("PUT: %d %s", res.Status, res.Body)
					}
				}, "1 delivered, 0 to retry, 0 failed", "export.transmitted", 1},
				{"removed through the API", func() {
					if res := h.Do(t, "DELETE", allowedHosts+"/127.0.0.1", h.admin, nil); res.Status != 204 {
						t.Fatalf("DELETE: %d %s", res.Status, res.Body)
					}
				}, "0 delivered, 0 to retry, 1 failed", "export.transmission_failed", 1},
			}
			for _, s := range steps {
				s.change()
				detail, events := transmitOne()
				if detail != s.wantDetail {
					t.Errorf("%s: run %q, want %q", s.name, detail, s.wantDetail)
				}
				if !cmp.Equal(events, []string{s.wantEvent}) {
					t.Errorf("%s: events %v, want %s", s.name, events, s.wantEvent)
				}
				if got := dials.Load(); got != s.wantDials {
					t.Errorf("%s: %d dials so far, want %d", s.name, got, s.wantDials)
				}
			}
			if got := rc.deliveries(); len(got) != 1 || got[0] != nil {
				t.Errorf("the receiver got %d deliveries (signature checks %v), want one that verifies", len(got), got)
			}
		})
	}
}
