package api_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
	"github.com/rightsdesk/rightsdesk/transmit"
)

// jobReceiver is an http data system: it verifies each job's signature and keeps the jobs it was sent.
type jobReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	jobs []map[string]any
	errs []error
	// refusals answers a job sent to one of its paths 422 with the text given, instead of 202.
	refusals map[string]string
}

func newJobReceiver(t *testing.T, secret []byte) *jobReceiver {
	rc := &jobReceiver{}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var job map[string]any
		err := errors.Join(transmit.Verify(secret, r.Header, body, time.Now(), 5*time.Minute), json.Unmarshal(body, &job))
		rc.mu.Lock()
		rc.jobs, rc.errs = append(rc.jobs, job), append(rc.errs, err)
		refusal, refused := rc.refusals[r.URL.Path]
		rc.mu.Unlock()
		if refused {
			http.Error(w, refusal, http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *jobReceiver) received(t *testing.T) []map[string]any {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, err := range rc.errs {
		if err != nil {
			t.Errorf("a job did not verify: %v", err)
		}
	}
	return append([]map[string]any(nil), rc.jobs...)
}

// jobTransmitter is the real transmitter, trusting rc's certificate and dialing only rc.
func jobTransmitter(t *testing.T, rc *jobReceiver, secret []byte) *transmit.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(rc.Certificate())
	addr := rc.Listener.Addr().String()
	c, err := transmit.New(transmit.Config{Secret: secret, Timeout: 5 * time.Second, RootCAs: roots,
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a != addr {
				return nil, errors.New("test dialer: address not permitted")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, a)
		},
		LookupIP: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no lookups") }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHTTPDataSystems sends signed erasure jobs to two http systems: one reports back and its part is done, the
// other never does, shows as overdue past its timeout and is chased by e-mail once; the run finishes, and the
// erasure is recorded, only when both have reported.
func TestHTTPDataSystems(t *testing.T) {
	secret := []byte("a shared secret of at least thirty-two bytes")
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			rc := newJobReceiver(t, secret)
			h := newHarnessWith(t, db, service.Config{Transmitter: jobTransmitter(t, rc, secret), DPOEmail: "dpo@staff.example"})
			if res := h.Do(t, "PUT", "/api/v1/transmissions/allowed-hosts/127.0.0.1", h.admin, map[string]any{"note": "test systems"}); res.Status != 201 {
				t.Fatalf("allow-list: %d %s", res.Status, res.Body)
			}
			m := map[string]any{"tables": []any{map[string]any{"name": "users", "identity": map[string]any{"email": "email"}, "erase": "delete"}}}
			for _, name := range []string{"crm", "newsletter"} {
				res := h.Do(t, "POST", "/api/v1/data-systems", h.admin, map[string]any{"name": name, "kind": "http",
					"endpoint": rc.URL + "/jobs/" + name, "owner_email": name + "-owner@staff.example", "map": m, "callback_timeout_hours": 24})
				if res.Status != 201 {
					t.Fatalf("register %s: %d %s", name, res.Status, res.Body)
				}
			}
			id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
			path := "/api/v1/requests/" + id
			h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "in_progress"})
			res := h.Do(t, "POST", path+"/erasure-runs", h.admin, map[string]any{"preview": false})
			run, systems := runOf(t, res)
			if res.Status != 202 || run["status"] != "running" || systems["crm"]["status"] != "pending" || systems["newsletter"]["status"] != "pending" {
				t.Fatalf("erase: %d %s", res.Status, res.Body)
			}
			jobs := rc.received(t)
			if len(jobs) != 2 {
				t.Fatalf("%d jobs sent, want 2", len(jobs))
			}
			var crmToken string
			for _, j := range jobs {
				if j["kind"] != "erase" || j["subject"].(map[string]any)["email"] != "li.wei@example.com" || j["map"] == nil {
					t.Errorf("job %v", j)
				}
				if strings.Contains(j["callback_token"].(string), systems["crm"]["system_id"].(string)) {
					crmToken = j["callback_token"].(string)
				}
			}
			report := map[string]any{"callback_token": crmToken, "status": "done",
				"tables": map[string]any{"users": map[string]any{"rows": 1, "deleted": 1, "updated": 0, "retained": 0}}}
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", report); res.Status != 204 {
				t.Fatalf("report: %d %s", res.Status, res.Body)
			}
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", report); res.Status != 409 {
				t.Errorf("second report: %d %s", res.Status, res.Body)
			}
			forged := map[string]any{"callback_token": crmToken[:len(crmToken)-4] + "AAAA", "status": "done"}
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", forged); res.Status != 404 {
				t.Errorf("forged token: %d %s", res.Status, res.Body)
			}
			runID := run["id"].(string)
			got, systems := runOf(t, h.Do(t, "GET", path+"/runs/"+runID, h.admin, nil))
			if got["status"] != "running" || systems["crm"]["status"] != "done" || counts(systems["crm"]) != "users 1/1/0/0" {
				t.Errorf("after crm reported: %v", got)
			}
			if e, _ := h.svc.RequestErasure(context.Background(), id); e != nil {
				t.Errorf("erasure recorded while newsletter is pending")
			}

			h.clock.Set(h.clock.Now().Add(25 * time.Hour))
			_, systems = runOf(t, h.Do(t, "GET", path+"/runs/"+runID, h.admin, nil))
			if systems["newsletter"]["overdue"] != true || systems["crm"]["overdue"] != nil {
				t.Errorf("overdue: newsletter %v, crm %v", systems["newsletter"]["overdue"], systems["crm"]["overdue"])
			}
			for range 2 {
				if res := h.Do(t, "POST", "/api/v1/jobs/backups/runs", h.admin, nil); res.Status != 200 && res.Status != 201 {
					t.Fatalf("backups job: %d %s", res.Status, res.Body)
				}
			}
			var chased []string
			for _, m := range h.mails(t) {
				if m.Kind == "data_job_overdue" {
					chased = append(chased, m.To)
					if !strings.Contains(m.Subject, "newsletter") {
						t.Errorf("chase subject %q", m.Subject)
					}
				}
			}
			if strings.Join(chased, ",") != "dpo@staff.example,newsletter-owner@staff.example" &&
				strings.Join(chased, ",") != "newsletter-owner@staff.example,dpo@staff.example" {
				t.Errorf("chased %v, want the newsletter's owner and the DPO once each", chased)
			}

			var newsletterToken string
			for _, j := range jobs {
				if tok := j["callback_token"].(string); tok != crmToken {
					newsletterToken = tok
				}
			}
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", map[string]any{"callback_token": newsletterToken,
				"status": "done"}); res.Status != 204 {
				t.Fatalf("late report: %d %s", res.Status, res.Body)
			}
			if got, _ := runOf(t, h.Do(t, "GET", path+"/runs/"+runID, h.admin, nil)); got["status"] != "done" {
				t.Errorf("after both reported: %v", got)
			}
			e, err := h.svc.RequestErasure(context.Background(), id)
			if err != nil || e == nil || len(e.Systems) != 2 {
				t.Errorf("erasure %+v, %v; want it recorded with both systems", e, err)
			}

			// A consent withdrawal goes to both as a suppression job with its purposes.
			withdrawal := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
				b["type"], b["details"] = "consent_withdrawal", map[string]any{"purposes": []string{"marketing"}}
			})).Map(t)["id"].(string)
			h.Do(t, "POST", "/api/v1/requests/"+withdrawal+"/transitions", h.admin, map[string]any{"to": "in_progress"})
			if res := h.Do(t, "POST", path+"/suppression-runs", h.admin, nil); res.Status != 409 {
				t.Errorf("suppression on a deletion: %d", res.Status)
			}
			res = h.Do(t, "POST", "/api/v1/requests/"+withdrawal+"/suppression-runs", h.admin, nil)
			if run, _ := runOf(t, res); res.Status != 202 || run["kind"] != "suppress" || len(run["systems"].([]any)) != 2 {
				t.Fatalf("suppression: %d %s", res.Status, res.Body)
			}
			jobs = rc.received(t)
			for _, j := range jobs[2:] {
				if j["kind"] != "suppress" || fmt.Sprint(j["purposes"]) != "[marketing]" {
					t.Errorf("suppression job %v", j)
				}
			}
		})
	}
}

