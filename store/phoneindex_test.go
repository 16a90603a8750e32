package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// byPhone lists the IDs of the requests a phone index finds.
func byPhone(tb testing.TB, st *store.Store, index string) []string {
	tb.Helper()
	rs, err := st.ListRequests(context.Background(), service.RequestFilter{PhoneIndex: index, Limit: 10})
	if err != nil {
		tb.Fatalf("ListRequests by phone: %v", err)
	}
	return ids(rs)
}

// phoneIndexCell reads a request's phone_index as stored: "NULL" for a row not indexed yet.
func phoneIndexCell(tb testing.TB, raw *sql.DB, id string) string {
	tb.Helper()
	var v sql.NullString
	if err := raw.QueryRowContext(context.Background(), "SELECT phone_index FROM requests WHERE id = $1", id).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	if !v.Valid {
		return "NULL"
	}
	return v.String
}

// Requests filed before the phone index existed (or by an older replica since) are indexed at start, from the
// opened subject: a request with an e-mail and a phone is then found by its phone, one without a phone or redacted
// gets none, saving a request meanwhile does not hide it from the pass, a second pass does nothing, and redaction
// clears the index.
func TestBackfillPhoneIndex(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			keys := storetest.TestKeys(t, db.DSN)
			if err := service.LoadKeys(ctx, st, keys); err != nil {
				t.Fatal(err)
			}
			withBoth := fullRequest("r-both", "DSR-2026-000001") // zhang@example.com, +86 138 0000 0000
			withBoth.PhoneIndex = keys.PhoneIndex(withBoth.Subject.Phone)
			noPhone := minimalRequest("r-none", "DSR-2026-000002")
			phoneOnly := minimalRequest("r-phone", "DSR-2026-000003")
			phoneOnly.Subject.Phone = "139 1111 2222"
			redacted := fullRequest("r-redacted", "DSR-2026-000004")
			mustCreate(t, st, withBoth, noPhone, phoneOnly, redacted)
			if err := st.Redact(ctx, redacted.ID, testNow); err != nil {
				t.Fatal(err)
			}
			if got := byPhone(t, st, keys.PhoneIndex("8613800000000")); len(got) != 1 || got[0] != withBoth.ID {
				t.Fatalf("filed with a phone index, found by phone: %v, want [%s]", got, withBoth.ID)
			}

			// As an older version left them: no phone index at all.
			raw := storetest.Raw(t, db)
			if _, err := raw.ExecContext(ctx, "UPDATE requests SET phone_index = NULL"); err != nil {
				t.Fatal(err)
			}
			if got := byPhone(t, st, keys.PhoneIndex("8613800000000")); len(got) != 0 {
				t.Fatalf("before the pass, found by phone: %v", got)
			}
			// Updating a request does not write its phone index, so the row stays marked for the pass.
			saved, err := st.FindRequest(ctx, withBoth.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.UpdateRequestParts(ctx, saved, allParts...); err != nil {
				t.Fatal(err)
			}

			n, err := st.BackfillPhoneIndex(ctx, 2, keys.PhoneIndex)
			if err != nil || n != 2 {
				t.Fatalf("BackfillPhoneIndex = %d, %v; want 2 (the requests with a phone, not redacted)", n, err)
			}
			for _, sc := range []struct{ phone, want string }{
				{"+86 138-0000-0000", withBoth.ID},
				{"13911112222", phoneOnly.ID},
			} {
				if got := byPhone(t, st, keys.PhoneIndex(sc.phone)); len(got) != 1 || got[0] != sc.want {
					t.Errorf("after the pass, %s finds %v, want [%s]", sc.phone, got, sc.want)
				}
			}
			for _, id := range []string{noPhone.ID, redacted.ID} {
				if got := phoneIndexCell(t, raw, id); got != "" {
					t.Errorf("%s: phone_index %q after the pass, want ''", id, got)
				}
			}
			if got, err := st.FindRequest(ctx, withBoth.ID); err != nil || got.PhoneIndex != keys.PhoneIndex("8613800000000") {
				t.Errorf("FindRequest after the pass: phone index %q, %v", got.PhoneIndex, err)
			}
			if n, err := st.BackfillPhoneIndex(ctx, 2, keys.PhoneIndex); err != nil || n != 0 {
				t.Errorf("BackfillPhoneIndex again = %d, %v; want 0", n, err)
			}

			if err := st.Redact(ctx, withBoth.ID, testNow); err != nil {
				t.Fatal(err)
			}
			if got := phoneIndexCell(t, raw, withBoth.ID); got != "" {
				t.Errorf("phone_index %q after redaction, want ''", got)
			}
			if got := byPhone(t, st, keys.PhoneIndex("8613800000000")); len(got) != 0 {
				t.Errorf("after redaction, found by phone: %v", got)
			}
		})
	}
}
