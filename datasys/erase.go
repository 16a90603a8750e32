package datasys

import (
	"context"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// Erase applies the map's erasure to the rows the search reaches, in one transaction through the eraser's DSN:
// rows of delete tables are deleted, children before the parents they point at; listed columns of update and
// retain tables are set to NULL or masked. A preview runs the very same statements and rolls them back, so
// that it also meets what the database would refuse (a foreign key, a missing privilege). Rows already erased
// are not found again, and columns already nulled or masked are not written again: a second run counts nothing.
func (c *Connector) Erase(ctx context.Context, d *service.DataSystem, job service.SubjectJob, preview bool) (_ map[string]service.TableCounts, err error) {
	defer func() { err = c.logged(d, "erase", err) }()
	start := time.Now()
	dsn := d.EraseDSN
	if dsn == "" {
		dsn = d.DSN
	}
	s, done, err := c.open(ctx, d, dsn, false)
	if err != nil {
		return nil, err
	}
	defer done()
	found, err := s.search(ctx, job, true)
	if err != nil {
		return nil, err
	}
	counts := map[string]service.TableCounts{}
	ev := c.log.Info().Str("data_system_id", d.ID).Str("op", "erase").Bool("preview", preview)
	for k := len(s.order) - 1; k >= 0; k-- {
		t := &d.Map.Tables[s.order[k]]
		f := found[t.Name]
		tc := service.TableCounts{Rows: len(f.rows)}
		if t.Erase == service.EraseDelete {
			if tc.Deleted, err = s.deleteRows(ctx, t, f); err != nil {
				return nil, err
			}
		} else {
			if tc.Updated, err = s.updateRows(ctx, t, f, job.HashKey); err != nil {
				return nil, err
			}
			if t.Erase == service.EraseRetain {
				tc.Retained = len(f.rows)
			}
		}
		counts[t.Name] = tc
		ev = ev.Int("deleted."+t.Name, tc.Deleted).Int("updated."+t.Name, tc.Updated).Int("retained."+t.Name, tc.Retained)
	}
	if !preview {
		if err := s.tx.Commit(); err != nil {
			return nil, s.fail("", err)
		}
	}
	ev.Dur("took", time.Since(start)).Msg("data system erased")
	return counts, nil
}

// deleteRows deletes the rows found by primary key, and answers how many the database deleted.
func (s *session) deleteRows(ctx context.Context, t *service.MapTable, f *found) (int, error) {
	key := f.table.key
	keyIdx := make([]int, len(key))
	quoted := make([]string, len(key))
	for i, k := range key {
		keyIdx[i], quoted[i] = index(f.columns, k), s.quote(k)
	}
	n := 0
	for rows := f.rows; len(rows) > 0; {
		batch := rows[:min(len(rows), inChunk)]
		rows = rows[len(batch):]
		var tuples []string
		var args []any
		for _, r := range batch {
			marks := make([]string, len(key))
			for i := range key {
				args = append(args, r[keyIdx[i]])
				marks[i] = s.placeholder(len(args))
			}
			tuples = append(tuples, "("+strings.Join(marks, ", ")+")")
		}
		q := "DELETE FROM " + s.quote(f.table.name) + " WHERE (" + strings.Join(quoted, ", ") + ") IN (" +
			strings.Join(tuples, ", ") + ")"
		res, err := s.tx.ExecContext(ctx, q, args...)
		if err != nil {
			return n, s.fail(t.Name, err)
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return n, s.fail(t.Name, err)
		}
		n += int(affected)
	}
	return n, nil
}

// updateRows nulls and masks the listed columns of each row found, and answers how many rows it changed; a row
// whose columns are already as erasure leaves them is not written.
func (s *session) updateRows(ctx context.Context, t *service.MapTable, f *found, hashKey []byte) (int, error) {
	type target struct {
		column string
		idx    int
		col    service.MapColumn
	}
	var targets []target
	for _, name := range sortedKeys(t.Columns) {
		c := t.Columns[name]
		if c.Erase == service.ColumnNull || c.Erase == service.ColumnMask {
			col := s.schema.column(f.table, name)
			targets = append(targets, target{col, index(f.columns, col), c})
		}
	}
	if len(targets) == 0 {
		return 0, nil
	}
	n := 0
	for _, r := range f.rows {
		var sets []string
		var args []any
		for _, tg := range targets {
			v, set := erased(tg.col, r[tg.idx], hashKey)
			if !set {
				continue
			}
			args = append(args, v)
			sets = append(sets, s.quote(tg.column)+" = "+s.placeholder(len(args)))
		}
		if len(sets) == 0 {
			continue
		}
		var where []string
		for _, k := range f.table.key {
			args = append(args, r[index(f.columns, k)])
			where = append(where, s.quote(k)+" = "+s.placeholder(len(args)))
		}
		q := "UPDATE " + s.quote(f.table.name) + " SET " + strings.Join(sets, ", ") + " WHERE " + strings.Join(where, " AND ")
		if _, err := s.tx.ExecContext(ctx, q, args...); err != nil {
			return n, s.fail(t.Name, err)
		}
		n++
	}
	return n, nil
}

// erased is what erasure writes in a column holding v, and whether it must write at all.
func erased(c service.MapColumn, v any, hashKey []byte) (any, bool) {
	cur, notNull := text(v)
	switch {
	case !notNull:
		return nil, false // NULL hides nothing: neither null nor mask has anything to do
	case c.Erase == service.ColumnNull:
		return nil, true
	case c.Hash:
		if strings.HasPrefix(cur, service.MaskHashPrefix) && len(cur) == len(service.MaskHash(hashKey, "")) {
			return nil, false
		}
		return service.MaskHash(hashKey, cur), true
	}
	repl := c.Replacement
	if repl == "" {
		repl = service.DefaultMaskReplacement
	}
	return repl, cur != repl
}
