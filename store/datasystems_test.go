package store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// A data system's DSNs carry the database's credentials: sealed at rest, rotated with the keys, opened for the
// connector. Its map and settings round-trip as they were saved.
func TestDataSystemsRoundTripWithSealedDSNs(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			keys, err := service.NewKeys(bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st := storetest.MustOpenSealed(t, db, clock, keys)
			d := &service.DataSystem{ID: "d-1", Name: "shop", Kind: service.KindPostgres,
				DSN: "postgres://collector:collector-secret@db.internal/shop", EraseDSN: "postgres://eraser:eraser-secret@db.internal/shop",
				Map: service.DatasetMap{Tables: []service.MapTable{{Name: "customers", Identity: map[string]string{"email": "email"},
					Erase: service.EraseUpdate, Columns: map[string]service.MapColumn{"email": {Category: "contact", Erase: service.ColumnMask, Hash: true}}}}},
				RowCap: 50, StatementTimeout: 1500 * time.Millisecond, CallbackTimeout: 72 * time.Hour,
				CreatedAt: testNow.UTC(), UpdatedAt: testNow.UTC(), CreatedBy: "u-admin"}
			if err := st.CreateDataSystem(ctx, d); err != nil {
				t.Fatal(err)
			}
			dup := *d
			dup.ID = "d-2"
			if err := st.CreateDataSystem(ctx, &dup); service.ErrorCode(err) != service.ECONFLICT {
				t.Errorf("a second system named shop: %v, want conflict", err)
			}
			got, err := st.FindDataSystem(ctx, "d-1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(d, got); diff != "" {
				t.Errorf("FindDataSystem (-want +got):\n%s", diff)
			}
			var dsn, eraseDSN string
			if err := storetest.Raw(t, db).QueryRowContext(ctx, "SELECT dsn, erase_dsn FROM data_systems WHERE id = 'd-1'").Scan(&dsn, &eraseDSN); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{dsn, eraseDSN} {
				if !strings.HasPrefix(v, "rd1:"+keys.KeyID()+":") || strings.Contains(v, "secret") {
					t.Errorf("a DSN is stored as %.40q, want it sealed", v)
				}
			}
			rotated, err := service.NewKeyring(bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st = storetest.MustOpenSealed(t, db, clock, rotated) // restarted with the rotated keyring
			if _, err := st.RotateSealed(ctx, 100); err != nil {
				t.Fatal(err)
			}
			if err := storetest.Raw(t, db).QueryRowContext(ctx, "SELECT dsn FROM data_systems WHERE id = 'd-1'").Scan(&dsn); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(dsn, "rd1:"+rotated.KeyID()+":") {
				t.Errorf("after rotation the DSN is %.40q, want it under the new key", dsn)
			}
			d.Name, d.RowCap = "shop-eu", 10
			if err := st.UpdateDataSystem(ctx, d); err != nil {
				t.Fatal(err)
			}
			all, err := st.ListDataSystems(ctx)
			if err != nil || len(all) != 1 || all[0].Name != "shop-eu" || all[0].RowCap != 10 || all[0].DSN != d.DSN {
				t.Errorf("ListDataSystems = %+v, %v", all, err)
			}
			if err := st.DeleteDataSystem(ctx, "d-1"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.FindDataSystem(ctx, "d-1"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("after delete: %v", err)
			}
			if err := st.DeleteDataSystem(ctx, "d-1"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("second delete: %v", err)
			}
		})
	}
}

// Runs keep each system's part as saved, are found only through their request, and a running run is listed as
// unfinished until it is saved done.
func TestRunsRoundTrip(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			mustCreateInTx(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			due := testNow.Add(time.Hour).UTC()
			run := &service.Run{ID: "run-1", RequestID: "r-1", Kind: service.RunErase, Status: service.RunRunning,
				CreatedAt: testNow.UTC(), CreatedBy: "u-admin", Systems: []*service.SystemRun{
					{SystemID: "d-1", Name: "shop", Kind: service.KindMySQL, Status: service.RunDone,
						Tables:   map[string]service.TableCounts{"orders": {Rows: 2, Updated: 2, Retained: 2}},
						Retained: map[string]string{"orders": "tax law"}},
					{SystemID: "d-2", Name: "crm", Kind: service.KindHTTP, Status: service.RunPending, DueAt: &due,
						CallbackHash: "hash", Tables: map[string]service.TableCounts{}}}}
			if err := st.CreateRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			got, err := st.FindRun(ctx, "r-1", "run-1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(run, got); diff != "" {
				t.Errorf("FindRun (-want +got):\n%s", diff)
			}
			if _, err := st.FindRun(ctx, "r-other", "run-1"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("a run through another request: %v", err)
			}
			if open, err := st.UnfinishedRuns(ctx, 10); err != nil || len(open) != 1 {
				t.Errorf("UnfinishedRuns = %v, %v", open, err)
			}
			finished := testNow.Add(2 * time.Hour).UTC()
			run.Status, run.FinishedAt, run.Systems[1].Status = service.RunDone, &finished, service.RunDone
			if err := st.SaveRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			list, err := st.ListRuns(ctx, "r-1")
			if err != nil || len(list) != 1 || list[0].Status != service.RunDone || list[0].Systems[1].Status != service.RunDone ||
				!list[0].FinishedAt.Equal(finished) {
				t.Errorf("ListRuns = %+v, %v", list, err)
			}
			if open, err := st.UnfinishedRuns(ctx, 10); err != nil || len(open) != 0 {
				t.Errorf("UnfinishedRuns after finishing = %v, %v", open, err)
			}
		})
	}
}
