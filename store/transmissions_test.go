package store_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// A transmission's endpoint is the subject's choice of recipient and may carry the recipient's token: it is
// sealed at rest like the request's details, and opened for the transmitter.
func TestTransmissionEndpointIsSealed(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			keys, err := service.NewKeys(bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st := storetest.MustOpenSealed(t, db, clock, keys)
			mustCreateInTx(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			endpoint := "https://other.example/import?token=recipient-secret"
			if err := st.CreateTransmission(ctx, &service.Transmission{ID: "t-1", RequestID: "r-1", Endpoint: endpoint,
				Status: service.MailPending, NextAttemptAt: testNow, CreatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			due, err := st.DueTransmissions(ctx, testNow, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(due) != 1 || due[0].Endpoint != endpoint {
				t.Fatalf("DueTransmissions = %+v, want t-1 with its endpoint opened", due)
			}
			var stored string
			if err := storetest.Raw(t, db).QueryRowContext(ctx, "SELECT endpoint FROM transmissions WHERE id = 't-1'").Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "rd1:"+keys.KeyID()+":") || strings.Contains(stored, "recipient-secret") {
				t.Errorf("transmissions.endpoint stored as %.40q, want it sealed", stored)
			}

			// Rotation re-seals it under the new key, and it still opens.
			rotated, err := service.NewKeyring(bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st = storetest.MustOpenSealed(t, db, clock, rotated) // restarted with the rotated keyring
			if _, err := st.RotateSealed(ctx, 100); err != nil {
				t.Fatal(err)
			}
			if err := storetest.Raw(t, db).QueryRowContext(ctx, "SELECT endpoint FROM transmissions WHERE id = 't-1'").Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "rd1:"+rotated.KeyID()+":") {
				t.Errorf("after rotation transmissions.endpoint is %.40q, want it under the new key", stored)
			}
			if due, err := st.DueTransmissions(ctx, testNow, 10); err != nil || len(due) != 1 || due[0].Endpoint != endpoint {
				t.Errorf("DueTransmissions after rotation = %+v, %v", due, err)
			}
		})
	}
}
