package datasys

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
)

// schema is what information_schema says of the connection's own schema: each table's (or view's) columns in
// order, and its primary key.
type schema struct {
	tables map[string]*tableInfo
	fold   bool // MySQL: names compare without case, as the server does for columns
}

type tableInfo struct {
	name    string
	columns []string
	key     []string // the primary key's columns; none for a view
}

func readSchema(ctx context.Context, d dialect, tx *sql.Tx) (*schema, error) {
	s := &schema{tables: map[string]*tableInfo{}, fold: d.kind == service.KindMySQL}
	rows, err := tx.QueryContext(ctx, "SELECT table_name, column_name FROM information_schema.columns WHERE "+
		d.schemaFilter()+" ORDER BY table_name, ordinal_position")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, err
		}
		t := s.tables[s.key(table)]
		if t == nil {
			t = &tableInfo{name: table}
			s.tables[s.key(table)] = t
		}
		t.columns = append(t.columns, column)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	keys, err := tx.QueryContext(ctx, `SELECT kcu.table_name, kcu.column_name
		FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
			AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
		WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.`+d.schemaFilter()+`
		ORDER BY kcu.table_name, kcu.ordinal_position`)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	for keys.Next() {
		var table, column string
		if err := keys.Scan(&table, &column); err != nil {
			return nil, err
		}
		if t := s.tables[s.key(table)]; t != nil {
			t.key = append(t.key, column)
		}
	}
	return s, keys.Err()
}

func (s *schema) key(name string) string {
	if s.fold {
		return strings.ToLower(name)
	}
	return name
}

// table returns the schema's table of that name, or nil.
func (s *schema) table(name string) *tableInfo { return s.tables[s.key(name)] }

// column returns the table's spelling of a column, or "".
func (s *schema) column(t *tableInfo, name string) string {
	for _, c := range t.columns {
		if c == name || (s.fold && strings.EqualFold(c, name)) {
			return c
		}
	}
	return ""
}

// check refuses a map that names what the schema does not have, naming each path (map.tables[1].columns.emial),
// and, with needKeys (the eraser's connection), a table that erasure changes without a primary key to change
// exactly the rows found by. PostgreSQL shows a role the constraints only of tables it may do more than read,
// so the collector's read-only role sees no keys, and needs none.
func (s *schema) check(m *service.DatasetMap, needKeys bool) error {
	var fields []service.FieldError
	add := func(field, format string, args ...any) {
		fields = append(fields, service.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for i, t := range m.Tables {
		p := fmt.Sprintf("map.tables[%d]", i)
		ti := s.table(t.Name)
		if ti == nil {
			add(p+".name", "the database has no table or view %s that the role can see", t.Name)
			continue
		}
		for _, kind := range sortedKeys(t.Identity) {
			if s.column(ti, t.Identity[kind]) == "" {
				add(p+".identity."+kind, "table %s has no column %s", t.Name, t.Identity[kind])
			}
		}
		for _, col := range sortedKeys(t.References) {
			if s.column(ti, col) == "" {
				add(p+".references."+col, "table %s has no column %s", t.Name, col)
				continue
			}
			table, column, _ := strings.Cut(t.References[col], ".")
			if pt := s.table(table); pt == nil || s.column(pt, column) == "" {
				add(p+".references."+col, "the database has no column %s", t.References[col])
			}
		}
		changes := t.Erase != service.EraseRetain
		for _, col := range sortedKeys(t.Columns) {
			if s.column(ti, col) == "" {
				add(p+".columns."+col, "table %s has no column %s", t.Name, col)
			}
			if e := t.Columns[col].Erase; e == service.ColumnNull || e == service.ColumnMask {
				changes = true
			}
		}
		if needKeys && changes && len(ti.key) == 0 {
			add(p+".name", "%s has no primary key that this role can see (the database shows keys only to roles that "+
				"may change the table): erasure needs one to change exactly the rows it found", t.Name)
		}
	}
	if len(fields) > 0 {
		return service.Invalid(fields...)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
