package scheduler_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/mail"
	"github.com/rightsdesk/rightsdesk/mail/smtptest"
	"github.com/rightsdesk/rightsdesk/scheduler"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

const dpo = "dpo@staff.example"

// replica is one Rightsdesk process: a store on the shared database and a service sending to the SMTP server.
type replica struct {
	store *store.Store
	svc   *service.Service
}

func newReplica(t *testing.T, db storetest.DB, clk *storetest.Clock, smtpURL string) *replica {
	t.Helper()
	st := storetest.MustOpen(t, db, clk.Now)
	cfg := service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, DPOEmail: dpo, PublicURL: "https://privacy.example.com"}
	if smtpURL != "" {
		c, err := mail.ParseURL(smtpURL)
		if err != nil {
			t.Fatal(err)
		}
		sender, err := mail.NewSender(c, "rightsdesk@company.example")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Mailer = sender
	}
	svc, err := service.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &replica{store: st, svc: svc}
}

func (r *replica) run(t *testing.T, job string) *service.JobRun {
	t.Helper()
	run, err := r.svc.RunJob(context.Background(), service.SystemActor, job, "test")
	if err != nil {
		t.Fatalf("run %s: %v", job, err)
	}
	return run
}

var admin = service.Actor{UserID: "u-admin", Role: service.RoleAdmin}

// fileAssigned files a deletion received 2026-09-15 10:00 in Shanghai (due 2026-10-12), routed to a queue with
// an escalation address and assigned to its officer.
func fileAssigned(t *testing.T, svc *service.Service) *service.Request {
	t.Helper()
	ctx := context.Background()
	p, err := svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Olivia", Email: "olivia@staff.example",
		Role: service.RoleOfficer})
	if err != nil {
		t.Fatal(err)
	}
	name, addr, def, members := "Deletions", "team@staff.example", true, []string{p.User.ID}
	if _, err := svc.CreateQueue(ctx, admin, service.QueueInput{Name: &name, EscalationEmail: &addr, Default: &def, Members: &members}); err != nil {
		t.Fatal(err)
	}
	return fileOne(t, svc, p.User.ID)
}

