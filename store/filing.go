package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"

	"github.com/rightsdesk/rightsdesk/service"
)

// CreateFiling writes a numbered filing's rows: the request, its acknowledgement's links and mail (with the
// reference beside the mail, see outboxRow.Reference), and its idempotency record. On PostgreSQL they are one
// statement of data-modifying WITH clauses, one round trip where they were four: the group's connection runs its
// filings' statements one after another, each waiting for the server. SQLite runs in process, where a statement
// costs no round trip: one each.
func (s *Store) CreateFiling(ctx context.Context, f *service.NewFiling) error {
	req, ok := f.Request.Row.(*requestRow)
	if !ok {
		return fmt.Errorf("request %s was not sealed by this store", f.Request.Value.ID)
	}
	request := *req
	request.Reference = f.Request.Value.Reference
	var mail *outboxRow
	if f.Mail != nil {
		sealed, ok := f.Mail.Row.(*outboxRow)
		if !ok {
			return fmt.Errorf("mail %s was not sealed by this store", f.Mail.Value.ID)
		}
		m := *sealed
		m.Reference = request.Reference
		mail = &m
	}
	if s.dialect != Postgres {
		return s.createFilingEach(ctx, &request, f.Links, mail, f.Idempotency)
	}
	var (
		sql  strings.Builder
		args []any
	)
	// insert adds a WITH clause named name that inserts rows (of one model) and ends with onConflict.
	insert := func(name, onConflict string, rows ...any) error {
		table, cols, vals, err := insertValues(s.w, rows)
		if err != nil {
			return err
		}
		if sql.Len() == 0 {
			sql.WriteString("WITH ")
		} else {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "%s AS (INSERT INTO %s (%s) VALUES ", name, table, strings.Join(cols, ", "))
		for i, row := range vals {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(row)), ", ") + ")")
			args = append(args, row...)
		}
		sql.WriteString(onConflict + ")")
		return nil
	}
	if err := insert("request", "", &request); err != nil {
		return err
	}
	if len(f.Links) > 0 {
		links := make([]any, len(f.Links))
		for i, l := range f.Links {
			links[i] = toSubjectLinkRow(l)
		}
		if err := insert("links", "", links...); err != nil {
			return err
		}
	}
	if mail != nil {
		if err := insert("mail", " ON CONFLICT (dedupe_key) DO NOTHING", mail); err != nil {
			return err
		}
	}
	if rec := f.Idempotency; rec != nil {
		if err := insert("idempotency", "", toIdempotencyRow(rec)); err != nil {
			return err
		}
	}
	// The foreign keys of the links, the mail and the record are checked at the end of the statement, when the
	// request's row is there.
	sql.WriteString(" SELECT 1")
	return formatError(s.w.WithContext(ctx).Exec(sql.String(), args...).Error)
}

func (s *Store) createFilingEach(ctx context.Context, request *requestRow, links []*service.SubjectLink, mail *outboxRow, rec *service.IdempotencyRecord) error {
	if err := s.w.WithContext(ctx).Create(request).Error; err != nil {
		return formatError(err)
	}
	if err := s.CreateSubjectLinks(ctx, links); err != nil {
		return err
	}
	if mail != nil {
		if _, err := s.insertOutboxRows(ctx, []*outboxRow{mail}); err != nil {
			return err
		}
	}
	if rec != nil {
		return s.CreateIdempotencyKey(ctx, rec)
	}
	return nil
}

// insertValues names the table of rows (of one model) and the columns GORM would insert into it, and lists each
// row's values in that order.
func insertValues(db *gorm.DB, rows []any) (string, []string, [][]any, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(rows[0]); err != nil {
		return "", nil, nil, fmt.Errorf("parse %T: %w", rows[0], err)
	}
	var cols []string
	for _, f := range stmt.Schema.Fields {
		if f.DBName != "" && f.Creatable {
			cols = append(cols, f.DBName)
		}
	}
	vals := make([][]any, len(rows))
	for i, row := range rows {
		rv := reflect.Indirect(reflect.ValueOf(row))
		for _, f := range stmt.Schema.Fields {
			if f.DBName != "" && f.Creatable {
				v, _ := f.ValueOf(context.Background(), rv)
				vals[i] = append(vals[i], v)
			}
		}
	}
	return stmt.Schema.Table, cols, vals, nil
}
