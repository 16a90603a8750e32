package seed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
)

// version names the shape of seeded tables: change it when Seed changes, so that stale copies are not reused.
const version = 3

// Target says where seeded databases live: SQLite files in Dir, or databases on the PostgreSQL server of
// PostgresDSN (created beside its database, named rdbench_*).
type Target struct {
	Dialect     string // store.SQLite or store.Postgres
	Dir         string
	PostgresDSN string
}

// Prepare returns a seeded database for opt, seeding it only when no earlier run has (seeding a million rows takes
// minutes; the measurements copy it instead).
func Prepare(ctx context.Context, tg Target, opt Options) (Fixture, error) {
	name := fmt.Sprintf("rdbench_seed_%d_%d_v%d", opt.Rows, opt.Due, version)
	if tg.Dialect == store.Postgres {
		return preparePostgres(ctx, tg, name, opt)
	}
	path := filepath.Join(tg.Dir, name+".db")
	if b, err := os.ReadFile(path + ".json"); err == nil {
		var fx Fixture
		if err := json.Unmarshal(b, &fx); err == nil {
			fx.DSN = path
			return fx, nil
		}
	}
	if err := os.MkdirAll(tg.Dir, 0o755); err != nil {
		return Fixture{}, err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".json"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Fixture{}, err
		}
	}
	fx, err := seedAt(ctx, path, opt)
	if err != nil {
		return fx, err
	}
	// Closing the last connection checkpoints the WAL into the file; a file copy is then the whole database.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return fx, fmt.Errorf("seed %s: the WAL was not checkpointed on close", path)
	}
	b, _ := json.MarshalIndent(fx, "", "  ")
	return fx, os.WriteFile(path+".json", b, 0o644)
}

// seedAt opens, migrates and seeds the database at dsn.
func seedAt(ctx context.Context, dsn string, opt Options) (Fixture, error) {
	st, svc, err := OpenStack(ctx, dsn, func() time.Time { return Now })
	if err != nil {
		return Fixture{}, err
	}
	defer st.Close()
	fx, err := Seed(ctx, st, svc, opt)
	fx.DSN = dsn
	if err != nil {
		return fx, err
	}
	return fx, st.Close()
}

// OpenStack wires a store and a service on dsn as cmd/rightsdesk does: migrated, personal data sealed under
// EncryptionKey, the keyed-hash secret loaded from the database.
func OpenStack(ctx context.Context, dsn string, now func() time.Time) (*store.Store, *service.Service, error) {
	keys, err := benchKeys()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, dsn, store.Options{Now: now, Sealer: keys})
	if err != nil {
		return nil, nil, err
	}
	svc, err := openService(ctx, st, now, keys)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, svc, nil
}

// benchKeys is the keyring of EncryptionKey.
func benchKeys() (*service.Keys, error) {
	master, err := base64.StdEncoding.DecodeString(EncryptionKey)
	if err != nil {
		return nil, err
	}
	return service.NewKeyring(master)
}

func openService(ctx context.Context, st *store.Store, now func() time.Time, keys *service.Keys) (*service.Service, error) {
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := service.LoadKeys(ctx, st, keys); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return service.New(ctx, service.Config{Store: st, Now: now, Keys: keys, DPOEmail: "dpo@staff.example",
		PublicURL: "https://privacy.example.com"})
}

func preparePostgres(ctx context.Context, tg Target, name string, opt Options) (Fixture, error) {
	admin, err := pgx.Connect(ctx, tg.PostgresDSN)
	if err != nil {
		return Fixture{}, fmt.Errorf("connect to %s: %w", tg.PostgresDSN, err)
	}
	defer admin.Close(ctx)
	dsn, err := databaseDSN(tg.PostgresDSN, name)
	if err != nil {
		return Fixture{}, err
	}
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return Fixture{}, err
	}
	if exists {
		if fx, err := readPostgresFixture(ctx, dsn); err == nil {
			return fx, nil
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return Fixture{}, err
		}
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return Fixture{}, err
	}
	if opt.Writers == 0 {
		opt.Writers = 2
	}
	fx, err := seedAt(ctx, dsn, opt)
	if err != nil {
		return fx, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fx, err
	}
	defer conn.Close(ctx)
	// Autovacuum would analyse the new rows within a minute or so; do it now so that every run plans alike.
	b, _ := json.Marshal(fx)
	for _, q := range []string{"ANALYZE", "CREATE TABLE bench_fixture (fixture TEXT NOT NULL)"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fx, fmt.Errorf("%s: %w", q, err)
		}
	}
	_, err = conn.Exec(ctx, "INSERT INTO bench_fixture (fixture) VALUES ($1)", string(b))
	return fx, err
}

func readPostgresFixture(ctx context.Context, dsn string) (Fixture, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Fixture{}, err
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, "SELECT fixture FROM bench_fixture").Scan(&s); err != nil {
		return Fixture{}, err
	}
	var fx Fixture
	err = json.Unmarshal([]byte(s), &fx)
	fx.DSN = dsn
	return fx, err
}

// Copy makes a fresh copy of a prepared database, for a measurement that writes (the sweep): a file copy, or
// CREATE DATABASE ... TEMPLATE. drop removes it.
func Copy(ctx context.Context, tg Target, fx Fixture, dir string) (copied Fixture, drop func() error, err error) {
	copied = fx
	var b [6]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	if tg.Dialect != store.Postgres {
		copied.DSN = filepath.Join(dir, "rdbench_copy_"+suffix+".db")
		if err := copyFile(fx.DSN, copied.DSN); err != nil {
			return fx, nil, err
		}
		return copied, func() error {
			var errs []error
			for _, p := range []string{copied.DSN, copied.DSN + "-wal", copied.DSN + "-shm"} {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		}, nil
	}
	u, err := url.Parse(fx.DSN)
	if err != nil {
		return fx, nil, err
	}
	name := "rdbench_copy_" + suffix
	admin, err := pgx.Connect(ctx, tg.PostgresDSN)
	if err != nil {
		return fx, nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+strings.TrimPrefix(u.Path, "/")); err != nil {
		return fx, nil, fmt.Errorf("copy %s: %w", u.Path, err)
	}
	if copied.DSN, err = databaseDSN(tg.PostgresDSN, name); err != nil {
		return fx, nil, err
	}
	return copied, func() error { return dropDatabase(tg.PostgresDSN, name) }, nil
}

// DropAll drops every database named rdbench_* on the server of pgDSN and returns their names.
func DropAll(ctx context.Context, pgDSN string) ([]string, error) {
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'rdbench\\_%'")
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+n+" WITH (FORCE)"); err != nil {
			return names, err
		}
	}
	return names, nil
}

func dropDatabase(pgDSN, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// databaseDSN is pgDSN naming another database on the same server, in its public schema.
func databaseDSN(pgDSN, name string) (string, error) {
	u, err := url.Parse(pgDSN)
	if err != nil {
		return "", fmt.Errorf("postgres DSN: %w", err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
