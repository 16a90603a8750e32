package api_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
	"github.com/rightsdesk/rightsdesk/transmit"
)

// accessBody is a filing of an access request, changed by the edits given.
func accessBody(edits ...func(map[string]any)) map[string]any {
	return deletion(append([]func(map[string]any){func(b map[string]any) {
		b["type"], b["details"] = "access", map[string]any{}
	}}, edits...)...)
}

// startWork files body as admin, starts work on it and answers its ID.
func (h *harness) startWork(t *testing.T, body map[string]any) string {
	t.Helper()
	res := h.Do(t, "POST", "/api/v1/requests", h.admin, body)
	if res.Status != 201 {
		t.Fatalf("file: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	if res := h.Do(t, "POST", "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "in_progress"}); res.Status != 200 {
		t.Fatalf("start work: %d %s", res.Status, res.Body)
	}
	return id
}

// answerWithFile attaches one export file to request id and replies fulfilled.
func (h *harness) answerWithFile(t *testing.T, id string) {
	t.Helper()
	body, ct := multipartFile(t, "profile.json", []byte(`{"name":"Li Wei"}`))
	if res := h.Do(t, "POST", "/api/v1/requests/"+id+"/exports", h.admin, body, "Content-Type", ct); res.Status != 201 {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	if res := h.Do(t, "POST", "/api/v1/requests/"+id+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Here."}); res.Status != 200 {
		t.Fatalf("reply: %d %s", res.Status, res.Body)
	}
}

// replyMail is the reply mail queued for request id, with the token of its download link.
func (h *harness) replyMail(t *testing.T, id string) (*service.Mail, string) {
	t.Helper()
	for _, m := range h.mails(t) {
		if m.Kind == "reply" && m.RequestID == id {
			if match := downloadLink.FindStringSubmatch(m.Text); match != nil {
				return m, match[1]
			}
		}
	}
	t.Fatalf("no reply mail with a download link for %s", id)
	return nil, ""
}

// wantPage fails unless res is an HTML page (not a problem, not an error dump) that says every phrase.
func wantPage(t *testing.T, what string, res *apitest.Response, phrases ...string) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q, want a text/html page", what, ct)
	}
	page := string(res.Body)
	if !strings.HasPrefix(page, "<!doctype html>") || !strings.Contains(page, "</html>") {
		t.Errorf("%s: not a whole HTML page:\n%s", what, page)
	}
	for _, p := range phrases {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(p)) {
			t.Errorf("%s: the page does not say %q:\n%s", what, p, page)
		}
	}
	for _, leak := range []string{"internal error", "goroutine", "panic", ".go:", "sql", "urn:rightsdesk:problem"} {
		if strings.Contains(strings.ToLower(page), leak) {
			t.Errorf("%s: the page shows %q:\n%s", what, leak, page)
		}
	}
}

// TestExpiredDownloadLinkAnswersAPage: a link past its 7 days answers 409 with a page that tells the subject the
// link expired, in words, not a problem document; a link that never existed says it is not valid.
func TestExpiredDownloadLinkAnswersAPage(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.startWork(t, accessBody())
		h.answerWithFile(t, id)
		_, token := h.replyMail(t, id)
		if res := h.Do(t, "GET", "/download?token="+token, "", nil); res.Status != 200 {
			t.Fatalf("download within the link's life: %d %s", res.Status, res.Body)
		}

		unknown := h.Do(t, "GET", "/download?token="+strings.Repeat("x", 43), "", nil)
		if unknown.Status != 404 {
			t.Errorf("unknown link: %d, want 404", unknown.Status)
		}
		wantPage(t, "unknown link", unknown, "not valid")

		h.clock.Set(time.Date(2026, 11, 27, 10, 0, 1, 0, shanghai)) // 7 days and a second after the reply
		expired := h.Do(t, "GET", "/download?token="+token, "", nil)
		if expired.Status != 409 {
			t.Fatalf("expired link: %d %s, want 409", expired.Status, expired.Body)
		}
		wantPage(t, "expired link", expired, "expired", "can no longer be used", "已过期")
	})
}

