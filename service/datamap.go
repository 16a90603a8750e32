package service

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DatasetMap declares where a subject's personal data lives in one data system: the tables (or collections), the
// columns that identify a subject, the references to follow from there, and what erasure does to each. Every SQL
// statement run on a company database is generated from it, never typed by hand.
type DatasetMap struct {
	Tables []MapTable `json:"tables" yaml:"tables"`
}

// MapTable is one table of a dataset map.
type MapTable struct {
	Name string `json:"name" yaml:"name"`
	// Identity maps the subject's identities (email, phone, account_id) to this table's columns: the table is a
	// starting point of the search.
	Identity map[string]string `json:"identity,omitempty" yaml:"identity,omitempty"`
	// References maps a column of this table to the "table.column" it points at: its rows are those whose column
	// holds a value of the rows found in that table.
	References map[string]string `json:"references,omitempty" yaml:"references,omitempty"`
	Erase      TableErasure      `json:"erase" yaml:"erase"`
	// Reason is why a retained table is kept; quoted in the reply.
	Reason  string               `json:"reason,omitempty" yaml:"reason,omitempty"`
	Columns map[string]MapColumn `json:"columns,omitempty" yaml:"columns,omitempty"`
}

// MapColumn says what a column holds and what erasure does to it.
type MapColumn struct {
	Category string        `json:"category,omitempty" yaml:"category,omitempty"`
	Erase    ColumnErasure `json:"erase,omitempty" yaml:"erase,omitempty"`
	// Replacement is what mask writes; empty: "[erased]". Ignored with Hash.
	Replacement string `json:"replacement,omitempty" yaml:"replacement,omitempty"`
	// Hash makes mask write a keyed hash of the value instead of a fixed replacement, so that records stay
	// distinguishable (and joinable) without the value.
	Hash bool `json:"hash,omitempty" yaml:"hash,omitempty"`
}

// TableErasure is what erasure does to a table's rows.
type TableErasure string

// What erasure may do to a table.
const (
	EraseDelete TableErasure = "delete" // the rows are deleted
	EraseUpdate TableErasure = "update" // the listed columns are nulled or masked; unlisted columns kept
	EraseRetain TableErasure = "retain" // the rows are kept for a legal reason; listed columns still nulled or masked
)

// ColumnErasure is what erasure does to one column of an updated or retained row.
type ColumnErasure string

// What erasure may do to a column.
const (
	ColumnKeep ColumnErasure = ""       // the value stays (the column is listed for its category)
	ColumnNull ColumnErasure = "null"   // set to NULL
	ColumnMask ColumnErasure = "mask"   // replaced by a fixed text or a keyed hash
	ColumnKept ColumnErasure = "retain" // stays, said explicitly
)

// Identities a map may search by: the subject's own fields.
var mapIdentities = []string{"email", "phone", "account_id"}

// Limits of a dataset map.
const (
	maxMapTables     = 100
	maxMapColumns    = 200
	maxMapReferences = 20
	maxIdentifierLen = 63 // PostgreSQL's; MySQL allows 64
	// MaxReferenceDepth bounds how many references a search follows from an identity table.
	MaxReferenceDepth = 5
	// DefaultMaskReplacement is what mask writes without a replacement.
	DefaultMaskReplacement = "[erased]"
)

// identifier is what a table or column name may be: no quoting tricks, nothing a schema would not hold.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// Validate checks the map's own rules, naming each bad field by its path under prefix (e.g.
// map.tables[1].columns.emial). The live schema is checked by the connector.
func (m *DatasetMap) Validate(prefix string) []FieldError {
	var f fieldErrors
	switch {
	case len(m.Tables) == 0:
		f.add(prefix+".tables", "at least one table is required")
		return f
	case len(m.Tables) > maxMapTables:
		f.add(prefix+".tables", "at most %d tables", maxMapTables)
		return f
	}
	byName := map[string]int{}
	for i, t := range m.Tables {
		p := fmt.Sprintf("%s.tables[%d]", prefix, i)
		if !validIdentifier(t.Name) {
			f.add(p+".name", "must be a table name: letters, digits and _ (at most %d), starting with a letter or _", maxIdentifierLen)
			continue
		}
		if j, ok := byName[t.Name]; ok {
			f.add(p+".name", "names the same table as tables[%d]", j)
			continue
		}
		byName[t.Name] = i
	}
	for i, t := range m.Tables {
		p := fmt.Sprintf("%s.tables[%d]", prefix, i)
		for _, kind := range sortedKeys(t.Identity) {
			switch {
			case !slices.Contains(mapIdentities, kind):
				f.add(p+".identity."+kind, "must be one of email, phone, account_id")
			case !validIdentifier(t.Identity[kind]):
				f.add(p+".identity."+kind, "must name a column")
			}
		}
		if len(t.References) > maxMapReferences {
			f.add(p+".references", "at most %d references", maxMapReferences)
		}
		for _, col := range sortedKeys(t.References) {
			rp := p + ".references." + col
			table, column, ok := strings.Cut(t.References[col], ".")
			switch {
			case !validIdentifier(col):
				f.add(rp, "must be keyed by a column of %s", t.Name)
			case !ok || !validIdentifier(table) || !validIdentifier(column):
				f.add(rp, "must be table.column")
			default:
				if _, known := byName[table]; !known {
					f.add(rp, "names table %s, which the map does not list", table)
				}
			}
		}
		switch t.Erase {
		case EraseDelete, EraseUpdate:
		case EraseRetain:
			if strings.TrimSpace(t.Reason) == "" {
				f.add(p+".reason", "is required when a table is retained: it is quoted in the reply")
			}
		default:
			f.add(p+".erase", "must be one of delete, update, retain")
		}
		text(&f, p+".reason", t.Reason, maxValueLen, false)
		if len(t.Columns) > maxMapColumns {
			f.add(p+".columns", "at most %d columns", maxMapColumns)
		}
		for _, name := range sortedKeys(t.Columns) {
			c, cp := t.Columns[name], p+".columns."+name
			if !validIdentifier(name) {
				f.add(cp, "must name a column")
				continue
			}
			text(&f, cp+".category", c.Category, maxShortTextLen, false)
			text(&f, cp+".replacement", c.Replacement, maxShortTextLen, false)
			switch c.Erase {
			case ColumnKeep, ColumnNull, ColumnKept:
			case ColumnMask:
			default:
				f.add(cp+".erase", "must be one of null, mask, retain")
			}
			if c.Erase != ColumnMask && (c.Hash || c.Replacement != "") {
				f.add(cp+".erase", "must be mask when hash or replacement is given")
			}
			if c.Erase != "" && t.Erase == EraseDelete {
				f.add(cp+".erase", "has no effect: the table's rows are deleted")
			}
		}
	}
	if len(f) > 0 {
		return f
	}
	if _, err := m.Order(prefix); err != nil {
		return ErrorFields(err)
	}
	return nil
}

