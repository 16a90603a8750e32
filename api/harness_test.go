package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a real server on a real database, reached over real HTTP.
type harness struct {
	*apitest.Client
	db    storetest.DB
	store *store.Store
	svc   *service.Service
	clock *storetest.Clock
	logs  *syncBuffer
	admin string // an admin token
}

// shanghai is the time zone of the default policy.
var shanghai = mustLocation("Asia/Shanghai")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// forEachDB runs fn against a fresh server on every available database.
func forEachDB(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) { fn(t, newHarness(t, db)) })
	}
}

// newHarness starts a server on db, its clock at 2026-11-20 10:00 in Shanghai (a Friday).
func newHarness(t *testing.T, db storetest.DB) *harness {
	t.Helper()
	return newHarnessWith(t, db, service.Config{})
}

// newHarnessWith is newHarness with a service built from cfg (its store, clock and filing cap filled in).
func newHarnessWith(t *testing.T, db storetest.DB, cfg service.Config) *harness {
	t.Helper()
	clk := storetest.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai))
	st := storetest.MustOpen(t, db, clk.Now)
	ctx := context.Background()
	cfg.Store, cfg.Keys, cfg.Now, cfg.SubjectDailyCap = st, storetest.KeysOf(st), clk.Now, 1000
	svc, err := service.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.EnsureAdmin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	e, err := api.New(api.Config{Service: svc, Logger: zerolog.New(logs), FilingsPerMinute: 1 << 20,
		FilingsPerMinutePerAddress: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &harness{Client: apitest.New(t, srv.URL), db: db, store: st, svc: svc, clock: clk, logs: logs, admin: admin}
}

// token creates a principal with role and returns its secret.
func (h *harness) token(t *testing.T, role service.Role, name string) (secret, userID string) {
	t.Helper()
	p, err := h.svc.CreatePrincipal(context.Background(), service.SystemActor,
		service.NewPrincipal{Name: name, Role: role, Email: name + "@staff.example"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Secret, p.User.ID
}

// deletion is a valid filing body, changed by the edits given.
func deletion(edits ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"type": "deletion",
		"subject": map[string]any{"name": "Li Wei", "email": "li.wei@example.com", "phone": "+86 138 0000 0000",
			"account_id": "emp-4411", "is_minor": false,
			"guardian": map[string]any{"name": "", "email": "", "relationship": ""}},
		"details": map[string]any{"ground": "no_longer_using_service", "explanation": "I left."},
		"channel": "web_form",
	}
	for _, e := range edits {
		e(b)
	}
	return b
}

// mails returns the outbox, newest first.
func (h *harness) mails(t *testing.T) []*service.Mail {
	t.Helper()
	m, err := h.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// officer creates an officer through the API and returns its ID and a token.
func (h *harness) officer(t *testing.T, name string) (id, token string) {
	t.Helper()
	u := h.Do(t, "POST", "/api/v1/users", h.admin, map[string]any{"name": name, "email": name + "@staff.example", "role": "officer"})
	if u.Status != 201 {
		t.Fatalf("create officer: %d %s", u.Status, u.Body)
	}
	id = u.Map(t)["id"].(string)
	tok := h.Do(t, "POST", "/api/v1/users/"+id+"/tokens", h.admin, map[string]any{"name": name + "-laptop"})
	if tok.Status != 201 {
		t.Fatalf("create token: %d %s", tok.Status, tok.Body)
	}
	return id, tok.Map(t)["token"].(string)
}

// queue creates a queue through the API.
func (h *harness) queue(t *testing.T, body map[string]any) string {
	t.Helper()
	res := h.Do(t, "POST", "/api/v1/queues", h.admin, body)
	if res.Status != 201 {
		t.Fatalf("create queue: %d %s", res.Status, res.Body)
	}
	return res.Map(t)["id"].(string)
}

// multipartFile is a multipart body with one part named file, and its content type.
func multipartFile(t *testing.T, name string, content []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// shanghaiNoon is a fixed working-day noon, for tests that build their own server.
func shanghaiNoon() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, shanghai) }
