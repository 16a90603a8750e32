package datasys

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
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

// parseDSN refuses a DSN the driver cannot parse (pgx's driver would parse it only when it connects) and a MySQL
// DSN that would let the server read local files.
func (d dialect) parseDSN(dsn string) error {
	if d.kind == service.KindPostgres {
		_, err := pgconn.ParseConfig(dsn)
		return err
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	if cfg.AllowAllFiles {
		return errAllowAllFiles
	}
	return nil
}

// errAllowAllFiles refuses a MySQL DSN that lets the server read this server's files: a server answers any
// statement with a LOCAL INFILE request, and with allowAllFiles the driver sends the file it names.
var errAllowAllFiles = errors.New("allowAllFiles")

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
		"25006": "read_only_sql_transaction", "40001": "serialization_failure", "40P01": "deadlock_detected",
		"28P01": "invalid_password", "28000": "invalid_authorization_specification", "3D000": "invalid_catalog_name",
		"53300": "too_many_connections"}
	myCodes = map[uint16]string{1451: "a foreign key refuses the delete or update", 1452: "foreign key",
		1062: "duplicate key", 1048: "column cannot be null", 1142: "command denied to the role",
		1143: "column access denied to the role", 1406: "data too long for the column", 1292: "incorrect value",
		1366: "incorrect value", 1146: "table does not exist", 1054: "unknown column", 1213: "deadlock",
		1792: "read-only transaction", 1045: "access denied to the role", 1044: "access denied to the database",
		1049: "unknown database", 1040: "too many connections"}
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

// dsnError refuses a DSN the driver cannot parse, or one that sets allowAllFiles, naming its field (dsn or erase_dsn) and not quoting it: the
// drivers' messages quote the DSN, and a password with a space in it would reach the answer.
func dsnError(kind service.DataSystemKind, field string, err error) error {
	if errors.Is(err, errAllowAllFiles) {
		return service.Invalid(service.FieldError{Field: field, Message: "must not set allowAllFiles: " +
			"it lets the database server read any file this server can"})
	}
	format := "a postgres:// URL or key=value pairs"
	if kind == service.KindMySQL {
		format = "user:password@tcp(host:port)/database"
	}
	return service.Invalid(service.FieldError{Field: field,
		Message: fmt.Sprintf("is not a DSN the %s driver can read (%s)", kind, format)})
}

// connectError words a failure to connect by its cause alone. The drivers' messages name the DSN's host, role
// and database; a run's failure is read by the request's officers, and no part of a DSN is answered.
func connectError(err error) error {
	return service.Errorf(service.EUNAVAILABLE, "cannot connect to the database: %s", connectCause(err))
}

func connectCause(err error) string {
	var dns *net.DNSError
	var netErr net.Error
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert *tls.CertificateVerificationError
	switch {
	case describe(err) != "": // authentication, an unknown database: the server's code and its name
		return describe(err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return "the server did not answer in time"
	case errors.As(err, &dns):
		return "the server's host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server refused the connection"
	case errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &badCert):
		return "the server's TLS certificate is not trusted for its host name"
	}
	return "the connection failed"
}
