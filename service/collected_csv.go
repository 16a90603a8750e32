package service

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// collectedCSV writes one table's collected rows as CSV: a header of the columns, sorted, then one line per row.
// A cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is written
// with a leading apostrophe, so that opening the subject's own data cannot run anything (CSV injection).
func collectedCSV(rows []map[string]any) ([]byte, error) {
	cols := map[string]bool{}
	for _, r := range rows {
		for c := range r {
			cols[c] = true
		}
	}
	header := slices.Sorted(maps.Keys(cols))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	line := make([]string, len(header))
	for _, r := range rows {
		for i, c := range header {
			line[i] = csvCell(r[c])
		}
		if err := w.Write(line); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvCell is a collected value as text: empty for NULL, times in RFC 3339, bytes as text when they are UTF-8
// and in base64 otherwise.
func csvCell(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		s = v
	case []byte:
		if utf8.Valid(v) {
			s = string(v)
		} else {
			s = base64.StdEncoding.EncodeToString(v)
		}
	case time.Time:
		s = v.Format(time.RFC3339Nano)
	default:
		s = fmt.Sprint(v)
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		s = "'" + s
	}
	return s
}
