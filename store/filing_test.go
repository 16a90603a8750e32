package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// CreateFiling writes a numbered filing's rows in one go: the request, its acknowledgement's links, the mail
// sealed before the request was numbered, read (found, due) with the reference in place of the mark and sealed at
// rest, and the idempotency record. A second filing under the same idempotency key is ECONFLICT and writes
// nothing of its own, not even the rows its statement carries before the record's.
func TestCreateFilingWritesTheRowsOfAFiling(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			st := storetest.MustOpen(t, db, clock)
			at := clock().UTC().Truncate(time.Second)
			filing := func(id, ref, mailID string) *service.NewFiling {
				t.Helper()
				r := fullRequest(id, "")
				sr, err := st.SealRequest(r)
				if err != nil {
					t.Fatal(err)
				}
				r.Reference = ref
				m := &service.Mail{ID: mailID, DedupeKey: "acknowledgement:" + id, Kind: "acknowledgement", RequestID: id,
					To: "li.wei@example.com", Subject: "Request " + service.ReferenceMark + " received",
					Text: "Your request " + service.ReferenceMark + " was filed.", Status: service.MailPending,
					NextAttemptAt: at, CreatedAt: at}
				sm, err := st.SealMail(m)
				if err != nil {
					t.Fatal(err)
				}
				return &service.NewFiling{Request: sr, Mail: sm,
					Links: []*service.SubjectLink{
						{TokenHash: "h-withdraw-" + id, RequestID: id, Purpose: "withdraw", ExpiresAt: at.Add(time.Hour), CreatedAt: at},
						{TokenHash: "h-status-" + id, RequestID: id, Purpose: "status", ExpiresAt: at.Add(time.Hour), CreatedAt: at}},
					Idempotency: &service.IdempotencyRecord{Scope: "u-intake", Key: "k-1", Fingerprint: "fp", RequestID: id, CreatedAt: at}}
			}
			first := filing("00000000-0000-7000-8000-000000000001", "DSR-2026-000042", "m-ack-1")
			if err := st.WithTx(ctx, func(tx service.Store) error { return tx.CreateFiling(ctx, first) }); err != nil {
				t.Fatalf("CreateFiling: %v", err)
			}
			r := mustFind(t, st, first.Request.Value.ID)
			if r.Reference != "DSR-2026-000042" || !cmp.Equal(r.Subject, first.Request.Value.Subject) {
				t.Errorf("stored request %s with subject %+v", r.Reference, r.Subject)
			}
			for _, purpose := range []string{"withdraw", "status"} {
				l, err := st.FindSubjectLink(ctx, "h-"+purpose+"-"+r.ID)
				if err != nil || l.RequestID != r.ID || l.Purpose != purpose {
					t.Errorf("link %s: %+v, %v", purpose, l, err)
				}
			}
			if rec, err := st.FindIdempotencyKey(ctx, "u-intake", "k-1"); err != nil || rec.RequestID != r.ID {
				t.Errorf("idempotency record: %+v, %v", rec, err)
			}
			want := *first.Mail.Value
			want.Subject, want.Text = "Request DSR-2026-000042 received", "Your request DSR-2026-000042 was filed."
			got, err := st.FindMail(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("found (-want +got):\n%s", diff)
			}
			due, err := st.DueMail(ctx, at, 10)
			if err != nil || len(due) != 1 || due[0].Text != want.Text || due[0].Subject != want.Subject {
				t.Errorf("DueMail = %+v, %v; want the mail with its reference", due, err)
			}
			var text, ref string
			if err := storetest.Raw(t, db).QueryRow("SELECT body_text, reference FROM outbox WHERE id = 'm-ack-1'").
				Scan(&text, &ref); err != nil {
				t.Fatal(err)
			}
			if ref != "DSR-2026-000042" || !strings.HasPrefix(text, "rd1:") {
				t.Errorf("stored reference %q, text %.12q...; want the reference and the text sealed", ref, text)
			}

			retry := filing("00000000-0000-7000-8000-000000000002", "DSR-2026-000043", "m-ack-2")
			err = st.WithTx(ctx, func(tx service.Store) error { return tx.CreateFiling(ctx, retry) })
			wantCode(t, "CreateFiling under a taken idempotency key", err, service.ECONFLICT)
			if _, err := st.FindRequest(ctx, retry.Request.Value.ID); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("the refused filing's request: %v, want none", err)
			}
			if _, err := st.FindMail(ctx, "m-ack-2"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("the refused filing's mail: %v, want none", err)
			}
		})
	}
}
