package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// clearTextCells are the cells that held text in clear before they were sealed, with what each is given.
var clearTextCells = []struct{ query, value string }{
	{"SELECT external_id FROM requests WHERE id = 'r-1'", "crm-li-wei-4711"},
	{"SELECT name FROM exports WHERE id = 'x-1'", "li-wei-profile.json"},
	{"SELECT systems FROM erasures WHERE request_id = 'r-1'", `["li-wei-mailbox"]`},
	{"SELECT last_error FROM outbox WHERE id = 'm-1'", "550 5.1.1 l***@example.com: mailbox unknown at mx.li-wei.example"},
	{"SELECT last_error FROM transmissions WHERE id = 't-1'", "post https://hr.li-wei.example/import: connection refused"},
	{"SELECT systems FROM data_runs WHERE id = 'run-1'", `[{"system_id":"s-1","name":"crm","kind":"http","status":"failed",` +
		`"error":"no customer l***@li-wei.example: transmit to crm.li-wei.example: connection refused","tables":{}}]`},
}

// mustWriteClearTextCells stores a request with an external ID, an export, an erasure, a failed mail, a
// failed transmission and a data run whose http system failed, through the store.
func mustWriteClearTextCells(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := t.Context()
	r := minimalRequest("r-1", "DSR-2026-000001")
	r.ExternalID = clearTextCells[0].value
	mustCreateInTx(t, st, r)
	if err := st.CreateExport(ctx, &service.Export{ID: "x-1", RequestID: "r-1", Name: clearTextCells[1].value,
		Size: 2, SHA256: "00", Content: []byte("{}"), CreatedAt: testNow, CreatedBy: "u-1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveErasure(ctx, &service.Erasure{RequestID: "r-1", ExecutedAt: testNow, Systems: []string{"li-wei-mailbox"},
		State: "complete", RecordedAt: testNow, RecordedBy: "u-1"}); err != nil {
		t.Fatal(err)
	}
	m := &service.Mail{ID: "m-1", DedupeKey: "k-1", Kind: "reply", RequestID: "r-1", To: "li.wei@example.com",
		Subject: "Your request", Text: "Hello", Status: service.MailPending, NextAttemptAt: testNow, CreatedAt: testNow}
	if _, err := st.EnqueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Status, m.Attempts, m.LastError = service.MailFailed, 1, clearTextCells[3].value
	if err := st.SaveMailDelivery(ctx, m); err != nil {
		t.Fatal(err)
	}
	tr := &service.Transmission{ID: "t-1", RequestID: "r-1", Endpoint: "https://hr.li-wei.example/import",
		Status: service.MailPending, NextAttemptAt: testNow, CreatedAt: testNow}
	if err := st.CreateTransmission(ctx, tr); err != nil {
		t.Fatal(err)
	}
	tr.Attempts, tr.LastError = 1, clearTextCells[4].value
	if err := st.SaveTransmission(ctx, tr); err != nil {
		t.Fatal(err)
	}
	run := &service.Run{ID: "run-1", RequestID: "r-1", Kind: service.RunErase, Status: service.RunRunning,
		CreatedAt: testNow, CreatedBy: "u-1"}
	if err := st.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(clearTextCells[5].value), &run.Systems); err != nil {
		t.Fatal(err)
	}
	run.Status = service.RunFailed
	if err := st.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
}