func fileOne(t *testing.T, svc *service.Service, assignee string) *service.Request {
	t.Helper()
	ctx := context.Background()
	received := time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai)
	r, _, err := svc.FileRequest(ctx, admin, service.FileRequestCommand{Type: service.TypeDeletion, Channel: service.ChannelEmail,
		Subject:    service.Subject{Name: "Li Wei", Email: "li.wei@example.com", Phone: "+86 138 0000 0000"},
		Details:    service.Details{Ground: service.GroundNoLongerUsingService, Explanation: "I left the service."},
		ReceivedAt: &received})
	if err != nil {
		t.Fatal(err)
	}
	if assignee != "" {
		if r, err = svc.Assign(ctx, admin, r.ID, service.AssignCommand{AssigneeID: assignee}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// escalationMails keeps the escalations among the messages.
func escalationMails(ms []smtptest.Message) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range ms {
		if strings.HasPrefix(m.Subject, "[Rightsdesk]") {
			out = append(out, m)
		}
	}
	return out
}

// TestEscalationsArriveBySMTP drives the escalations and outbox jobs with the clock through the ladder and reads
// what a real SMTP server receives: who, what, and never the subject's personal data.
func TestEscalationsArriveBySMTP(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			clk := storetest.NewClock(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
			rep := newReplica(t, db, clk, srv.URL())
			r := fileAssigned(t, rep.svc)
			rep.run(t, service.JobOutbox) // the acknowledgement to the subject
			ack := srv.WaitFor(t, 1, 10*time.Second)
			if ack[0].To[0] != "li.wei@example.com" || !strings.Contains(ack[0].Text, r.Reference) {
				t.Errorf("acknowledgement %+v", ack[0])
			}
			srv.Reset()

			steps := []struct {
				at      time.Time
				wantTo  []string
				subject string
			}{
				{time.Date(2026, 10, 8, 9, 0, 0, 0, shanghai), []string{"olivia@staff.example"}, "Reminder"},
				{time.Date(2026, 10, 13, 9, 0, 0, 0, shanghai), []string{"olivia@staff.example", "team@staff.example"}, "OVERDUE"},
				{time.Date(2026, 10, 14, 9, 0, 0, 0, shanghai), []string{dpo}, "data protection officer"},
			}
			for _, st := range steps {
				clk.Set(st.at)
				rep.run(t, service.JobEscalations)
				rep.run(t, service.JobOutbox)
				got := srv.WaitFor(t, len(st.wantTo), 10*time.Second)
				var to []string
				for _, m := range got {
					to = append(to, m.To...)
					if !strings.Contains(m.Subject, st.subject) || !strings.Contains(m.Subject, r.Reference) {
						t.Errorf("%s: subject %q", st.at, m.Subject)
					}
					for _, want := range []string{"12 October 2026", "deletion of personal data", "https://privacy.example.com/console/requests/" + r.ID} {
						if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
							t.Errorf("%s: body lacks %q:\n%s", st.at, want, m.Text)
						}
					}
					for _, pd := range []string{"Li Wei", "li.wei", "138 0000", "I left"} {
						if strings.Contains(string(m.Data), pd) {
							t.Errorf("%s: the escalation carries the subject's %q", st.at, pd)
						}
					}
				}
				if strings.Join(sortedCopy(to), ",") != strings.Join(st.wantTo, ",") {
					t.Errorf("%s: sent to %v, want %v", st.at, to, st.wantTo)
				}
				// Running both jobs again sends nothing more.
				rep.run(t, service.JobEscalations)
				rep.run(t, service.JobOutbox)
				if n := len(srv.Messages()); n != len(st.wantTo) {
					t.Errorf("%s: %d messages after a second run, want %d", st.at, n, len(st.wantTo))
				}
				srv.Reset()
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestTwoSchedulersSendEachEscalationOnce runs two real schedulers (cron, every second) on one database: every
// escalation reaches the SMTP server exactly once.
func TestTwoSchedulersSendEachEscalationOnce(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			clk := storetest.NewClock(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
			a, b := newReplica(t, db, clk, srv.URL()), newReplica(t, db, clk, srv.URL())
			first := fileAssigned(t, a.svc)
			for range 4 {
				fileOne(t, b.svc, first.AssigneeID)
			}
			a.run(t, service.JobOutbox) // the five acknowledgements
			srv.WaitFor(t, 5, 10*time.Second)
			srv.Reset()
			clk.Set(time.Date(2026, 10, 14, 9, 0, 0, 0, shanghai)) // every request overdue by 2 working days

			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for i, rep := range []*replica{a, b} {
				s, err := scheduler.New(scheduler.Config{Service: rep.svc, Logger: zerolog.Nop(), Holder: []string{"a", "b"}[i],
					Schedules: map[string]string{service.JobEscalations: "@every 1s", service.JobOutbox: "@every 1s"}})
				if err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() { defer wg.Done(); s.Run(ctx) }()
			}
			// Each request: overdue to Olivia and the team, then the DPO: 5 x 3 mails.
			defer func() {
				if t.Failed() {
					mails, _ := a.store.ListMail(context.Background(), "", 100)
					for _, m := range mails {
						t.Logf("mail %s %s %s attempts %d err %q", m.Kind, m.To, m.Status, m.Attempts, m.LastError)
					}
				}
			}()
			got := srv.WaitFor(t, 15, 30*time.Second)
			time.Sleep(3 * time.Second) // more runs of both schedulers, which must send nothing more
			cancel()
			wg.Wait()
			if n := len(srv.Messages()); n != 15 {
				t.Errorf("%d messages, want 15 (each escalation once)", n)
			}
			seen := map[string]int{}
			for _, m := range escalationMails(got) {
				seen[m.Header.Get("Message-Id")]++
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("message %s arrived %d times", id, n)
				}
			}
		})
	}
}

// TestKilledLeaseHolderIsReplaced: a replica that took a job's lease and died blocks the job until the lease
// expires; then another replica runs it.
func TestKilledLeaseHolderIsReplaced(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(time.Date(2026, 10, 14, 9, 0, 0, 0, shanghai))
			rep := newReplica(t, db, clk, "")
			ctx := context.Background()
			now := clk.Now()
			if ok, err := rep.store.AcquireLease(ctx, service.JobEscalations, "dead-replica", now, now.Add(service.JobLease)); err != nil || !ok {
				t.Fatalf("dead replica's lease: %v %v", ok, err)
			}
			_, err := rep.svc.RunJob(ctx, service.SystemActor, service.JobEscalations, "live-replica")
			if service.ErrorCode(err) != service.ECONFLICT {
				t.Fatalf("run while the lease is held: %v, want conflict", err)
			}
			clk.Set(now.Add(service.JobLease))
			if run := rep.run(t, service.JobEscalations); run.Outcome != "ok" || run.Holder != "test" {
				t.Errorf("run after expiry: %+v", run)
			}
			statuses, err := rep.svc.JobStatuses(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range statuses {
				if st.Name == service.JobEscalations && (st.LastRun == nil || st.LastRun.Outcome != "ok") {
					t.Errorf("jobs view: %+v", st.LastRun)
				}
			}
		})
	}
}