// Order returns the map's table indexes in the order a search visits them: every table after the tables its
// references point at. EINVALID when the references form a cycle, a table is not reached from any identity
// table, or the chain of references is deeper than MaxReferenceDepth.
func (m *DatasetMap) Order(prefix string) ([]int, error) {
	index := map[string]int{}
	for i, t := range m.Tables {
		index[t.Name] = i
	}
	depth := make([]int, len(m.Tables))
	state := make([]int, len(m.Tables)) // 0 unvisited, 1 visiting, 2 done
	var order []int
	var f fieldErrors
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case 1:
			f.add(fmt.Sprintf("%s.tables[%d].references", prefix, i), "form a cycle; a search could not end")
			return false
		case 2:
			return true
		}
		state[i] = 1
		t := m.Tables[i]
		reached := len(t.Identity) > 0
		for _, col := range sortedKeys(t.References) {
			table, _, _ := strings.Cut(t.References[col], ".")
			j := index[table]
			if j == i {
				continue // a table pointing at itself (a manager column) adds nothing the search can follow safely
			}
			if !visit(j) {
				return false
			}
			if depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
			reached = true
		}
		if !reached {
			f.add(fmt.Sprintf("%s.tables[%d]", prefix, i), "has neither identity nor references: no search reaches it")
			return false
		}
		if len(t.Identity) > 0 && len(t.References) == 0 {
			depth[i] = 0
		}
		if depth[i] > MaxReferenceDepth {
			f.add(fmt.Sprintf("%s.tables[%d].references", prefix, i), "are more than %d references away from an identity table", MaxReferenceDepth)
			return false
		}
		state[i] = 2
		order = append(order, i)
		return true
	}
	for i := range m.Tables {
		if !visit(i) {
			return nil, f.err()
		}
	}
	return order, nil
}

// Table returns the map's table of that name, or nil.
func (m *DatasetMap) Table(name string) *MapTable {
	for i := range m.Tables {
		if m.Tables[i].Name == name {
			return &m.Tables[i]
		}
	}
	return nil
}

func validIdentifier(s string) bool { return len(s) <= maxIdentifierLen && identifier.MatchString(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ParseDatasetMapYAML reads a map written in YAML (JSON is YAML too) and checks its own rules. Errors name the
// field under field (e.g. map_yaml.tables[1].columns.emial) and, where the document has it, its line.
func ParseDatasetMapYAML(field string, data []byte) (*DatasetMap, error) {
	if len(data) > maxMapSource {
		return nil, Invalid(FieldError{field, fmt.Sprintf("must be at most %d KiB", maxMapSource>>10)})
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Invalid(FieldError{field, "is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m DatasetMap
	if err := dec.Decode(&m); err != nil {
		return nil, Invalid(FieldError{field, strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	if fe := m.Validate(field); len(fe) > 0 {
		for i := range fe {
			if line := yamlLine(&root, strings.TrimPrefix(fe[i].Field, field)); line > 0 {
				fe[i].Message = fmt.Sprintf("line %d: %s", line, fe[i].Message)
			}
		}
		return nil, Invalid(fe...)
	}
	return &m, nil
}

// maxMapSource bounds a map's YAML text.
const maxMapSource = 256 << 10

// yamlLine finds the line of a path like .tables[1].columns.emial in a YAML document; 0 if it is not there.
func yamlLine(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range splitPath(path) {
		switch {
		case seg.index >= 0 && n.Kind == yaml.SequenceNode && seg.index < len(n.Content):
			n = n.Content[seg.index]
		case seg.index < 0 && n.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg.key {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
			continue
		default:
			return line
		}
		line = n.Line
	}
	return line
}

type pathSeg struct {
	key   string
	index int
}

func splitPath(p string) []pathSeg {
	var out []pathSeg
	for part := range strings.SplitSeq(strings.TrimPrefix(p, "."), ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			out = append(out, pathSeg{key: key, index: -1})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil {
				break
			}
			out = append(out, pathSeg{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}