// clearTextRead is what the store answers for the cells.
func clearTextRead(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := t.Context()
	r, err := st.FindRequest(ctx, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	exports, err := st.RequestExports(ctx, "r-1", false)
	if err != nil || len(exports) != 1 {
		t.Fatalf("RequestExports = %v, %v", exports, err)
	}
	e, err := st.FindErasure(ctx, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.FindMail(ctx, "m-1")
	if err != nil {
		t.Fatal(err)
	}
	due, err := st.DueTransmissions(ctx, testNow, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueTransmissions = %v, %v", due, err)
	}
	run, err := st.FindRun(ctx, "r-1", "run-1")
	if err != nil {
		t.Fatal(err)
	}
	systems, err := json.Marshal(run.Systems)
	if err != nil {
		t.Fatal(err)
	}
	return []string{r.ExternalID, exports[0].Name, `["` + strings.Join(e.Systems, `","`) + `"]`, m.LastError,
		due[0].LastError, string(systems)}
}

func rawCell(t *testing.T, raw *sql.DB, query string) string {
	t.Helper()
	var v string
	if err := raw.QueryRowContext(context.Background(), query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func wantCells() []string {
	out := make([]string, len(clearTextCells))
	for i, c := range clearTextCells {
		out[i] = c.value
	}
	return out
}

// The attack: reading a stolen database file shows a request's external ID (the caller's own reference of the
// person), export file names, the systems an erasure names, delivery failures naming the recipient or its host,
// and data runs whose errors quote an http system or name its host, in clear. They are sealed, open through the store, and `keys rotate` re-seals them.
func TestClearTextIsSealedAtRest(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			keys, err := service.NewKeys(bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st := storetest.MustOpenSealed(t, db, clock, keys)
			mustWriteClearTextCells(t, st)
			raw := storetest.Raw(t, db)
			for _, c := range clearTextCells {
				if got := rawCell(t, raw, c.query); !strings.HasPrefix(got, "rd1:"+keys.KeyID()+":") || strings.Contains(got, "li-wei") {
					t.Errorf("%s: stored %.50q, want it sealed", c.query, got)
				}
			}
			if diff := cmp.Diff(wantCells(), clearTextRead(t, st)); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}

			rotated, err := service.NewKeyring(bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st = storetest.MustOpenSealed(t, db, clock, rotated) // restarted with the rotated keyring
			if _, err := st.RotateSealed(t.Context(), 2); err != nil {
				t.Fatal(err)
			}
			for _, c := range clearTextCells {
				if got := rawCell(t, raw, c.query); !strings.HasPrefix(got, "rd1:"+rotated.KeyID()+":") {
					t.Errorf("%s: after rotation %.50q, want it under the new key", c.query, got)
				}
			}
			if diff := cmp.Diff(wantCells(), clearTextRead(t, st)); diff != "" {
				t.Errorf("read back after rotation (-want +got):\n%s", diff)
			}
		})
	}
}

// A database written before these cells were sealed keeps working: migration 00013 marks the clear values it
// finds ('rd0:'), even one that looks sealed, the store reads marked and unmarked clear values alike, and
// SealClearText (run by the program at every start) seals them all.
func TestClearTextOfOlderVersionsIsSealedOnStart(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			st := storetest.MustOpen(t, db, clock)
			mustWriteClearTextCells(t, st)
			raw := storetest.Raw(t, db)
			// As an older version left them: in clear; the external ID one a web form chose to look sealed.
			looksSealed := "rd1:0000:not-sealed"
			for i, c := range clearTextCells {
				table, col := cellTableColumn(c.query)
				v := c.value
				if i == 0 {
					v = looksSealed
				}
				if i%2 == 0 { // marked by the migration; the others written by an older replica since
					v = "rd0:" + v
				}
				if _, err := raw.ExecContext(t.Context(), "UPDATE "+table+" SET "+col+" = $1", v); err != nil {
					t.Fatal(err)
				}
			}
			want := wantCells()
			want[0] = looksSealed
			if diff := cmp.Diff(want, clearTextRead(t, st)); diff != "" {
				t.Errorf("read before sealing (-want +got):\n%s", diff)
			}
			n, err := st.SealClearText(t.Context(), 2)
			if err != nil || n != len(clearTextCells) {
				t.Fatalf("SealClearText = %d, %v; want %d", n, err, len(clearTextCells))
			}
			for _, c := range clearTextCells {
				if got := rawCell(t, raw, c.query); !strings.HasPrefix(got, "rd1:") || strings.Contains(got, "li-wei") {
					t.Errorf("%s: after SealClearText %.50q, want it sealed", c.query, got)
				}
			}
			if diff := cmp.Diff(want, clearTextRead(t, st)); diff != "" {
				t.Errorf("read after sealing (-want +got):\n%s", diff)
			}
			if n, err := st.SealClearText(t.Context(), 2); err != nil || n != 0 {
				t.Errorf("SealClearText again = %d, %v; want 0", n, err)
			}
		})
	}
}

// cellTableColumn takes the table and column out of a "SELECT col FROM table WHERE ..." query.
func cellTableColumn(query string) (table, col string) {
	f := strings.Fields(query)
	return f[3], f[1]
}
