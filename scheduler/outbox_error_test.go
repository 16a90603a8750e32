package scheduler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/mail/smtptest"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// The attack: a mail server's refusal names the recipient ("<li.wei@example.com>: Recipient address rejected"),
// and the outbox kept that text as its last error, in clear in the database, while the API masks the address.
// What is kept is the SMTP code and the server's text with addresses masked, sealed at rest.
func TestOutboxRefusalKeepsNoAddress(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			refusing := smtptest.NewServer(t, smtptest.RejectRecipients(550,
				"5.1.1 <li.wei@example.com>: Recipient address rejected: User unknown in virtual mailbox table"))
			clk := storetest.NewClock(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
			rep := newReplica(t, db, clk, refusing.URL())
			fileOne(t, rep.svc, "")
			if run := rep.run(t, service.JobOutbox); run.Detail != "0 sent, 0 to retry, 1 failed" {
				t.Fatalf("refused address: %q", run.Detail)
			}

			var stored string
			if err := storetest.Raw(t, db).QueryRowContext(context.Background(),
				"SELECT last_error FROM outbox WHERE status = 'failed'").Scan(&stored); err != nil {
				t.Fatalf("read the outbox row: %v", err)
			}
			for _, clear := range []string{"li.wei", "example.com", "Recipient address rejected"} {
				if strings.Contains(stored, clear) {
					t.Errorf("outbox.last_error holds %q in clear: %q", clear, stored)
				}
			}

			failed, err := rep.svc.OutboxMail(context.Background(), admin, service.MailFailed, 10)
			if err != nil || len(failed) != 1 {
				t.Fatalf("failed mails %v %v", failed, err)
			}
			got := failed[0].LastError
			for _, want := range []string{"550", "l***@example.com", "Recipient address rejected"} {
				if !strings.Contains(got, want) {
					t.Errorf("last error %q lacks %q: an operator needs the code and the server's text", got, want)
				}
			}
			if strings.Contains(got, "li.wei") {
				t.Errorf("last error %q names the recipient", got)
			}
		})
	}
}
