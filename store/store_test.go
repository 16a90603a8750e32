package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-sqlite3"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// cst is the policy time zone of the fixtures: times given to the store in it must come back as the same
// instants, in UTC.
var cst = time.FixedZone("CST", 8*60*60)

// testNow is the clock of every store under test, at the microsecond precision the service keeps.
var testNow = time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC)

func clock() time.Time { return testNow }

// date is calendar.NewDate, shorter.
func date(y int, m time.Month, d int) calendar.Date { return calendar.NewDate(y, m, d) }

// dateP returns a pointer to a date.
func dateP(y int, m time.Month, d int) *calendar.Date {
	v := date(y, m, d)
	return &v
}

func ptr[T any](v T) *T { return &v }

// minimalRequest is a request with only the fields every request has: no queue, assignee, reply or pause.
func minimalRequest(id, ref string) *service.Request {
	received := time.Date(2026, 3, 2, 10, 15, 30, 123456000, cst)
	due := date(2026, 3, 23)
	return &service.Request{
		ID: id, Reference: ref, Type: service.TypeAccess, Status: service.StatusOpen,
		Subject:    service.Subject{Name: "Li Lei"},
		Details:    service.Details{Categories: []string{"profile"}},
		Channel:    service.ChannelWebForm,
		Policy:     "pipl",
		ReceivedAt: received,
		Due:        service.Due{Date: due, At: due.EndOfDay(cst)},
		Clock:      service.Clock{Start: date(2026, 3, 2), Budget: 15},
		Locale:     "en",
		CreatedBy:  "u-intake",
		CreatedAt:  received.Add(time.Second),
		UpdatedAt:  received.Add(time.Second),
	}
}

// fullRequest is a request with every field set, times in CST at microsecond precision.
func fullRequest(id, ref string) *service.Request {
	r := minimalRequest(id, ref)
	paused := date(2026, 3, 10)
	replied := time.Date(2026, 3, 20, 11, 0, 0, 654321000, cst)
	r.Type = service.TypeRectification
	r.Subject = service.Subject{Name: "张三", Email: "zhang@example.com", Phone: "+86 138 0000 0000",
		AccountID: "acct-7", IsMinor: true,
		Guardian: &service.Guardian{Name: "张父", Email: "father@example.com", Relationship: "father"}}
	r.Details = service.Details{
		Categories:  []string{"profile", "orders"},
		Corrections: []service.Correction{{Field: "address", CurrentValue: "Old Rd 1", CorrectedValue: "New Rd 2"}},
		Ground:      service.GroundUnlawfulProcessing,
		Explanation: "multi-line\nexplanation with \"quotes\" and 中文",
		Purposes:    []string{"marketing", "profiling"},
		AccountID:   "acct-7",
		Format:      "json",
		Recipient:   &service.Recipient{Name: "Other Co", Endpoint: "https://other.example/import"},
	}
	r.Channel = service.ChannelLetter
	r.Policy = "pipl-minor"
	r.ExternalID = "crm-4711"
	r.Due = service.Due{Date: date(2026, 3, 25), At: date(2026, 3, 25).EndOfDay(cst), Provisional: true}
	r.Clock = service.Clock{Start: date(2026, 3, 12), Used: 6, Budget: 30, Paused: &paused}
	r.QueueID = "q-minors"
	r.AssigneeID = "u-officer"
	r.EscalationLevel = "dpo"
	r.RepliedAt = &replied
	r.ClosedAt = ptr(replied.Add(time.Millisecond))
	r.Status = service.StatusDenied
	r.Outcome = service.StatusDenied
	r.DenialReason = service.DenialLegalObligation
	r.ReplyMessage = "We must keep your orders for 3 years.\n法律要求保留。"
	r.DuplicateOf = "r-original"
	r.PossibleDuplicateOf = "r-similar"
	r.SubjectIndex = "hmac:4f2a"
	r.VerifiedAt = ptr(time.Date(2026, 3, 3, 8, 45, 1, 999999000, cst))
	r.Locale = "zh-CN"
	r.CreatedBy = "u-admin"
	r.UpdatedAt = replied.Add(time.Microsecond)
	return r
}

