package store_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// The officer's question, the subject's answer and the answer's files may hold personal data: sealed at rest,
// re-sealed by key rotation, removed by retention.
func TestSubjectMessagesSealedRotatedRedacted(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			ctx := t.Context()
			keys, err := service.NewKeys(bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st := storetest.MustOpenSealed(t, db, clock, keys)
			mustCreateInTx(t, st, minimalRequest("r-1", "DSR-2026-000001"))
			q := &service.SubjectMessage{ID: "m-1", RequestID: "r-1", Kind: service.MessageQuestion,
				Body: "Is your address still Room 3?", CreatedBy: "u-1", CreatedAt: testNow}
			a := &service.SubjectMessage{ID: "m-2", RequestID: "r-1", Kind: service.MessageAnswer, Body: "Yes, Room 3.",
				CreatedBy: "subject", CreatedAt: testNow.Add(1), Files: []*service.SubjectFile{{ID: "f-1", RequestID: "r-1",
					Name: "id-card.png", ContentType: "image/png", Size: 8, SHA256: "x", Content: []byte("\x89PNG\r\n\x1a\n"),
					CreatedAt: testNow}}}
			for _, m := range []*service.SubjectMessage{q, a} {
				if err := st.CreateSubjectMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			raw := storetest.Raw(t, db)
			stored := func() (body, content string) {
				t.Helper()
				if err := raw.QueryRowContext(ctx, "SELECT body FROM subject_messages WHERE id = 'm-2'").Scan(&body); err != nil {
					t.Fatal(err)
				}
				var b []byte
				if err := raw.QueryRowContext(ctx, "SELECT content FROM subject_files WHERE id = 'f-1'").Scan(&b); err != nil {
					t.Fatal(err)
				}
				return body, string(b)
			}
			body, content := stored()
			if !strings.HasPrefix(body, "rd1:"+keys.KeyID()+":") || !strings.HasPrefix(content, "rd1:"+keys.KeyID()+":") {
				t.Errorf("stored %.30q and %.30q, want both sealed", body, content)
			}
			rotated, err := service.NewKeyring(bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			st = storetest.MustOpenSealed(t, db, clock, rotated) // a restart with the rotated keyring
			if _, err := st.RotateSealed(ctx, 100); err != nil {
				t.Fatal(err)
			}
			body, content = stored()
			if !strings.HasPrefix(body, "rd1:"+rotated.KeyID()+":") || !strings.HasPrefix(content, "rd1:"+rotated.KeyID()+":") {
				t.Errorf("after rotation %.30q and %.30q, want both under the new key", body, content)
			}
			msgs, err := st.SubjectMessages(ctx, "r-1")
			if err != nil || len(msgs) != 2 || msgs[1].Body != "Yes, Room 3." || len(msgs[1].Files) != 1 || msgs[1].Files[0].Content != nil {
				t.Fatalf("SubjectMessages = %+v, %v", msgs, err)
			}
			if latest, err := st.LatestSubjectMessage(ctx, "r-1", service.MessageQuestion); err != nil || latest.Body != q.Body {
				t.Errorf("LatestSubjectMessage = %+v, %v", latest, err)
			}
			if f, err := st.SubjectFile(ctx, "r-1", "f-1"); err != nil || string(f.Content) != "\x89PNG\r\n\x1a\n" {
				t.Errorf("SubjectFile = %v", err)
			}
			if _, err := st.SubjectFile(ctx, "r-2", "f-1"); service.ErrorCode(err) != service.ENOTFOUND {
				t.Errorf("another request's file: %v, want not found", err)
			}
			if err := st.Redact(ctx, "r-1", testNow); err != nil {
				t.Fatal(err)
			}
			var name string
			var gone []byte
			if err := raw.QueryRowContext(ctx, "SELECT body FROM subject_messages WHERE id = 'm-2'").Scan(&body); err != nil {
				t.Fatal(err)
			}
			if err := raw.QueryRowContext(ctx, "SELECT name, content FROM subject_files WHERE id = 'f-1'").Scan(&name, &gone); err != nil {
				t.Fatal(err)
			}
			if body != "[redacted]" || name != "[redacted]" || gone != nil {
				t.Errorf("after retention: body %q, file %q with %d bytes", body, name, len(gone))
			}
		})
	}
}
