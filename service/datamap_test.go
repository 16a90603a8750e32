package service_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
)

func fieldsOf(fe []service.FieldError) []string {
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

func TestDatasetMapRulesNameTheirPath(t *testing.T) {
	customers := func() service.MapTable {
		return service.MapTable{Name: "customers", Identity: map[string]string{"email": "email"}, Erase: service.EraseUpdate}
	}
	chain := func(n int) []service.MapTable {
		tables := []service.MapTable{customers()}
		for i := 1; i <= n; i++ {
			tables = append(tables, service.MapTable{Name: fmt.Sprintf("t%d", i), Erase: service.EraseDelete,
				References: map[string]string{"parent_id": tables[i-1].Name + ".id"}})
		}
		return tables
	}
	for _, tc := range []struct {
		name   string
		tables []service.MapTable
		want   []string
	}{
		{"valid", chain(5), nil},
		{"no tables", nil, []string{"map.tables"}},
		{"quote in a name", []service.MapTable{{Name: `customers"; DROP`, Erase: service.EraseDelete}}, []string{"map.tables[0].name"}},
		{"unknown erase and identity", []service.MapTable{{Name: "c", Identity: map[string]string{"wechat": "w"}, Erase: "shred"}},
			[]string{"map.tables[0].identity.wechat", "map.tables[0].erase"}},
		{"retain without reason", []service.MapTable{{Name: "c", Identity: map[string]string{"email": "e"}, Erase: service.EraseRetain}},
			[]string{"map.tables[0].reason"}},
		{"column erase on a deleted table", []service.MapTable{{Name: "c", Identity: map[string]string{"email": "e"},
			Erase: service.EraseDelete, Columns: map[string]service.MapColumn{"e": {Erase: service.ColumnNull}}}},
			[]string{"map.tables[0].columns.e.erase"}},
		{"hash without mask", []service.MapTable{{Name: "c", Identity: map[string]string{"email": "e"},
			Erase: service.EraseUpdate, Columns: map[string]service.MapColumn{"e": {Erase: service.ColumnNull, Hash: true}}}},
			[]string{"map.tables[0].columns.e.erase"}},
		{"reference to an unlisted table", []service.MapTable{customers(), {Name: "orders", Erase: service.EraseDelete,
			References: map[string]string{"customer_id": "clients.id"}}}, []string{"map.tables[1].references.customer_id"}},
		{"reference not table.column", []service.MapTable{customers(), {Name: "orders", Erase: service.EraseDelete,
			References: map[string]string{"customer_id": "customers"}}}, []string{"map.tables[1].references.customer_id"}},
		{"unreachable", []service.MapTable{customers(), {Name: "audit_log", Erase: service.EraseDelete}}, []string{"map.tables[1]"}},
		{"cycle", []service.MapTable{customers(),
			{Name: "a", Erase: service.EraseDelete, References: map[string]string{"b_id": "b.id"}},
			{Name: "b", Erase: service.EraseDelete, References: map[string]string{"a_id": "a.id"}}},
			[]string{"map.tables[1].references"}},
		{"six deep", chain(6), []string{"map.tables[6].references"}},
		{"same table twice", []service.MapTable{customers(), customers()}, []string{"map.tables[1].name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := service.DatasetMap{Tables: tc.tables}
			if got := fieldsOf(m.Validate("map")); !cmp.Equal(tc.want, got) {
				t.Errorf("Validate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDatasetMapYAMLErrorsNameTheLine(t *testing.T) {
	src := "tables:\n  - name: customers\n    identity: {email: email}\n    erase: update\n    columns:\n      email: {erase: scramble}\n"
	_, err := service.ParseDatasetMapYAML("map_yaml", []byte(src))
	fe := service.ErrorFields(err)
	if len(fe) != 1 || fe[0].Field != "map_yaml.tables[0].columns.email.erase" || !strings.HasPrefix(fe[0].Message, "line 6: ") {
		t.Errorf("ParseDatasetMapYAML = %v", fe)
	}
	_, err = service.ParseDatasetMapYAML("map_yaml", []byte("tables:\n  - name: customers\n    identiy: {email: email}\n"))
	if fe := service.ErrorFields(err); len(fe) != 1 || !strings.Contains(fe[0].Message, "line 3") || !strings.Contains(fe[0].Message, "identiy") {
		t.Errorf("unknown field: %v", fe)
	}
	if _, err := service.ParseDatasetMapYAML("map_yaml", []byte("tables: [")); service.ErrorCode(err) != service.EINVALID {
		t.Errorf("broken YAML: %v", err)
	}
}

// The README's example map is given as YAML and as JSON: both must say the same.
func TestExampleMapsAgree(t *testing.T) {
	y, err := os.ReadFile("../docs/examples/shop-map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := service.ParseDatasetMapYAML("map_yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("../docs/examples/shop-map.json")
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON service.DatasetMap
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if fe := fromJSON.Validate("map"); len(fe) > 0 {
		t.Errorf("shop-map.json: %v", fe)
	}
	if diff := cmp.Diff(*fromYAML, fromJSON); diff != "" {
		t.Errorf("shop-map.yaml and shop-map.json differ (-yaml +json):\n%s", diff)
	}
}