// setState gives r a status and what goes with it: closed at at when the status is terminal, replied to at at
// when it is fulfilled or denied, neither otherwise.
func setState(r *service.Request, status service.Status, at time.Time) {
	r.Status = status
	r.RepliedAt, r.ClosedAt, r.Outcome, r.DenialReason, r.ReplyMessage = nil, nil, "", "", ""
	if status == service.StatusFulfilled || status == service.StatusDenied {
		r.RepliedAt, r.Outcome = &at, status
	}
	if status.Terminal() {
		r.ClosedAt = &at
	}
}

// mustCreate inserts requests outside a transaction.
func mustCreate(tb testing.TB, st service.Store, rs ...*service.Request) {
	tb.Helper()
	for _, r := range rs {
		if err := st.CreateRequest(context.Background(), r); err != nil {
			tb.Fatalf("CreateRequest(%s): %v", r.ID, err)
		}
	}
}

// wantCode fails unless err carries the service error code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := service.ErrorCode(err); got != code {
		tb.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func TestOpenMigrateTwiceAndReopen(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if got, want := st.Dialect(), db.Dialect; got != want {
				t.Errorf("Dialect() = %q, want %q", got, want)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			want := fullRequest("r-1", "DSR-2026-000001")
			mustCreate(t, st, want)

			// A second store on the same database, migrated a third time, sees the committed request.
			other := storetest.MustOpen(t, db, clock)
			got, err := other.FindRequest(ctx, want.ID)
			if err != nil {
				t.Fatalf("second store FindRequest: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second store sees (-want +got):\n%s", diff)
			}
			// And the first sees what the second commits.
			want2 := minimalRequest("r-2", "DSR-2026-000002")
			mustCreate(t, other, want2)
			got2, err := st.FindRequest(ctx, want2.ID)
			if err != nil {
				t.Fatalf("first store FindRequest: %v", err)
			}
			if diff := cmp.Diff(want2, got2); diff != "" {
				t.Errorf("first store sees (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentMigratePostgres(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			if db.Dialect != store.Postgres {
				t.Skip("replicas migrating at once is a PostgreSQL deployment; SQLite has one process")
			}
			ctx := t.Context()
			const replicas = 4
			stores := make([]*store.Store, replicas)
			for i := range stores {
				st, err := store.Open(ctx, db.DSN, store.Options{Now: clock, Sealer: storetest.TestKeys(t, db.DSN)})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				t.Cleanup(func() { st.Close() })
				stores[i] = st
			}
			var wg sync.WaitGroup
			errs := make([]error, replicas)
			for i, st := range stores {
				wg.Go(func() { errs[i] = st.Migrate(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d Migrate: %v", i, err)
				}
			}
			mustCreate(t, stores[0], minimalRequest("r-1", "DSR-2026-000001"))
			if _, err := stores[replicas-1].FindRequest(ctx, "r-1"); err != nil {
				t.Errorf("FindRequest after concurrent migrations: %v", err)
			}
		})
	}
}

func TestSQLiteFileIsWALWithForeignKeys(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)

			// Foreign keys are enforced on every dialect: a token needs its user.
			err := st.CreateToken(ctx, &service.Token{ID: "t-1", UserID: "nobody", Name: "orphan",
				SecretHash: "h-orphan", CreatedAt: testNow})
			if err == nil {
				t.Errorf("CreateToken for a missing user succeeded; foreign keys are not enforced")
			}
			// Same for an idempotency key naming no request.
			err = st.CreateIdempotencyKey(ctx, &service.IdempotencyRecord{Scope: "u-1", Key: "k",
				Fingerprint: "f", RequestID: "no-such-request", CreatedAt: testNow})
			if err == nil {
				t.Errorf("CreateIdempotencyKey for a missing request succeeded; foreign keys are not enforced")
			}

			if db.Dialect != store.SQLite {
				return
			}
			raw, err := sql.Open("sqlite3", db.DSN)
			if err != nil {
				t.Fatalf("open raw sqlite: %v", err)
			}
			defer raw.Close()
			var mode string
			if err := raw.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatalf("PRAGMA journal_mode: %v", err)
			}
			if got, want := mode, "wal"; got != want {
				t.Errorf("journal_mode = %q, want %q", got, want)
			}
			var tables int
			if err := raw.QueryRowContext(ctx,
				"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'requests'").Scan(&tables); err != nil {
				t.Fatalf("look for the requests table: %v", err)
			}
			if got, want := tables, 1; got != want {
				t.Errorf("requests tables in %s = %d, want %d (the store wrote another file?)", db.DSN, got, want)
			}
		})
	}
}

func TestOpenSQLiteInMissingDirectoryFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "rightsdesk.db")
	st, err := store.Open(t.Context(), path, store.Options{Sealer: storetest.TestKeys(t, path)})
	if err == nil {
		st.Close()
		t.Fatalf("Open(%s) succeeded, want an error", path)
	}
}

// There is no store that keeps personal data in clear: Open refuses to start without the keys.
func TestOpenWithoutSealerFails(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st, err := store.Open(t.Context(), db.DSN, store.Options{Now: clock})
			if err == nil {
				st.Close()
				t.Fatal("Open without a Sealer succeeded, want an error")
			}
			if !strings.Contains(err.Error(), "Sealer") {
				t.Errorf("Open without a Sealer: %v, want it to name the option", err)
			}
		})
	}
}

// A SQLite path is a file path, not a URI: characters a URI gives meaning to must not move the database.
func TestSQLitePathWithURICharacters(t *testing.T) {
	for test, name := range map[string]string{
		"space": "with space", "hash": "with#hash", "question": "with?question", "percent": "with%41percent",
	} {
		// The test's name is in its temporary directory's: it must hold none of these characters.
		t.Run(test, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db := storetest.DB{Dialect: store.SQLite, DSN: filepath.Join(dir, "rightsdesk.db")}
			st, err := store.Open(t.Context(), db.DSN, store.Options{Now: clock, Sealer: storetest.TestKeys(t, db.DSN)})
			if err != nil {
				t.Fatalf("Open(%s): %v", db.DSN, err)
			}
			defer st.Close()
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			if _, err := os.Stat(db.DSN); err != nil {
				t.Errorf("the database is not at the path given: %v", err)
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if diff := cmp.Diff([]string{name}, got); diff != "" {
				t.Errorf("files beside the database's directory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsPostgres(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h/db?sslmode=disable", true},
		{"/var/lib/rightsdesk/rightsdesk.db", false},
		{"rightsdesk.db", false},
		{"file:postgres://x", false},
	} {
		if got := store.IsPostgres(tc.dsn); got != tc.want {
			t.Errorf("IsPostgres(%q) = %v, want %v", tc.dsn, got, tc.want)
		}
	}
}

func TestPingAndClose(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if err := st.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			wantCode(t, "Ping after Close", st.Ping(ctx), service.EUNAVAILABLE)
			if _, err := st.FindRequest(ctx, "r-1"); err == nil {
				t.Errorf("FindRequest after Close succeeded")
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := st.FindRequest(ctx, "r-1"); !errors.Is(err, context.Canceled) {
				t.Errorf("FindRequest with a canceled context: %v, want context.Canceled", err)
			}
			err := st.WithTx(ctx, func(tx service.Store) error { return nil })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("WithTx with a canceled context: %v, want context.Canceled", err)
			}
			// The store still works afterwards.
			if _, err := st.FindRequest(t.Context(), "r-1"); err != nil {
				t.Errorf("FindRequest after a canceled call: %v", err)
			}
		})
	}
}
