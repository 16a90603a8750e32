// Package store keeps Rightsdesk's data in SQLite (the embedded default) or PostgreSQL through GORM. It is the
// only package that knows GORM; it implements service.Store and translates every database error to a
// service error code.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/rightsdesk/rightsdesk/service"
)

//go:embed migrations
var migrations embed.FS

// Dialects the store speaks.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store implements service.Store. Outside a transaction, reads go to the read pool; writes and transactions go
// to the writer (on SQLite one connection, so writers queue in Go instead of failing with "database is locked").
type Store struct {
	dialect string
	w       *gorm.DB // writer, or the transaction
	r       *gorm.DB // reader pool, or the transaction
	long    *gorm.DB // SQLite: a reader of its own for long reads (dashboard, reports); else r
	inTx    bool
	closers []*sql.DB
	sealer  Sealer        // seals personal data; never nil
	commit  *committer    // runs WithTx; nil inside a transaction
	ckpt    *checkpointer // SQLite: checkpoints the WAL off the writer; nil on PostgreSQL and in a transaction
	audit   *groupAudit   // inside a group's transaction: the chain as the group sees it (see groupAudit)
}

var _ service.Store = (*Store)(nil)

// Options tune Open.
type Options struct {
	// Now is GORM's clock; the service's clock, so that nothing in the database has another time.
	Now func() time.Time
	// ReadConns bounds the SQLite read pool; default the number of CPUs Go uses, at least 2. A SQLite read is
	// CPU work on pages the OS caches, and readers beyond the cores only took turns on them: with 4 on 2 cores
	// the slowest listing pages under load waited 25% longer than with 2 (docs/performance.md, "Listing").
	// Long reads (the dashboard's aggregates, reports) have a connection of their own besides, so that they
	// never hold the readers that pages wait for.
	ReadConns int
	// Sealer encrypts the columns that hold personal data (the operator's keyring, service.Keys). Required:
	// there is no store that keeps personal data in clear.
	Sealer Sealer
}

// Open connects to dsn: a `postgres://` or `postgresql://` URL, or else a SQLite file path. It does not migrate.
// Sealer is the keyring the store seals personal data with: the service's keys, which the program opens the
// store with and gives the service too.
func (s *Store) Sealer() Sealer { return s.sealer }

func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.Sealer == nil {
		return nil, errors.New("store: Options.Sealer is required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = max(2, runtime.GOMAXPROCS(0))
	}
	cfg := func() *gorm.Config {
		return &gorm.Config{
			TranslateError: true,
			NowFunc:        func() time.Time { return opt.Now().UTC() },
			Logger:         logger.Discard,
			PrepareStmt:    true,
		}
	}
	if IsPostgres(dsn) {
		// pgx prepares and caches statements per connection itself; GORM's own preparation would add a round
		// trip and a second cache.
		pgCfg := cfg()
		pgCfg.PrepareStmt = false
		db, err := gorm.Open(postgres.Open(dsn), pgCfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		s := &Store{dialect: Postgres, w: db, r: db, long: db, closers: []*sql.DB{sqlDB}, sealer: opt.Sealer}
		if err := s.Ping(ctx); err != nil {
			sqlDB.Close()
			return nil, err
		}
		s.commit = newCommitter(s, sqlDB)
		return s, nil
	}
	if err := createPrivateFile(dsn); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	var closers []*sql.DB
	fail := func(what string, err error) (*Store, error) {
		for _, c := range closers {
			c.Close()
		}
		return nil, fmt.Errorf("open sqlite %s%s: %w", dsn, what, err)
	}
	// pool opens one of the store's connection pools on the file, of at most n connections.
	pool := func(driver string, readOnly bool, n int) (*gorm.DB, *sql.DB, error) {
		g, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: driver, DSN: sqliteDSN(dsn, readOnly)}), cfg())
		if err != nil {
			return nil, nil, err
		}
		db, err := g.DB()
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, db)
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxLifetime(0)
		return g, db, nil
	}
	registerWriterDriver()
	w, wDB, err := pool(writerDriver, false, 1)
	if err != nil {
		return fail("", err)
	}
	// The first connection creates the file and switches it to WAL before the readers open it.
	if err := wDB.PingContext(ctx); err != nil {
		return fail("", err)
	}
	r, rDB, err := pool("sqlite3", true, opt.ReadConns)
	if err != nil {
		return fail(" for reading", err)
	}
	long, longDB, err := pool("sqlite3", true, 1)
	if err != nil {
		return fail(" for long reads", err)
	}
	ckpt, err := startCheckpointer(ctx, sqliteDSN(dsn, false))
	if err != nil {
		return fail(" for checkpoints", err)
	}
	s := &Store{dialect: SQLite, w: w, r: r, long: long, closers: []*sql.DB{wDB, rDB, longDB}, sealer: opt.Sealer,
		ckpt: ckpt}
	s.commit = newCommitter(s, wDB)
	return s, nil
}

// createPrivateFile creates the database file readable and writable by its owner only (0600), before SQLite
// would create it with the process's default mode (commonly 0644: readable by every local user). SQLite gives
// the -wal and -shm files it makes the mode of the database file, so they are 0600 too. An existing file is
// left as it is: its mode is the operator's choice. A missing directory is not created (Open fails).
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqliteDSN sets the pragmas every connection needs: WAL (readers never block the writer), IMMEDIATE
// transactions (a writer takes the lock at BEGIN, so no transaction fails on upgrade), a busy timeout for other
// processes, foreign keys, and synchronous=FULL (a 201 survives power loss; see docs/operations.md); and a
// larger page cache for the readers.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "FULL")
	if readOnly {
		q.Set("_query_only", "1")
		// 16 MiB of page cache for each reader instead of SQLite's 2: a listing's rows lie on pages all over a
		// large table, and re-reading them from the OS cost a tenth of a page's CPU (docs/performance.md).
		q.Set("_cache_size", "-16384")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes what a SQLite URI filename would read as its query, fragment or an escape.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Dialect is SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Close closes every connection.
func (s *Store) Close() error {
	if s.commit != nil {
		s.commit.close()
	}
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Migrate brings the schema to the newest version. Safe to run from several replicas at once on PostgreSQL
// (an advisory lock serialises them); on SQLite the single writer does.
func (s *Store) Migrate(ctx context.Context) error {
	sqlDB, err := s.w.DB()
	if err != nil {
		return err
	}
	sub, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// WithTx runs fn in one transaction on the writer: fn's writes commit together or not at all, and WithTx
// returns only after they are durable. Transactions offered at the same time commit as a group (see committer).
// Inside a transaction, WithTx runs fn in it.
func (s *Store) WithTx(ctx context.Context, fn func(tx service.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.commit.run(ctx, fn)
}

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return &service.Error{Code: service.EUNAVAILABLE, Message: "the database does not answer"}
	}
	return nil
}

// formatError translates GORM and driver errors to service errors; service errors pass through.
func formatError(err error) error {
	var se *service.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return service.Errorf(service.ENOTFOUND, "not found")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return &service.Error{Code: service.ECONFLICT, Message: "it exists already"}
	}
	return fmt.Errorf("store: %w", err)
}

// utc normalises times before they are written, so that SQLite's text timestamps sort in time order.
func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
