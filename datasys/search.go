package datasys

import (
	"context"
	"fmt"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
)

// found is the rows a search reached in one table, every column, in the schema's column order.
type found struct {
	table   *tableInfo
	columns []string
	rows    [][]any
	seen    map[string]bool
}

// inChunk bounds the values bound in one IN list, well under every server's limit on parameters.
const inChunk = 500

// search visits the map's tables in order (every table after those its references point at): identity tables
// by the subject's identities, the others by the values of the rows found in the tables they point at. With
// lock, rows of tables that erasure changes are locked (SELECT ... FOR UPDATE) until the transaction ends.
func (s *session) search(ctx context.Context, job service.SubjectJob, lock bool) (map[string]*found, error) {
	ids := job.Identities()
	out := map[string]*found{}
	for _, i := range s.order {
		t := &s.sys.Map.Tables[i]
		ti := s.schema.table(t.Name)
		f := &found{table: ti, columns: ti.columns, seen: map[string]bool{}}
		out[t.Name] = f
		forUpdate := lock && changes(t) && len(ti.key) > 0
		var conds []string
		var args []any
		for _, kind := range sortedKeys(t.Identity) {
			if v, ok := ids[kind]; ok {
				conds = append(conds, s.quote(s.schema.column(ti, t.Identity[kind]))+" = "+s.placeholder(len(args)+1))
				args = append(args, v)
			}
		}
		if len(conds) > 0 {
			if err := s.query(ctx, t, f, strings.Join(conds, " OR "), args, forUpdate); err != nil {
				return nil, err
			}
		}
		for _, col := range sortedKeys(t.References) {
			ptable, pcol, _ := strings.Cut(t.References[col], ".")
			parent := out[ptable]
			if parent == nil || ptable == t.Name {
				continue
			}
			values := parent.distinct(s.schema.column(parent.table, pcol))
			for len(values) > 0 {
				n := min(len(values), inChunk)
				marks := make([]string, n)
				for k := range marks {
					marks[k] = s.placeholder(k + 1)
				}
				cond := s.quote(s.schema.column(ti, col)) + " IN (" + strings.Join(marks, ", ") + ")"
				if err := s.query(ctx, t, f, cond, values[:n], forUpdate); err != nil {
					return nil, err
				}
				values = values[n:]
			}
		}
	}
	return out, nil
}

// changes reports whether erasure writes to the table.
func changes(t *service.MapTable) bool {
	if t.Erase != service.EraseRetain {
		return true
	}
	for _, c := range t.Columns {
		if c.Erase == service.ColumnNull || c.Erase == service.ColumnMask {
			return true
		}
	}
	return false
}

// query adds the rows of t matching cond to f, refusing more than the system's row cap: a subject with more
// rows than the cap fails the run rather than being answered in part.
func (s *session) query(ctx context.Context, t *service.MapTable, f *found, cond string, args []any, forUpdate bool) error {
	cols := make([]string, len(f.columns))
	for i, c := range f.columns {
		cols[i] = s.quote(c)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT %d", strings.Join(cols, ", "), s.quote(f.table.name), cond,
		s.sys.RowCap+1)
	if forUpdate {
		q += " FOR UPDATE"
	}
	rows, err := s.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return s.fail(t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return s.fail(t.Name, err)
		}
		key := f.rowKey(vals)
		if f.seen[key] {
			continue
		}
		f.seen[key] = true
		f.rows = append(f.rows, vals)
		if len(f.rows) > s.sys.RowCap {
			return service.Errorf(service.ECONFLICT, "table %s: the subject has more than %d rows, the system's row cap; "+
				"nothing was answered in part (raise row_cap, or narrow the map)", t.Name, s.sys.RowCap)
		}
	}
	if err := rows.Err(); err != nil {
		return s.fail(t.Name, err)
	}
	return nil
}

// rowKey tells rows apart: by primary key, or by every value for a table without one.
func (f *found) rowKey(vals []any) string {
	var b strings.Builder
	for i, c := range f.columns {
		if len(f.table.key) > 0 && !contains(f.table.key, c) {
			continue
		}
		fmt.Fprintf(&b, "%T:%v\x00", vals[i], vals[i])
	}
	return b.String()
}

// distinct returns the non-NULL values of a column over the rows found, each once.
func (f *found) distinct(column string) []any {
	idx := index(f.columns, column)
	if idx < 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []any
	for _, r := range f.rows {
		v := r[idx]
		if v == nil {
			continue
		}
		k := fmt.Sprintf("%T:%v", v, v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }
