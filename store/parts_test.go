package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// UpdateRequestParts writes the named parts and updated_at, and leaves every other field as stored, even when
// the request passed in says otherwise.
func TestUpdateRequestPartsWritesOnlyTheNamedParts(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.MustOpen(t, db, clock)
			stored := minimalRequest("r-1", "DSR-2026-000001")
			mustCreate(t, st, stored)
			want, err := st.FindRequest(ctx, "r-1")
			if err != nil {
				t.Fatal(err)
			}

			changed := *want
			later := want.UpdatedAt.Add(time.Hour)
			paused := date(2026, 3, 5)
			changed.Status, changed.ClosedAt, changed.UpdatedAt = service.StatusWithdrawn, &later, later
			changed.Clock.Used, changed.Clock.Paused = 3, &paused
			changed.Due = service.Due{Date: date(2026, 3, 30), At: date(2026, 3, 30).EndOfDay(cst), Provisional: true}
			changed.AssigneeID, changed.VerifiedAt = "u-1", &later
			// Not named: must not be written.
			changed.Subject = service.Subject{Name: "Somebody Else"}
			changed.ReplyMessage, changed.EscalationLevel, changed.QueueID = "not saved", service.LevelDPO, "q-x"

			if err := st.UpdateRequestParts(ctx, &changed, service.PartStatus, service.PartClock,
				service.PartAssignee, service.PartVerified); err != nil {
				t.Fatal(err)
			}
			got, err := st.FindRequest(ctx, "r-1")
			if err != nil {
				t.Fatal(err)
			}
			want.Status, want.ClosedAt, want.UpdatedAt = changed.Status, changed.ClosedAt, changed.UpdatedAt
			want.Clock, want.Due, want.AssigneeID, want.VerifiedAt = changed.Clock, changed.Due, changed.AssigneeID, changed.VerifiedAt
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after UpdateRequestParts (-want +got):\n%s", diff)
			}

			wantCode(t, "unknown part", st.UpdateRequestParts(ctx, &changed, "subject"), service.EINTERNAL)
			missing := changed
			missing.ID = "r-none"
			wantCode(t, "missing request", st.UpdateRequestParts(ctx, &missing, service.PartStatus), service.ENOTFOUND)
		})
	}
}
