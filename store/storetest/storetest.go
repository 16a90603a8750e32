// Package storetest opens real, migrated databases for tests: a SQLite file in a temporary directory, and a
// fresh schema of the PostgreSQL server named by RIGHTSDESK_TEST_POSTGRES_DSN when it is set.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
)

// PostgresDSNEnv names the variable that enables the PostgreSQL tests.
const PostgresDSNEnv = "RIGHTSDESK_TEST_POSTGRES_DSN"

// DB is a database a test may open stores on.
type DB struct {
	Dialect string
	DSN     string
}

// Dialects returns a fresh, empty database of each dialect available: SQLite always, PostgreSQL when
// RIGHTSDESK_TEST_POSTGRES_DSN is set. Each lives until the test ends.
func Dialects(tb testing.TB) []DB {
	tb.Helper()
	dbs := []DB{SQLite(tb)}
	if os.Getenv(PostgresDSNEnv) != "" {
		dbs = append(dbs, Postgres(tb))
	}
	return dbs
}

// SQLite returns a new SQLite file path in the test's temporary directory.
func SQLite(tb testing.TB) DB {
	tb.Helper()
	return DB{Dialect: store.SQLite, DSN: filepath.Join(tb.TempDir(), "rightsdesk.db")}
}

// Postgres returns a DSN whose search_path is a new schema, dropped when the test ends. It skips the test when
// RIGHTSDESK_TEST_POSTGRES_DSN is unset.
func Postgres(tb testing.TB) DB {
	tb.Helper()
	base := os.Getenv(PostgresDSNEnv)
	if base == "" {
		tb.Skip(PostgresDSNEnv + " is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rdtest_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", PostgresDSNEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresDSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return DB{Dialect: store.Postgres, DSN: u.String()}
}

// MustOpen opens and migrates a store on db under the database's test keyring, closed when the test ends.
func MustOpen(tb testing.TB, db DB, now func() time.Time) *store.Store {
	tb.Helper()
	return MustOpenSealed(tb, db, now, TestKeys(tb, db.DSN))
}

// MustOpenSealed opens and migrates a store on db that seals under keys, closed when the test ends: a second
// store on the same database with other keys is the program restarted with a rotated keyring.
func MustOpenSealed(tb testing.TB, db DB, now func() time.Time, keys store.Sealer) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db.DSN, store.Options{Now: now, Sealer: keys})
	if err != nil {
		tb.Fatalf("open %s store: %v", db.Dialect, err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s store: %v", db.Dialect, err)
	}
	return st
}

// TestKeys is the keyring of a test database, so that every test stores personal data sealed, as production
// does; stores opened on the same database share it.
func TestKeys(tb testing.TB, dsn string) *service.Keys {
	tb.Helper()
	master := sha256.Sum256([]byte("rightsdesk test key " + dsn))
	k, err := service.NewKeys(master[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// KeysOf is the keyring st seals with, for the service over it: the service and the store share one keyring,
// as in the program.
func KeysOf(st *store.Store) *service.Keys {
	k, ok := st.Sealer().(*service.Keys)
	if !ok {
		panic("storetest: the store was opened with a sealer that is not a *service.Keys")
	}
	return k
}

// Clock is a settable clock for tests, safe for concurrent use: pass its Now as the service's and store's clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads t until it is Set.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Raw opens db around the store, as someone with access to the database file or server would: to look at what
// is stored, or to tamper with it. It is closed when the test ends.
func Raw(tb testing.TB, db DB) *sql.DB {
	tb.Helper()
	driver := "sqlite3"
	if db.Dialect == store.Postgres {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, db.DSN)
	if err != nil {
		tb.Fatalf("open %s directly: %v", db.Dialect, err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}
