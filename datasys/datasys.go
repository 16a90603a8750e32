// Package datasys runs dataset maps on the company's own PostgreSQL and MySQL/MariaDB databases: it implements
// service.DataSystemConnector over database/sql. Every statement is generated from the map, with identifiers
// checked against the live schema (information_schema) and quoted, and every value bound as a parameter. Logs
// carry system IDs, table names and counts, never a value.
package datasys

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
)

// Connector implements service.DataSystemConnector. It opens a connection per run and closes it after, so that
// no credential or pool outlives the run.
type Connector struct {
	log zerolog.Logger
}

var _ service.DataSystemConnector = (*Connector)(nil)

// New returns a connector that logs counts to log.
func New(log zerolog.Logger) *Connector { return &Connector{log: log} }

// schemaTimeout bounds reading the schema.
const schemaTimeout = 30 * time.Second

// session is one transaction on one data system, its schema read.
type session struct {
	dialect
	sys    *service.DataSystem
	tx     *sql.Tx
	schema *schema
	order  []int
}

// open connects with dsn, starts a transaction bounded by the system's statement timeout, reads the schema and
// checks the map against it.
func (c *Connector) open(ctx context.Context, d *service.DataSystem, dsn string, readOnly bool) (*session, func(), error) {
	dl, err := dialectOf(d.Kind)
	if err != nil {
		return nil, nil, err
	}
	if err := dl.parseDSN(dsn); err != nil {
		field := "dsn"
		if dsn != d.DSN {
			field = "erase_dsn"
		}
		return nil, nil, dsnError(d.Kind, field, err)
	}
	db, err := sql.Open(dl.driver, dsn)
	if err != nil {
		return nil, nil, connectError(err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		db.Close()
		return nil, nil, connectError(err)
	}
	closeAll := func() {
		_ = tx.Rollback()
		db.Close()
	}
	s := &session{dialect: dl, sys: d, tx: tx}
	// information_schema is slow on a server with many schemas, and says nothing of the subject: it gets a
	// bound of its own, and the map's statements the system's.
	if err := dl.bound(ctx, tx, max(d.StatementTimeout, schemaTimeout)); err != nil {
		closeAll()
		return nil, nil, s.fail("", err)
	}
	if s.schema, err = readSchema(ctx, dl, tx); err != nil {
		closeAll()
		return nil, nil, s.fail("", err)
	}
	if err := dl.bound(ctx, tx, d.StatementTimeout); err != nil {
		closeAll()
		return nil, nil, s.fail("", err)
	}
	if err := s.schema.check(&d.Map, !readOnly); err != nil {
		closeAll()
		return nil, nil, err
	}
	if s.order, err = d.Map.Order("map"); err != nil {
		closeAll()
		return nil, nil, err
	}
	return s, closeAll, nil
}

// fail words a failed statement on table (or on the system, when table is empty) for the run's report.
func (s *session) fail(table string, err error) error {
	var se *service.Error
	if errors.As(err, &se) {
		return err
	}
	where := "the database"
	if table != "" {
		where = "table " + table
	}
	switch {
	case timedOut(err):
		return service.Errorf(service.EUNAVAILABLE, "%s: the statement timeout (%d ms) ran out", where,
			s.sys.StatementTimeout.Milliseconds())
	case errors.Is(err, context.Canceled):
		return service.Errorf(service.EUNAVAILABLE, "%s: the run was cancelled", where)
	}
	if d := describe(err); d != "" {
		return service.Errorf(service.ECONFLICT, "%s: %s", where, d)
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) || strings.Contains(err.Error(), "connect") {
		return service.Errorf(service.EUNAVAILABLE, "%s: the connection failed", where)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// logged logs, once, an error that is not a worded refusal (a bug, or a driver failing in a way not foreseen):
// the run reports it as an internal error, and the operator finds its detail here.
func (c *Connector) logged(d *service.DataSystem, op string, err error) error {
	if err != nil && service.ErrorCode(err) == service.EINTERNAL {
		c.log.Error().Err(err).Str("data_system_id", d.ID).Str("op", op).Msg("data system run failed")
	}
	return err
}

// checkDSNs refuses, before connecting anywhere, a system whose DSN or eraser's DSN the driver cannot parse or
// that would let the database server read local files.
func checkDSNs(d *service.DataSystem) error {
	dl, err := dialectOf(d.Kind)
	if err != nil {
		return err
	}
	var fields []service.FieldError
	for _, f := range []struct{ name, dsn string }{{"dsn", d.DSN}, {"erase_dsn", d.EraseDSN}} {
		if f.dsn == "" {
			continue
		}
		if err := dl.parseDSN(f.dsn); err != nil {
			fields = append(fields, service.ErrorFields(dsnError(d.Kind, f.name, err))...)
		}
	}
	if len(fields) > 0 {
		return service.Invalid(fields...)
	}
	return nil
}

// CheckMap checks the system's map against the live schema, through the collector's DSN and, when the system
// has one, the eraser's (which must also see a primary key on every table erasure changes).
func (c *Connector) CheckMap(ctx context.Context, d *service.DataSystem) (err error) {
	defer func() { err = c.logged(d, "check", err) }()
	if err := checkDSNs(d); err != nil {
		return err
	}
	_, done, err := c.open(ctx, d, d.DSN, d.EraseDSN != "")
	if err != nil {
		return err
	}
	done()
	if d.EraseDSN == "" {
		return nil
	}
	if _, done, err = c.open(ctx, d, d.EraseDSN, false); err != nil {
		return err
	}
	done()
	return nil
}

// Collect returns every row the map reaches from the subject, in one read-only transaction.
func (c *Connector) Collect(ctx context.Context, d *service.DataSystem, job service.SubjectJob) (_ *service.Collected, err error) {
	defer func() { err = c.logged(d, "collect", err) }()
	start := time.Now()
	s, done, err := c.open(ctx, d, d.DSN, true)
	if err != nil {
		return nil, err
	}
	defer done()
	found, err := s.search(ctx, job, false)
	if err != nil {
		return nil, err
	}
	out := &service.Collected{Tables: map[string][]map[string]any{}}
	ev := c.log.Info().Str("data_system_id", d.ID).Str("op", "collect")
	for _, i := range s.order {
		t := d.Map.Tables[i]
		f := found[t.Name]
		rows := make([]map[string]any, len(f.rows))
		for j, r := range f.rows {
			rows[j] = map[string]any{}
			for k, col := range f.columns {
				rows[j][col] = jsonValue(r[k])
			}
		}
		out.Tables[t.Name] = rows
		ev = ev.Int("rows."+t.Name, len(rows))
	}
	ev.Dur("took", time.Since(start)).Msg("data system collected")
	return out, nil
}

// jsonValue is a scanned value as the export shows it: text for bytes, RFC 3339 for times.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}

// text is a scanned value as text, for comparing it with a mask; ok false for NULL.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case []byte:
		return string(x), true
	case string:
		return x, true
	case time.Time:
		return x.Format(time.RFC3339Nano), true
	}
	return fmt.Sprint(v), true
}
