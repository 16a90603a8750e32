package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm/clause"

	"github.com/rightsdesk/rightsdesk/service"
)

// Sealer encrypts the columns that hold personal data; service.Keys is one.
type Sealer interface {
	Seal(plain []byte) (string, error)
	Open(sealed string) ([]byte, error)
	Current(sealed string) bool
}

func (s *Store) seal(plain string) (string, error) {
	if plain == "" {
		return plain, nil
	}
	out, err := s.sealer.Seal([]byte(plain))
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return out, nil
}

func (s *Store) open(sealed string) (string, error) {
	if clear, ok := strings.CutPrefix(sealed, legacyClearPrefix); ok {
		return clear, nil
	}
	if sealed == "" {
		return sealed, nil
	}
	out, err := s.sealer.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	return string(out), nil
}

// legacyClearPrefix marks the values migration 00013 found in clear in the columns it began to seal: a clear
// value (an external ID, say) could itself start like a sealed one, and the mark tells them apart until the
// program seals them (SealClearText, at every start) or a rotation does.
const legacyClearPrefix = "rd0:"

// sealedPrefix starts every value the sealer wrote (service.Keys' format).
const sealedPrefix = "rd1:"

type keyringRow struct {
	Purpose string `gorm:"primaryKey"`
	Sealed  string
}

func (keyringRow) TableName() string { return "keyring" }

// IndexSecret returns the sealed index secret.
func (s *Store) IndexSecret(ctx context.Context) (string, error) {
	var r keyringRow
	if err := s.w.WithContext(ctx).Where("purpose = ?", "index").Take(&r).Error; err != nil {
		return "", formatError(err)
	}
	return r.Sealed, nil
}

// SaveIndexSecret stores the sealed index secret.
func (s *Store) SaveIndexSecret(ctx context.Context, sealed string) error {
	return formatError(s.w.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).
		Create(&keyringRow{Purpose: "index", Sealed: sealed}).Error)
}

// sealedColumns are the columns that hold personal data, by table and primary key.
var sealedColumns = []struct {
	table, key string
	columns    []string
}{
	{"requests", "id", []string{"subject", "details", "reply_message", "correction_outcomes", "external_id"}},
	{"request_notes", "id", []string{"body"}},
	{"outbox", "id", []string{"to_address", "body_text", "body_html", "last_error"}},
	{"keyring", "purpose", []string{"sealed"}},
	{"transmissions", "id", []string{"endpoint", "last_error"}},
	{"data_systems", "id", []string{"dsn", "erase_dsn", "endpoint"}},
	{"subject_messages", "id", []string{"body"}},
	{"exports", "id", []string{"name"}},
	{"erasures", "request_id", []string{"systems"}},
	{"data_runs", "id", []string{"systems"}},
}

// clearTextColumns are the columns stored in clear before migration 00013 began to seal them: the external ID
// a web form gives (its own reference of the person), export file names (often the person's name), the systems
// an erasure names, and delivery failures (an SMTP reply quotes the recipient, a transmission error names the
// recipient's host); and, since migration 00017, data runs' parts (an error quotes an http system or names its
// host). Nothing is looked up by them, so nothing of them needs to stay in clear.
var clearTextColumns = []struct {
	table, key string
	columns    []string
}{
	{"requests", "id", []string{"external_id"}},
	{"exports", "id", []string{"name"}},
	{"erasures", "request_id", []string{"systems"}},
	{"outbox", "id", []string{"last_error"}},
	{"transmissions", "id", []string{"last_error"}},
	{"data_runs", "id", []string{"systems"}}, // migration 00017: a part's error quotes a system or names its host
}

// SealClearText seals the values of clearTextColumns still in clear: those migration 00013 found (and marked),
// and any a replica of an older version wrote since. The program runs it at every start, after migrating; it
// answers how many values it sealed. Each value is replaced only if unchanged since it was read.
func (s *Store) SealClearText(ctx context.Context, batch int) (int, error) {
	n := 0
	for _, t := range clearTextColumns {
		for _, col := range t.columns {
			m, err := s.reseal(ctx, t.table, t.key, col, batch,
				fmt.Sprintf("substr(%s, 1, %d) <> '%s'", col, len(sealedPrefix), sealedPrefix))
			n += m
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// RotateSealed re-seals under the current key every value sealed under another key (or not sealed at all), in
// batches, while the service runs. It answers how many values it re-sealed.
func (s *Store) RotateSealed(ctx context.Context, batch int) (int, error) {
	n := 0
	for _, t := range sealedColumns {
		for _, col := range t.columns {
			m, err := s.reseal(ctx, t.table, t.key, col, batch, "")
			n += m
			if err != nil {
				return n, err
			}
		}
	}
	for _, table := range []string{"exports", "subject_files"} {
		m, err := s.rotateContent(ctx, table, batch)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// reseal seals under the current key every non-empty value of table.col (matching where, when given) that is
// not sealed under it already, in batches by key. A value is replaced only if unchanged since it was read.
func (s *Store) reseal(ctx context.Context, table, key, col string, batch int, where string) (int, error) {
	if where != "" {
		where = " AND " + where
	}
	n, after := 0, ""
	for {
		var rows []struct{ K, V string }
		err := s.r.WithContext(ctx).Raw(fmt.Sprintf(`SELECT %s AS k, %s AS v FROM %s WHERE %s > ? AND %s <> ''%s
			ORDER BY %s LIMIT ?`, key, col, table, key, col, where, key), after, batch).Scan(&rows).Error
		if err != nil {
			return n, formatError(err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		err = s.WithTx(ctx, func(tx service.Store) error {
			db := tx.(*Store).w.WithContext(ctx)
			for _, r := range rows {
				if s.sealer.Current(r.V) {
					continue
				}
				plain, err := s.open(r.V)
				if err != nil {
					return fmt.Errorf("%s.%s of %s: %w", table, col, r.K, err)
				}
				sealed, err := s.sealer.Seal([]byte(plain))
				if err != nil {
					return err
				}
				res := db.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?", table, col, key, col),
					sealed, r.K, r.V)
				if res.Error != nil {
					return formatError(res.Error)
				}
				n += int(res.RowsAffected)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		after = rows[len(rows)-1].K
	}
}

// rotateContent re-seals the files of table (exports, the files subjects sent), whose content column holds bytes.
// A file is replaced only if unchanged since it was read: retention may have deleted it meanwhile, and it must
// stay deleted.
func (s *Store) rotateContent(ctx context.Context, table string, batch int) (int, error) {
	type fileRow struct {
		ID      string
		Content []byte
	}
	n, after := 0, ""
	for {
		var rows []fileRow
		err := s.r.WithContext(ctx).Table(table).Select("id", "content").Where("id > ? AND content IS NOT NULL", after).
			Order("id").Limit(batch).Find(&rows).Error
		if err != nil {
			return n, formatError(err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		for _, r := range rows {
			if len(r.Content) == 0 || s.sealer.Current(string(r.Content)) {
				continue
			}
			plain, err := s.sealer.Open(string(r.Content))
			if err != nil {
				return n, fmt.Errorf("%s %s: %w", table, r.ID, err)
			}
			sealed, err := s.sealer.Seal(plain)
			if err != nil {
				return n, err
			}
			if err := s.w.WithContext(ctx).Table(table).Where("id = ? AND content = ?", r.ID, r.Content).
				Update("content", []byte(sealed)).Error; err != nil {
				return n, formatError(err)
			}
			n++
		}
		after = rows[len(rows)-1].ID
	}
}
