package datasys

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the pgx driver for database/sql

	"github.com/rightsdesk/rightsdesk/service"
)

// dialect is what differs between PostgreSQL and MySQL/MariaDB: quoting, placeholders, where the schema is, how
// a statement is bounded in time, and what an error means.
type dialect struct {
	kind   service.DataSystemKind
	driver string
}

func dialectOf(kind service.DataSystemKind) (dialect, error) {
	switch kind {
	case service.KindPostgres:
		return dialect{kind, "pgx"}, nil
	case service.KindMySQL:
		return dialect{kind, "mysql"}, nil
	}
	return dialect{}, service.Errorf(service.EINVALID, "kind %s is not a SQL data system", kind)
}

// quote quotes an identifier the schema was checked to have. Identifiers are checked against
// service.DatasetMap's pattern too, so no quote character can be in one; doubling it is a second fence.
func (d dialect) quote(id string) string {
	if d.kind == service.KindMySQL {
		return "`" + strings.ReplaceAll(id, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

// placeholder is the nth bound parameter (from 1).
func (d dialect) placeholder(n int) string {
	if d.kind == service.KindMySQL {
		return "?"
	}
	return fmt.Sprintf("$%d", n)
}

// schemaFilter is the condition on information_schema's table_schema that names the connection's own schema.
func (d dialect) schemaFilter() string {
	if d.kind == service.KindMySQL {
		return "table_schema = DATABASE()"
	}
	return "table_schema = current_schema()"
}

// bound sets the transaction's statement timeout. PostgreSQL: statement_timeout, local to the transaction.
// MariaDB: max_statement_time (seconds, every statement). MySQL: max_execution_time (milliseconds, SELECT only)
// and innodb_lock_wait_timeout (seconds, at least 1) for the writes.
func (d dialect) bound(ctx context.Context, tx *sql.Tx, timeout time.Duration) error {
	ms := timeout.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if d.kind == service.KindPostgres {
		_, err := tx.ExecContext(ctx, "SELECT set_config('statement_timeout', $1, true)", fmt.Sprint(ms))
		return err
	}
	var version string
	if err := tx.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return err
	}
	// The values are integers formatted here, never caller text: SET takes no bound parameters on every server.
	if strings.Contains(strings.ToLower(version), "mariadb") {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %d.%03d", ms/1000, ms%1000))
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_execution_time = %d", ms)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION innodb_lock_wait_timeout = %d", (ms+999)/1000))
	return err
}

// timedOut reports whether err is a statement that ran past its timeout (or waited past it for a lock).
func timedOut(err error) bool {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &pg):
		return pg.Code == "57014" || pg.Code == "55P03"
	case errors.As(err, &my):
		return my.Number == 1969 || my.Number == 3024 || my.Number == 1205 || my.Number == 1317
	}
	return false
}

// pgCodes and myCodes name the refusals an operator meets most; the others are answered by their code.
var (
	pgCodes = map[string]string{"23503": "foreign_key_violation", "23505": "unique_violation",
		"23502": "not_null_violation", "42501": "insufficient_privilege", "22001": "string_data_right_truncation",
		"22P02": "invalid_text_representation", "42P01": "undefined_table", "42703": "undefined_column",
		"25006": "read_only_sql_transaction", "40001": "serialization_failure", "40P01": "deadlock_detected"}
	myCodes = map[uint16]string{1451: "a foreign key refuses the delete or update", 1452: "foreign key",
		1062: "duplicate key", 1048: "column cannot be null", 1142: "command denied to the role",
		1143: "column access denied to the role", 1406: "data too long for the column", 1292: "incorrect value",
		1366: "incorrect value", 1146: "table does not exist", 1054: "unknown column", 1213: "deadlock",
		1792: "read-only transaction"}
)

// describe words a database error without the values some drivers put in their messages (MySQL's duplicate
// entry, PostgreSQL's invalid input): only the code and its name.
func describe(err error) string {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	switch {
	case errors.As(err, &pg):
		if name := pgCodes[pg.Code]; name != "" {
			return fmt.Sprintf("PostgreSQL refused the statement: %s (SQLSTATE %s)", name, pg.Code)
		}
		return fmt.Sprintf("PostgreSQL refused the statement (SQLSTATE %s)", pg.Code)
	case errors.As(err, &my):
		if name := myCodes[my.Number]; name != "" {
			return fmt.Sprintf("MySQL refused the statement: %s (error %d)", name, my.Number)
		}
		return fmt.Sprintf("MySQL refused the statement (error %d)", my.Number)
	}
	return ""
}

// password is the DSN's password, kept out of every message.
func password(kind service.DataSystemKind, dsn string) string {
	if kind == service.KindMySQL {
		if cfg, err := mysql.ParseDSN(dsn); err == nil {
			return cfg.Passwd
		}
		return ""
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	for _, kv := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(kv, "password="); ok {
			return strings.Trim(v, "'")
		}
	}
	return ""
}

// connectError words a failure to connect, without the DSN's password.
func connectError(kind service.DataSystemKind, dsn string, err error) error {
	msg := err.Error()
	if d := describe(err); d != "" {
		msg = d
	}
	if p := password(kind, dsn); p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return service.Errorf(service.EUNAVAILABLE, "cannot connect to the database: %s", msg)
}
