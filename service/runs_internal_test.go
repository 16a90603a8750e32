package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A request limited to categories collects only the columns of those categories, and only tables that have one.
func TestLimitToCategories(t *testing.T) {
	m := &DatasetMap{Tables: []MapTable{
		{Name: "customers", Columns: map[string]MapColumn{"email": {Category: "contact"}, "full_name": {Category: "identity"}}},
		{Name: "orders", Columns: map[string]MapColumn{"total_cents": {Category: "transactions"}}},
	}}
	tables := map[string][]map[string]any{
		"customers": {{"id": 1, "email": "a@example.com", "full_name": "A", "created_at": "2024"}},
		"orders":    {{"id": 7, "total_cents": 100}},
	}
	got := limitToCategories(m, tables, []string{"contact"})
	want := map[string][]map[string]any{"customers": {{"email": "a@example.com"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := limitToCategories(m, tables, nil); !cmp.Equal(tables, got) {
		t.Errorf("without categories: %v", got)
	}
}