// TestDownloadAfterRetentionAnswersAPage: once the retention job deleted the files, the link (still within its 7
// days) answers a page saying so.
func TestDownloadAfterRetentionAnswersAPage(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			h := newHarnessWith(t, db, service.Config{Retention: 48 * time.Hour})
			id := h.startWork(t, accessBody())
			h.answerWithFile(t, id)
			_, token := h.replyMail(t, id)
			h.clock.Set(time.Date(2026, 11, 22, 11, 0, 0, 0, shanghai))
			run := h.Do(t, "POST", "/api/v1/jobs/retention/runs", h.admin, nil)
			if run.Status != 201 || run.Map(t)["detail"] != "1 request(s) redacted" {
				t.Fatalf("retention run: %d %s", run.Status, run.Body)
			}
			var exports struct {
				Items []map[string]any
			}
			h.Do(t, "GET", "/api/v1/requests/"+id+"/exports", h.admin, nil).JSON(t, &exports)
			if len(exports.Items) != 1 || exports.Items[0]["deleted_at"] == nil {
				t.Errorf("exports after retention: %v, want the file listed as deleted", exports.Items)
			}
			res := h.Do(t, "GET", "/download?token="+token, "", nil)
			if res.Status != 409 {
				t.Fatalf("download after retention: %d %s, want 409", res.Status, res.Body)
			}
			wantPage(t, "download after retention", res, "deleted", "retention")
		})
	}
}

// TestExportUploadOverTheLimit: a file one byte over service.MaxExportSize is refused with a problem naming the
// file field, a body over the upload limit with 413; neither stores anything. A file of exactly the limit is
// taken.
func TestExportUploadOverTheLimit(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.startWork(t, accessBody())
		path := "/api/v1/requests/" + id + "/exports"
		stored := func() int {
			t.Helper()
			var list struct{ Items []map[string]any }
			h.Do(t, "GET", path, h.admin, nil).JSON(t, &list)
			return len(list.Items)
		}
		attached := func() int {
			t.Helper()
			var events struct{ Items []struct{ Action string } }
			h.Do(t, "GET", "/api/v1/requests/"+id+"/events", h.admin, nil).JSON(t, &events)
			n := 0
			for _, ev := range events.Items {
				if ev.Action == "export.attached" {
					n++
				}
			}
			return n
		}

		body, ct := multipartFile(t, "export.bin", bytes.Repeat([]byte("a"), service.MaxExportSize+1))
		res := h.Do(t, "POST", path, h.admin, body, "Content-Type", ct)
		if res.Status != 422 {
			t.Fatalf("a file one byte over the limit: %d %s, want 422", res.Status, res.Body)
		}
		p := res.Map(t)
		if p["type"] != "urn:rightsdesk:problem:invalid" {
			t.Errorf("problem type %v, want urn:rightsdesk:problem:invalid", p["type"])
		}
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "file" ||
			!strings.Contains(errs[0].(map[string]any)["message"].(string), "10 MiB") {
			t.Errorf("problem errors %v, want one naming the field file and its 10 MiB limit", p["errors"])
		}

		big, ct := multipartFile(t, "export.bin", bytes.Repeat([]byte("a"), 12<<20))
		if res := h.Do(t, "POST", path, h.admin, big, "Content-Type", ct); res.Status != 413 {
			t.Errorf("a body over the upload limit: %d %s, want 413", res.Status, res.Body)
		}
		// The same without Content-Length (chunked), so that nothing can refuse it before the handler reads it: the
		// handler stops one byte past the file limit and names the field. Behind a large other part, the body
		// limit cuts it off while the handler skips that part: 413.
		for _, tt := range []struct {
			name   string
			body   []byte
			status int
		}{
			{"a chunked file over the limit", big, 422},
			{"a chunked body over the limit before its file", func() []byte {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				if err := mw.SetBoundary(multipartBoundary(ct)); err != nil {
					t.Fatal(err)
				}
				note, _ := mw.CreateFormField("note")
				note.Write(bytes.Repeat([]byte("n"), 12<<20))
				file, _ := mw.CreateFormFile("file", "export.bin")
				file.Write([]byte("content"))
				mw.Close()
				return b.Bytes()
			}(), 413},
		} {
			req, err := http.NewRequest("POST", h.BaseURL+path, io.MultiReader(bytes.NewReader(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+h.admin)
			res, err := h.Send(t, req)
			if err != nil || res.Status != tt.status {
				t.Errorf("%s: %v %v, want %d", tt.name, res, err, tt.status)
				continue
			}
			if tt.status == 422 && !slices.Equal(errorFields(t, res), []string{"file"}) {
				t.Errorf("%s: %s, want a problem naming file", tt.name, res.Body)
			}
		}
		if n, m := stored(), attached(); n != 0 || m != 0 {
			t.Fatalf("after refused uploads: %d files stored, %d export.attached events; want none", n, m)
		}

		exact, ct := multipartFile(t, "export.bin", bytes.Repeat([]byte("a"), service.MaxExportSize))
		res = h.Do(t, "POST", path, h.admin, exact, "Content-Type", ct)
		if res.Status != 201 || res.Map(t)["size"] != float64(service.MaxExportSize) {
			t.Fatalf("a file of exactly the limit: %d %s, want 201", res.Status, res.Body)
		}
		if n, m := stored(), attached(); n != 1 || m != 1 {
			t.Errorf("after one accepted upload: %d files stored, %d export.attached events; want 1 and 1", n, m)
		}
	})
}