// TestOutboxRetriesThenFails: temporary failures are retried with backoff until delivered; a refused address
// fails at once and is visible until an admin retries it; a restart loses nothing.
func TestOutboxRetriesThenFails(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.FailNext(2, 451))
			clk := storetest.NewClock(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
			// Decided while no SMTP server was configured; the process then "crashes".
			queued := newReplica(t, db, clk, "")
			fileOne(t, queued.svc, "")
			if run := queued.run(t, service.JobOutbox); !strings.Contains(run.Detail, "1 mail(s) waiting") || run.Idle {
				t.Errorf("without SMTP: %q, idle %v", run.Detail, run.Idle)
			}
			rep := newReplica(t, db, clk, srv.URL())
			if run := rep.run(t, service.JobOutbox); run.Detail != "0 sent, 1 to retry, 0 failed" || run.Idle {
				t.Errorf("first attempt: %q, idle %v", run.Detail, run.Idle)
			}
			// Nothing due: the run says so by its Idle flag, which keeps the scheduler's log quiet.
			if run := rep.run(t, service.JobOutbox); run.Detail != "0 sent, 0 to retry, 0 failed" || !run.Idle {
				t.Errorf("before the backoff: %q, idle %v", run.Detail, run.Idle)
			}
			clk.Set(clk.Now().Add(time.Minute))
			rep.run(t, service.JobOutbox) // second failure; next in 2 minutes
			clk.Set(clk.Now().Add(2 * time.Minute))
			if run := rep.run(t, service.JobOutbox); run.Detail != "1 sent, 0 to retry, 0 failed" {
				t.Errorf("third attempt: %q", run.Detail)
			}
			if got := srv.WaitFor(t, 1, 10*time.Second); got[0].To[0] != "li.wei@example.com" {
				t.Errorf("delivered to %v", got[0].To)
			}

			refusing := smtptest.NewServer(t, smtptest.RejectRecipients(550, "no such user"))
			bad := newReplica(t, db, clk, refusing.URL())
			fileOne(t, bad.svc, "")
			if run := bad.run(t, service.JobOutbox); run.Detail != "0 sent, 0 to retry, 1 failed" {
				t.Errorf("refused address: %q", run.Detail)
			}
			failed, err := bad.svc.OutboxMail(context.Background(), admin, service.MailFailed, 10)
			if err != nil || len(failed) != 1 || failed[0].Attempts != 1 {
				t.Fatalf("failed mails %v %v", failed, err)
			}
			if _, err := bad.svc.RetryMail(context.Background(), admin, failed[0].ID); err != nil {
				t.Fatal(err)
			}
			if run := rep.run(t, service.JobOutbox); run.Detail != "1 sent, 0 to retry, 0 failed" {
				t.Errorf("after an admin's retry: %q", run.Detail)
			}
		})
	}
}

// TestCalendarWarning: from 1 December, with 2027 unloaded, admins are warned once by e-mail.
func TestCalendarWarning(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 11, 30, 23, 0, 0, 0, shanghai))
	rep := newReplica(t, storetest.SQLite(t), clk, "")
	ctx := context.Background()
	if _, err := rep.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: "Ada", Email: "ada@staff.example",
		Role: service.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if w := rep.svc.Warnings(); len(w) != 0 {
		t.Errorf("warnings on 30 November: %v", w)
	}
	clk.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai))
	rep.run(t, service.JobCalendars)
	rep.run(t, service.JobCalendars)
	if w := rep.svc.Warnings(); len(w) != 1 || !strings.Contains(w[0], "2027") {
		t.Errorf("warnings on 1 December: %v", w)
	}
	mails, err := rep.store.ListMail(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "ada@staff.example" || !strings.Contains(mails[0].Subject, "2027") {
		t.Errorf("calendar warning mails: %+v", mails)
	}
}

func TestInvalidScheduleNamesItsVariable(t *testing.T) {
	_, err := scheduler.New(scheduler.Config{Schedules: map[string]string{service.JobOutbox: "every ten seconds"}})
	if err == nil || !strings.Contains(err.Error(), "RIGHTSDESK_SCHEDULE_OUTBOX") {
		t.Errorf("invalid schedule: %v", err)
	}
}
