package store_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// The attack: any local user reads a database file, its WAL or its shared memory, created with the process's
// default mode (0644 under the usual umask 022). The store creates them readable by their owner only.
func TestSQLiteFilesAreCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the common default, under which SQLite alone creates 0644 files
	t.Cleanup(func() { syscall.Umask(old) })
	db := storetest.SQLite(t)
	st := storetest.MustOpen(t, db, clock)
	mustCreate(t, st, minimalRequest("r-1", "DSR-2026-000001")) // a write, so that the WAL and SHM exist

	for _, name := range []string{db.DSN, db.DSN + "-wal", db.DSN + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(name), err)
			continue
		}
		if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("%s mode = %v, want %v", filepath.Base(name), got, want)
		}
	}
}

// An existing database file keeps the mode its operator gave it.
func TestSQLiteExistingFileModeKept(t *testing.T) {
	db := storetest.SQLite(t)
	if err := os.WriteFile(db.DSN, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db.DSN, 0o640); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), db.DSN, store.Options{Now: clock, Sealer: storetest.TestKeys(t, db.DSN)})
	if err != nil {
		t.Fatalf("Open an empty existing file: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	info, err := os.Stat(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o640); got != want {
		t.Errorf("mode = %v, want %v (kept)", got, want)
	}
}