// multipartBoundary is the boundary of a multipart Content-Type.
func multipartBoundary(contentType string) string {
	_, params, _ := mime.ParseMediaType(contentType)
	return params["boundary"]
}

// TestMinorsDownloadLinkGoesToTheGuardian: every mail about a minor's request, the reply with its download link
// included, goes to the guardian's address and none to the minor's.
func TestMinorsDownloadLinkGoesToTheGuardian(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.startWork(t, accessBody(func(b map[string]any) {
			b["subject"] = map[string]any{"name": "Xiao Ming", "email": "xiao.ming@example.com", "is_minor": true,
				"guardian": map[string]any{"name": "Wang Fang", "email": "wang.fang@example.com", "relationship": "mother"}}
		}))
		h.answerWithFile(t, id)
		reply, token := h.replyMail(t, id)
		if reply.To != "wang.fang@example.com" {
			t.Errorf("the download link went to %q, want the guardian wang.fang@example.com", reply.To)
		}
		for _, m := range h.mails(t) {
			if m.RequestID == id && m.To != "wang.fang@example.com" {
				t.Errorf("the %s mail of a minor's request went to %q, not the guardian", m.Kind, m.To)
			}
		}
		if res := h.Do(t, "GET", "/download?token="+token, "", nil); res.Status != 200 {
			t.Errorf("the guardian's link: %d, want the zip", res.Status)
		}
	})
}

// flakyReceiver is a TLS receiver on 127.0.0.1 that answers 503 to the first delivery and 202 after, recording
// each delivery's ID, body and signature check.
type flakyReceiver struct {
	*receiver
	mu       sync.Mutex
	statuses []int
	ids      []string
	bodies   [][]byte
	checks   []error
}

func newFlakyReceiver(t *testing.T, secret []byte) *flakyReceiver {
	t.Helper()
	fr := &flakyReceiver{receiver: &receiver{}}
	fr.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fr.mu.Lock()
		defer fr.mu.Unlock()
		status := http.StatusAccepted
		if len(fr.statuses) == 0 {
			status = http.StatusServiceUnavailable
		}
		fr.statuses = append(fr.statuses, status)
		fr.ids = append(fr.ids, r.Header.Get(transmit.HeaderDelivery))
		fr.bodies = append(fr.bodies, body)
		fr.checks = append(fr.checks, transmit.Verify(secret, r.Header, body, time.Now(), 5*time.Minute))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "busy, try later")
	}))
	t.Cleanup(fr.Close)
	return fr
}

