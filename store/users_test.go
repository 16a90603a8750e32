package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

func TestUsers(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			users := []*service.User{
				{ID: "u-admin", Name: "Ann Admin", Email: "ann@example.com", Role: service.RoleAdmin,
					CreatedAt: time.Date(2026, 1, 5, 9, 0, 0, 1000, cst)},
				{ID: "u-form", Name: "Web form", Role: service.RoleIntake, CreatedAt: testNow},
			}
			for _, u := range users {
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatalf("CreateUser(%s): %v", u.ID, err)
				}
			}
			for _, want := range users {
				got, err := st.FindUser(ctx, want.ID)
				if err != nil {
					t.Fatalf("FindUser(%s): %v", want.ID, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("FindUser(%s) (-want +got):\n%s", want.ID, diff)
				}
			}
			_, err := st.FindUser(ctx, "u-404")
			wantCode(t, "FindUser(u-404)", err, service.ENOTFOUND)
			wantCode(t, "CreateUser with an existing ID", st.CreateUser(ctx, &service.User{ID: "u-admin",
				Name: "Other", Role: service.RoleAuditor, CreatedAt: testNow}), service.ECONFLICT)
		})
	}
}

func TestTokens(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			admin := &service.User{ID: "u-admin", Name: "Ann Admin", Email: "ann@example.com",
				Role: service.RoleAdmin, CreatedAt: time.Date(2026, 1, 5, 9, 0, 0, 1000, cst)}
			admin2 := &service.User{ID: "u-admin2", Name: "Bo Admin", Email: "bo@example.com",
				Role: service.RoleAdmin, CreatedAt: testNow}
			officer := &service.User{ID: "u-officer", Name: "Olga Officer", Email: "olga@example.com",
				Role: service.RoleOfficer, CreatedAt: testNow.Add(time.Hour)}
			for _, u := range []*service.User{admin, admin2, officer} {
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatalf("CreateUser(%s): %v", u.ID, err)
				}
			}
			revoked := time.Date(2026, 2, 1, 0, 0, 0, 0, cst)
			tokens := []*service.Token{
				{ID: "t-1", UserID: admin.ID, Name: "laptop", SecretHash: service.HashTokenSecret("s1"),
					CreatedAt: time.Date(2026, 1, 6, 10, 11, 12, 131415000, cst)},
				{ID: "t-2", UserID: admin.ID, Name: "old", SecretHash: service.HashTokenSecret("s2"),
					CreatedAt: testNow, RevokedAt: &revoked},
				{ID: "t-3", UserID: admin2.ID, Name: "ci", SecretHash: service.HashTokenSecret("s3"),
					CreatedAt: testNow},
				{ID: "t-4", UserID: officer.ID, Name: "desk", SecretHash: service.HashTokenSecret("s4"),
					CreatedAt: testNow},
			}
			for _, tok := range tokens {
				if err := st.CreateToken(ctx, tok); err != nil {
					t.Fatalf("CreateToken(%s): %v", tok.ID, err)
				}
			}

			gotTok, gotUser, err := st.FindActiveToken(ctx, service.HashTokenSecret("s1"))
			if err != nil {
				t.Fatalf("FindActiveToken: %v", err)
			}
			if diff := cmp.Diff(tokens[0], gotTok); diff != "" {
				t.Errorf("FindActiveToken token (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(admin, gotUser); diff != "" {
				t.Errorf("FindActiveToken user (-want +got):\n%s", diff)
			}
			gotTok, gotUser, err = st.FindActiveToken(ctx, service.HashTokenSecret("s4"))
			if err != nil {
				t.Fatalf("FindActiveToken: %v", err)
			}
			if diff := cmp.Diff(tokens[3], gotTok); diff != "" {
				t.Errorf("FindActiveToken token (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(officer, gotUser); diff != "" {
				t.Errorf("FindActiveToken user (-want +got):\n%s", diff)
			}

			for name, hash := range map[string]string{
				"unknown hash":  service.HashTokenSecret("nope"),
				"revoked token": service.HashTokenSecret("s2"),
				"empty hash":    "",
			} {
				tok, u, err := st.FindActiveToken(ctx, hash)
				wantCode(t, "FindActiveToken, "+name, err, service.ENOTFOUND)
				if tok != nil || u != nil {
					t.Errorf("FindActiveToken, %s = %+v, %+v; want nil, nil", name, tok, u)
				}
			}

			for role, want := range map[service.Role]int{
				service.RoleAdmin: 2, service.RoleOfficer: 1, service.RoleAuditor: 0, service.RoleIntake: 0,
			} {
				got, err := st.CountActiveTokens(ctx, role)
				if err != nil {
					t.Fatalf("CountActiveTokens(%s): %v", role, err)
				}
				if got != want {
					t.Errorf("CountActiveTokens(%s) = %d, want %d", role, got, want)
				}
			}

			dup := &service.Token{ID: "t-5", UserID: officer.ID, Name: "copy", SecretHash: tokens[0].SecretHash,
				CreatedAt: testNow}
			wantCode(t, "CreateToken with an existing secret hash", st.CreateToken(ctx, dup), service.ECONFLICT)
			dup = &service.Token{ID: "t-6", UserID: officer.ID, Name: "revoked copy",
				SecretHash: tokens[1].SecretHash, CreatedAt: testNow}
			wantCode(t, "CreateToken with a revoked token's secret hash", st.CreateToken(ctx, dup),
				service.ECONFLICT)
			got, err := st.CountActiveTokens(ctx, service.RoleOfficer)
			if err != nil {
				t.Fatalf("CountActiveTokens: %v", err)
			}
			if got != 1 {
				t.Errorf("CountActiveTokens(officer) after rejected duplicates = %d, want 1", got)
			}
		})
	}
}

// TestUserEmailKey: the database itself refuses a second user with an e-mail address in another case (two
// replicas creating at once cannot both win), and finds a user by address whatever its case.
func TestUserEmailKey(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			if err := st.CreateUser(ctx, &service.User{ID: "u-1", Name: "Olivia", Email: "olivia@example.com",
				Role: service.RoleOfficer, CreatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			wantCode(t, "CreateUser with the same e-mail in capitals", st.CreateUser(ctx, &service.User{ID: "u-2",
				Name: "Olivia again", Email: "OLIVIA@example.com", Role: service.RoleOfficer, CreatedAt: testNow}), service.ECONFLICT)
			got, err := st.FindUserByEmail(ctx, " Olivia@EXAMPLE.com")
			if err != nil || got.ID != "u-1" {
				t.Errorf("FindUserByEmail = %+v, %v; want u-1", got, err)
			}
			_, err = st.FindUserByEmail(ctx, "nobody@example.com")
			wantCode(t, "FindUserByEmail(nobody)", err, service.ENOTFOUND)
		})
	}
}