// The attack: an http data system's failure quotes the subject ("no customer li.wei@example.com"), either in the
// answer it gives the job or in the error it reports back; the run kept the text as given, in clear, and showed it
// to every reader of the request's runs. Addresses are masked before the text is kept (and the run is sealed at
// rest: store.TestClearTextIsSealedAtRest). The rows an http system reports for a collection reach its export file.
func TestDataJobFailuresKeepNoAddress(t *testing.T) {
	secret := []byte("a shared secret of at least thirty-two bytes")
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			rc := newJobReceiver(t, secret)
			rc.refusals = map[string]string{"/jobs/billing": "no customer li.wei@example.com"}
			h := newHarnessWith(t, db, service.Config{Transmitter: jobTransmitter(t, rc, secret)})
			if res := h.Do(t, "PUT", "/api/v1/transmissions/allowed-hosts/127.0.0.1", h.admin, map[string]any{"note": "test systems"}); res.Status != 201 {
				t.Fatalf("allow-list: %d %s", res.Status, res.Body)
			}
			m := map[string]any{"tables": []any{map[string]any{"name": "customers", "identity": map[string]any{"email": "email"}, "erase": "delete"}}}
			for _, name := range []string{"crm", "billing"} {
				res := h.Do(t, "POST", "/api/v1/data-systems", h.admin, map[string]any{"name": name, "kind": "http",
					"endpoint": rc.URL + "/jobs/" + name, "owner_email": name + "-owner@staff.example", "map": m})
				if res.Status != 201 {
					t.Fatalf("register %s: %d %s", name, res.Status, res.Body)
				}
			}
			collect := func(t *testing.T) (path, runID, token string) {
				t.Helper()
				id := h.startWork(t, accessBody())
				res := h.Do(t, "POST", "/api/v1/requests/"+id+"/collections", h.admin, nil)
				run, systems := runOf(t, res)
				if res.Status != 202 || systems["crm"]["status"] != "pending" || systems["billing"]["status"] != "failed" {
					t.Fatalf("collect: %d %s", res.Status, res.Body)
				}
				if e := systems["billing"]["error"].(string); strings.Contains(e, "li.wei@") || !strings.Contains(e, "l***@example.com") {
					t.Errorf("billing's refusal kept as %q; want the address masked", e)
				}
				jobs := rc.received(t)
				for _, j := range jobs {
					if j["job_id"] == run["id"].(string)+"-"+systems["crm"]["system_id"].(string) {
						token = j["callback_token"].(string)
					}
				}
				if token == "" {
					t.Fatalf("no job for crm among %d", len(jobs))
				}
				return "/api/v1/requests/" + id, run["id"].(string), token
			}

			path, runID, token := collect(t)
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", map[string]any{"callback_token": token,
				"status": "failed", "error": "customer li.wei@example.com is locked"}); res.Status != 204 {
				t.Fatalf("report: %d %s", res.Status, res.Body)
			}
			_, systems := runOf(t, h.Do(t, "GET", path+"/runs/"+runID, h.admin, nil))
			if e := systems["crm"]["error"]; e != "customer l***@example.com is locked" {
				t.Errorf("crm's reported error kept as %q; want the address masked", e)
			}

			path, runID, token = collect(t)
			if res := h.Do(t, "POST", "/api/v1/data-jobs/results", "", map[string]any{"callback_token": token,
				"status": "done", "tables": map[string]any{"customers": map[string]any{"rows": 1, "deleted": 0, "updated": 0, "retained": 0}},
				"rows": map[string]any{"customers": []any{map[string]any{"email": "li.wei@example.com", "plan": "gold"}}}}); res.Status != 204 {
				t.Fatalf("report: %d %s", res.Status, res.Body)
			}
			_, systems = runOf(t, h.Do(t, "GET", path+"/runs/"+runID, h.admin, nil))
			if systems["crm"]["status"] != "done" || systems["crm"]["export_id"] == nil {
				t.Fatalf("crm after its report: %v", systems["crm"])
			}
			all, err := h.store.RequestExports(t.Context(), strings.TrimPrefix(path, "/api/v1/requests/"), true)
			var exports []*service.Export
			for _, e := range all {
				if strings.HasSuffix(e.Name, ".json") { // the CSV per table carries the same rows
					exports = append(exports, e)
				}
			}
			if err != nil || len(exports) != 1 {
				t.Fatalf("exports %v, %v; want crm's file", exports, err)
			}
			if got := string(exports[0].Content); !strings.Contains(got, `"plan": "gold"`) {
				t.Errorf("crm.json is %s; want the row crm reported", got)
			}
		})
	}
}