// TestTransmissionRetriedAfterTemporaryFailure: a receiver that answers 503 once gets the same delivery again from
// a later run of the transmissions job, once the backoff has passed, and the copy is then delivered.
func TestTransmissionRetriedAfterTemporaryFailure(t *testing.T) {
	secret := []byte("a shared secret of at least thirty-two bytes")
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			rc := newFlakyReceiver(t, secret)
			tc, dials := loopbackTransmitter(t, rc.receiver, secret)
			h := newHarnessWith(t, db, service.Config{Transmitter: tc, TransmitAllowHosts: []string{"127.0.0.1"}})
			id := h.startWork(t, deletion(func(b map[string]any) {
				b["type"] = "portability"
				b["details"] = map[string]any{"format": "json", "recipient": map[string]any{"name": "Other Co",
					"endpoint": rc.URL + "/import?token=recipient-secret"}}
			}))
			h.answerWithFile(t, id)

			transmitted := func() []string {
				t.Helper()
				var events struct{ Items []struct{ Action string } }
				h.Do(t, "GET", "/api/v1/requests/"+id+"/events", h.admin, nil).JSON(t, &events)
				var out []string
				for _, ev := range events.Items {
					if strings.HasPrefix(ev.Action, "export.transmi") {
						out = append(out, ev.Action)
					}
				}
				return out
			}
			start := h.clock.Now()
			for _, step := range []struct {
				name       string
				at         time.Duration // after the first attempt
				wantDetail string
				wantDials  int32
			}{
				{"first attempt, answered 503", 0, "0 delivered, 1 to retry, 0 failed", 1},
				{"at once again: not due", 0, "0 delivered, 0 to retry, 0 failed", 1},
				{"within the backoff", 59 * time.Second, "0 delivered, 0 to retry, 0 failed", 1},
				{"past the backoff", 61 * time.Second, "1 delivered, 0 to retry, 0 failed", 2},
				{"delivered: nothing left", 10 * time.Minute, "0 delivered, 0 to retry, 0 failed", 2},
			} {
				h.clock.Set(start.Add(step.at))
				run := h.Do(t, "POST", "/api/v1/jobs/transmissions/runs", h.admin, nil)
				if run.Status != 201 || run.Map(t)["outcome"] != "ok" || run.Map(t)["detail"] != step.wantDetail {
					t.Errorf("%s: run %d %s, want ok, %q", step.name, run.Status, run.Body, step.wantDetail)
				}
				if got := dials.Load(); got != step.wantDials {
					t.Errorf("%s: %d dials so far, want %d", step.name, got, step.wantDials)
				}
				if step.name == "first attempt, answered 503" && len(transmitted()) != 0 {
					t.Errorf("a retryable failure recorded %v, want no transmission event yet", transmitted())
				}
			}
			if got := transmitted(); len(got) != 1 || got[0] != "export.transmitted" {
				t.Errorf("events %v, want export.transmitted once", got)
			}

			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.statuses) != 2 || rc.statuses[0] != 503 || rc.statuses[1] != 202 {
				t.Fatalf("the receiver answered %v, want 503 then 202", rc.statuses)
			}
			if rc.checks[0] != nil || rc.checks[1] != nil {
				t.Errorf("signature checks %v, want both to verify", rc.checks)
			}
			if rc.ids[0] == "" || rc.ids[0] != rc.ids[1] || !bytes.Equal(rc.bodies[0], rc.bodies[1]) {
				t.Errorf("delivery IDs %q, bodies equal %v: a retry must repeat the delivery", rc.ids, bytes.Equal(rc.bodies[0], rc.bodies[1]))
			}
		})
	}
}
