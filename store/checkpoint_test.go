package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestCheckpointsOffTheWriter: what the writer commits reaches the database file itself while the store is open,
// long before the WAL grows to the size at which the writer would checkpoint by itself: the checkpointer copies
// it. Read from a copy of the database file alone, without its WAL.
func TestCheckpointsOffTheWriter(t *testing.T) {
	db := storetest.SQLite(t)
	st := storetest.MustOpen(t, db, clock)
	ctx := t.Context()
	if n := store.WriterAutocheckpoint(t, st); n != 10000 {
		t.Errorf("the writer checkpoints by itself past %d pages, want 10000 (the checkpointer's job below)", n)
	}
	for i := range 20 {
		if err := st.WithTx(ctx, func(tx service.Store) error {
			return tx.CreateUser(ctx, &service.User{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
				Name: fmt.Sprintf("user %d", i), Role: service.RoleAuditor, CreatedAt: clock()})
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := usersInFileAlone(t, db.DSN)
		if n == 20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file alone holds %d of the 20 users 5 s after their commits", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// usersInFileAlone counts the users of a copy of the database file made without its -wal and -shm files.
func usersInFileAlone(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "alone.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+cp+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0 // the copy may catch the file between a checkpoint's writes
	}
	return n
}
