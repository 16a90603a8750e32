package store_test

import (
	"os"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestEmailKeyMigration: a database made before migration 00008 that already holds two users with one address
// (in different case) migrates: the oldest takes the address's key, the other keeps its row and tokens, and no
// third user can be given the address.
func TestEmailKeyMigration(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			raw := storetest.Raw(t, db)
			dialect := goose.DialectSQLite3
			if db.Dialect == store.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, raw, os.DirFS("migrations/"+db.Dialect), goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 7); err != nil {
				t.Fatalf("migrate to 7: %v", err)
			}
			for _, u := range []struct{ id, email, at string }{
				{"u-young", "olivia@example.com", "2026-03-01T00:00:00Z"},
				{"u-old", "Olivia@Example.com", "2026-01-01T00:00:00Z"},
				{"u-none", "", "2026-01-01T00:00:00Z"},
				{"u-none2", "", "2026-01-02T00:00:00Z"},
			} {
				q := "INSERT INTO users (id, name, email, role, created_at) VALUES ($1, 'x', $2, 'officer', $3)"
				if _, err := raw.ExecContext(ctx, q, u.id, u.email, u.at); err != nil {
					t.Fatalf("insert %s: %v", u.id, err)
				}
			}
			st := storetest.MustOpen(t, db, clock) // migrates the rest
			got, err := st.FindUserByEmail(ctx, "OLIVIA@example.com")
			if err != nil || got.ID != "u-old" {
				t.Errorf("FindUserByEmail after migration = %+v, %v; want the oldest, u-old", got, err)
			}
			if u, err := st.FindUser(ctx, "u-young"); err != nil || u.Email != "olivia@example.com" {
				t.Errorf("the younger user after migration: %+v, %v; want kept as it was", u, err)
			}
			wantCode(t, "a third user with the address", st.CreateUser(ctx, &service.User{ID: "u-third", Name: "x",
				Email: "olivia@EXAMPLE.com", Role: service.RoleOfficer, CreatedAt: testNow}), service.ECONFLICT)
		})
	}
}
