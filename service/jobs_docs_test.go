package service_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestOperationsGuideListsEveryJob checks that docs/operations.md's table of scheduled jobs has one row per job of
// service.JobTable, with its default schedule and variable, and no row for a job that does not exist.
func TestOperationsGuideListsEveryJob(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Scheduled jobs")
	if !ok {
		t.Fatal("docs/operations.md has no section Scheduled jobs")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "### ") {
			break
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		rows[cells[0]] = cells
	}
	for _, j := range service.JobTable {
		row, ok := rows[j.Name]
		if !ok {
			t.Errorf("job %s: no row in docs/operations.md", j.Name)
			continue
		}
		delete(rows, j.Name)
		if len(row) < 4 {
			t.Errorf("job %s: row %q has fewer than 4 cells", j.Name, row)
			continue
		}
		if got, want := row[1], j.DefaultSchedule; got != want {
			t.Errorf("job %s: documented schedule %q, want %q", j.Name, got, want)
		}
		if got, want := row[2], j.EnvVar(); got != want {
			t.Errorf("job %s: documented variable %q, want %q", j.Name, got, want)
		}
	}
	for name := range rows {
		t.Errorf("docs/operations.md documents job %s, which JobTable does not have", name)
	}
}
