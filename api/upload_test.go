package api_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// gatedBody sends head, then waits for its gate to open before it sends tail: a client whose upload is still
// on its way, so that a test can tell whether the server answered before reading it.
type gatedBody struct {
	head, tail io.Reader
	gate       chan struct{}
}

func (b *gatedBody) Read(p []byte) (int, error) {
	if n, err := b.head.Read(p); err != io.EOF {
		return n, err
	}
	<-b.gate
	return b.tail.Read(p)
}

// gatedUpload is an upload of one file named name to path, its first headBytes of content sent at once and the
// rest, then the multipart end, once gate is closed. Content-Length is set, as browsers and curl do.
func gatedUpload(t *testing.T, url, token, name string, content []byte, headBytes int, gate chan struct{}) *http.Request {
	t.Helper()
	body, ct := multipartFile(t, name, content)
	split := bytes.Index(body, content) + headBytes
	req, err := http.NewRequest(http.MethodPost, url, &gatedBody{head: bytes.NewReader(body[:split]),
		tail: bytes.NewReader(body[split:]), gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// answerBeforeBody sends req on a connection of its own and reads the answer, which must come within wait while
// the body is still being sent (Go's client would wait for the whole body to be sent first).
func answerBeforeBody(baseURL string, req *http.Request, wait time.Duration) (*apitest.Response, error) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	go func() { _ = req.Write(conn) }() // stops when the gate opens and the connection is closed
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, err
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &apitest.Response{Status: res.StatusCode, Header: res.Header, Body: body}, nil
}

// TestUploadsAreAuthorisedBeforeTheirBodyIsRead (issue 12, item 8): an upload to a request that does not exist,
// that the caller may not see or that takes no export is refused as soon as its headers arrive: the server
// answers while the client holds back all but the first MiB of the 10 MiB file. Before, it read the whole file into memory
// first, and answered only then.
func TestUploadsAreAuthorisedBeforeTheirBodyIsRead(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	id := h.startWork(t, accessBody())
	deletionID := h.startWork(t, deletion())
	_, outsider := h.officer(t, "olga") // in no queue: may not see id
	for _, tt := range []struct {
		name, id, token string
		status          int
	}{
		{"no such request", uuid.NewString(), h.admin, 404},
		{"a request outside the officer's queues", id, outsider, 404},
		{"a request that takes no export", deletionID, h.admin, 409},
	} {
		gate := make(chan struct{})
		req := gatedUpload(t, h.BaseURL+"/api/v1/requests/"+tt.id+"/exports", tt.token, "export.bin",
			make([]byte, 10<<20), 1<<20, gate) // Go's server may discard 256 KiB of an unread body to answer
		res, err := answerBeforeBody(h.BaseURL, req, 5*time.Second)
		close(gate)
		if err != nil {
			t.Errorf("%s: no answer while the file is held back (%v): the server waits to read it first", tt.name, err)
			continue
		}
		h.Check(t, req, res)
		if res.Status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.status)
		}
	}
	if got := h.Do(t, http.MethodGet, "/api/v1/requests/"+id+"/events", h.admin, nil); !strings.Contains(string(got.Body), "access.denied") {
		t.Errorf("the outsider's upload was not audited as access.denied: %s", got.Body)
	}
}

// TestConcurrentUploadsAreBounded (issue 12, item 8): while MaxConcurrentUploads uploads are being read, another
// is refused at once with 503 and Retry-After rather than held in memory; when they finish, uploads are taken
// again.
func TestConcurrentUploadsAreBounded(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	id := h.startWork(t, accessBody())
	e, err := api.New(api.Config{Service: h.svc, Logger: zerolog.Nop(), MaxConcurrentUploads: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	c := apitest.New(t, srv.URL)
	path := "/api/v1/requests/" + id + "/exports"
	empty, emptyType := multipartFile(t, "empty.txt", nil) // read, then refused (422) when a slot is free
	probe := func() *apitest.Response {
		return c.Do(t, http.MethodPost, path, h.admin, empty, "Content-Type", emptyType)
	}
	if res := probe(); res.Status != 422 {
		t.Fatalf("probe with free slots: %d %s, want 422", res.Status, res.Body)
	}

	gate := make(chan struct{})
	done := make(chan *apitest.Response, 2)
	for _, name := range []string{"a.txt", "b.txt"} {
		req := gatedUpload(t, srv.URL+path, h.admin, name, []byte("held back, then sent"), 4, gate)
		go func() {
			res, err := c.Send(t, req)
			if err != nil {
				t.Errorf("upload %s: %v", name, err)
			}
			done <- res
		}()
	}
	busy := false
	for deadline := time.Now().Add(5 * time.Second); !busy && time.Now().Before(deadline); {
		res := probe()
		switch res.Status {
		case 503:
			busy = true
			if res.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		case 422:
			time.Sleep(20 * time.Millisecond) // the held uploads have not reached the server yet
		default:
			t.Fatalf("probe: %d %s", res.Status, res.Body)
		}
	}
	if !busy {
		t.Errorf("a third upload was read while two others were: uploads are not bounded")
	}
	close(gate)
	for range 2 {
		if res := <-done; res != nil && res.Status != 201 {
			t.Errorf("held upload: %d %s, want 201", res.Status, res.Body)
		}
	}
	if res := probe(); res.Status != 422 {
		t.Errorf("probe after the uploads ended: %d %s, want 422 (a slot free again)", res.Status, res.Body)
	}
}

// TestExportNamesWithBidiControlsAreRefused (issue 12, item 11): a file name with a bidirectional override
// (U+202E shows "invoice\u202Efdp.exe" as "invoiceexe.pdf") or another invisible formatting character is
// refused, naming file.
func TestExportNamesWithBidiControlsAreRefused(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	id := h.startWork(t, accessBody())
	for _, name := range []string{"invoice\u202efdp.exe", "report\u2066.pdf", "a\u200bb.txt", "data\u200f.csv", "x\u2028y.txt"} {
		body, ct := multipartFile(t, name, []byte("content"))
		res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/exports", h.admin, body, "Content-Type", ct)
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"file"`) {
			t.Errorf("%q: %d %s, want 422 naming file", name, res.Status, res.Body)
		}
	}
	body, ct := multipartFile(t, "证明 (2026).pdf", []byte("content"))
	if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/exports", h.admin, body, "Content-Type", ct); res.Status != 201 {
		t.Errorf("a plain name: %d %s, want 201", res.Status, res.Body)
	}
}
