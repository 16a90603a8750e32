// Package datasystest makes company databases for tests: a fresh PostgreSQL schema on the server named by
// RIGHTSDESK_TEST_POSTGRES_DSN, and a fresh MySQL/MariaDB database on the server named by
// RIGHTSDESK_TEST_MYSQL_DSN, each loaded with the example shop of docs/examples and dropped when the test ends.
package datasystest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql

	"github.com/rightsdesk/rightsdesk/service"
)

// MySQLDSNEnv names the variable that enables the MySQL/MariaDB tests, e.g. root@tcp(127.0.0.1:3306)/test.
const MySQLDSNEnv = "RIGHTSDESK_TEST_MYSQL_DSN"

// PostgresDSNEnv names the variable that enables the PostgreSQL tests.
const PostgresDSNEnv = "RIGHTSDESK_TEST_POSTGRES_DSN"

// DB is a company database made for one test.
type DB struct {
	Kind service.DataSystemKind
	Name string // the PostgreSQL schema or the MySQL database
	DSN  string
	SQL  *sql.DB // the test's own connection, to look at and change the data behind the connector's back
}

// Exec runs statements (separated by ";" at the end of a line) and fails the test on the first error.
func (d DB) Exec(tb testing.TB, statements string) {
	tb.Helper()
	for _, st := range split(statements) {
		if _, err := d.SQL.Exec(st); err != nil {
			tb.Fatalf("%s: %v", st, err)
		}
	}
}

// Count answers SELECT COUNT(*) FROM table WHERE cond.
func (d DB) Count(tb testing.TB, table, cond string, args ...any) int {
	tb.Helper()
	var n int
	if err := d.SQL.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE "+cond, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// Shops returns the example shop in every database available: PostgreSQL and MySQL/MariaDB when their
// variables are set.
func Shops(tb testing.TB) []DB {
	tb.Helper()
	var out []DB
	if os.Getenv(PostgresDSNEnv) != "" {
		out = append(out, Shop(tb, service.KindPostgres))
	}
	if os.Getenv(MySQLDSNEnv) != "" {
		out = append(out, Shop(tb, service.KindMySQL))
	}
	if len(out) == 0 {
		tb.Skip(PostgresDSNEnv + " and " + MySQLDSNEnv + " are not set")
	}
	return out
}

// Shop returns a fresh database of kind loaded with the example shop; the test is skipped when the kind's
// variable is unset.
func Shop(tb testing.TB, kind service.DataSystemKind) DB {
	tb.Helper()
	d := Empty(tb, kind)
	file := "shop-postgres.sql"
	if kind == service.KindMySQL {
		file = "shop-mysql.sql"
	}
	d.Exec(tb, Example(tb, file))
	d.Exec(tb, Example(tb, "shop-data.sql"))
	return d
}

// Example returns a file of docs/examples.
func Example(tb testing.TB, name string) string {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "docs", "examples", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Roles runs docs/examples' GRANT script for the shop on d, with role names of the test's own, and answers the
// collector's and the eraser's DSNs. The roles are dropped when the test ends.
func (d DB) Roles(tb testing.TB) (collector, eraser string) {
	tb.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := "_" + hex.EncodeToString(b[:])
	file, drop := "grants-postgres.sql", "DROP OWNED BY %[1]s;\nDROP ROLE %[1]s"
	if d.Kind == service.KindMySQL {
		file, drop = "grants-mysql.sql", "DROP USER '%[1]s'@'%%'"
	}
	script := strings.NewReplacer("SCHEMA shop", "SCHEMA "+d.Name, "shop.*", d.Name+".*",
		"rd_collector", "rd_collector"+suffix, "rd_eraser", "rd_eraser"+suffix).Replace(Example(tb, file))
	d.Exec(tb, script)
	tb.Cleanup(func() {
		for _, role := range []string{"rd_collector" + suffix, "rd_eraser" + suffix} {
			for _, st := range split(fmt.Sprintf(drop, role) + ";") {
				if _, err := d.SQL.Exec(st); err != nil {
					tb.Errorf("%s: %v", st, err)
				}
			}
		}
	})
	dsn := func(user, pass string) string {
		if d.Kind == service.KindMySQL {
			cfg, err := mysql.ParseDSN(d.DSN)
			if err != nil {
				tb.Fatal(err)
			}
			cfg.User, cfg.Passwd = user, pass
			return cfg.FormatDSN()
		}
		u, err := url.Parse(d.DSN)
		if err != nil {
			tb.Fatal(err)
		}
		u.User = url.UserPassword(user, pass)
		return u.String()
	}
	return dsn("rd_collector"+suffix, "change-me"), dsn("rd_eraser"+suffix, "change-me-too")
}

// Empty returns a fresh, empty database of kind.
func Empty(tb testing.TB, kind service.DataSystemKind) DB {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "shop_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var base, driver, dsn, drop string
	switch kind {
	case service.KindPostgres:
		base, driver = os.Getenv(PostgresDSNEnv), "pgx"
		if base == "" {
			tb.Skip(PostgresDSNEnv + " is not set")
		}
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		dsn, drop = u.String(), "DROP SCHEMA "+name+" CASCADE"
		exec(tb, ctx, driver, base, "CREATE SCHEMA "+name)
	case service.KindMySQL:
		base, driver = os.Getenv(MySQLDSNEnv), "mysql"
		if base == "" {
			tb.Skip(MySQLDSNEnv + " is not set")
		}
		cfg, err := mysql.ParseDSN(base)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.DBName = name
		dsn, drop = cfg.FormatDSN(), "DROP DATABASE "+name
		exec(tb, ctx, driver, base, "CREATE DATABASE "+name)
	default:
		tb.Fatalf("no test database of kind %s", kind)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		exec(tb, ctx, driver, base, drop)
	})
	return DB{Kind: kind, Name: name, DSN: dsn, SQL: db}
}

func exec(tb testing.TB, ctx context.Context, driver, dsn, statement string) {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		tb.Fatalf("%s: %v", statement, err)
	}
}

// split cuts a script into statements at ";" ending a line, dropping comment lines.
func split(script string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if st := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")); st != "" {
				out = append(out, st)
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}
