package service_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

const purgeDPO = "dpo@privacy.example"

func atUTC(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// forEachBackupDB runs fn on every dialect with a service that knows the DPO and numbers its IDs in order, so
// that the store's orderings by ID follow the order the tests create things in.
func forEachBackupDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(testNow)
			st := storetest.MustOpen(t, db, clk.Now)
			var n atomic.Int64
			svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, DPOEmail: purgeDPO,
				NewID: func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }})
			if err != nil {
				t.Fatalf("service.New: %v", err)
			}
			fn(t, &env{svc: svc, store: st, clock: clk})
		})
	}
}

func (e *env) mustBackupSystem(tb testing.TB, name string, generations, grace int) *service.BackupSystem {
	tb.Helper()
	b, err := e.svc.CreateBackupSystem(context.Background(), admin, service.NewBackupSystem{Name: name,
		OwnerEmail: "backups@staff.example", RefreshSchedule: "0 3 * * 0", Generations: generations, GraceHours: grace})
	if err != nil {
		tb.Fatalf("CreateBackupSystem(%s): %v (fields %v)", name, err, service.ErrorFields(err))
	}
	return b
}

func (e *env) mustRecordErasure(tb testing.TB, id string, executed time.Time) *service.Erasure {
	tb.Helper()
	er, err := e.svc.RecordErasure(context.Background(), admin, id, service.ErasureCommand{ExecutedAt: executed,
		Systems: []string{"crm", "hr"}})
	if err != nil {
		tb.Fatalf("RecordErasure(%s, %s): %v (fields %v)", id, executed, err, service.ErrorFields(err))
	}
	return er
}

// wantRefresh records a snapshot as the backup tooling and checks the requests it purged and completed.
func (e *env) wantRefresh(tb testing.TB, systemID string, taken time.Time, purged, completed []string) {
	tb.Helper()
	res, err := e.svc.RecordRefresh(context.Background(), integration, systemID, taken)
	if err != nil {
		tb.Fatalf("RecordRefresh(%s, %s): %v", systemID, taken, err)
	}
	if diff := cmp.Diff(service.RefreshResult{Purged: purged, Completed: completed}, *res); diff != "" {
		tb.Errorf("refresh at %s (-want +got):\n%s", taken, diff)
	}
}

func (e *env) mustErasure(tb testing.TB, id string) *service.Erasure {
	tb.Helper()
	er, err := e.svc.RequestErasure(context.Background(), id)
	if err != nil || er == nil {
		tb.Fatalf("RequestErasure(%s) = %v, %v; want an erasure", id, er, err)
	}
	return er
}

// erasureViews shows the erasures of requests, separated by " / ".
func (e *env) erasureViews(tb testing.TB, ids ...string) string {
	tb.Helper()
	var out []string
	for _, id := range ids {
		out = append(out, erasureView(e.mustErasure(tb, id)))
	}
	return strings.Join(out, " / ")
}

// erasureView shows an erasure as "state: backup=state[@purged_at] ..." with its purges in the order requests
// show them.
func erasureView(er *service.Erasure) string {
	v := er.State + ":"
	for _, p := range er.Purges {
		if v += " " + p.BackupName + "=" + p.State; p.PurgedAt != nil {
			v += "@" + p.PurgedAt.UTC().Format("01-02T15:04")
		}
	}
	return v
}

func countAction(evs []*service.Event, action string) int {
	n := 0
	for _, ev := range evs {
		if ev.Action == action {
			n++
		}
	}
	return n
}

func TestCreateBackupSystem(t *testing.T) {
	type nb = service.NewBackupSystem
	tests := []struct {
		name   string
		actor  service.Actor
		edit   func(*nb)
		code   string
		fields []string
	}{
		{"valid", admin, nil, "", nil},
		{"valid CRON_TZ", admin, func(b *nb) { b.Name, b.RefreshSchedule = "sh-files", "CRON_TZ=Asia/Shanghai 0 3 * * *" }, "", nil},
		{"no name", admin, func(b *nb) { b.Name = " " }, service.EINVALID, []string{"name"}},
		{"no owner", admin, func(b *nb) { b.OwnerEmail = "" }, service.EINVALID, []string{"owner_email"}},
		{"owner with a display name", admin, func(b *nb) { b.OwnerEmail = "Ops <ops@staff.example>" }, service.EINVALID,
			[]string{"owner_email"}},
		{"no schedule", admin, func(b *nb) { b.RefreshSchedule = "" }, service.EINVALID, []string{"refresh_schedule"}},
		{"schedule in words", admin, func(b *nb) { b.RefreshSchedule = "sundays" }, service.EINVALID, []string{"refresh_schedule"}},
		{"zero generations", admin, func(b *nb) { b.Generations = 0 }, service.EINVALID, []string{"generations"}},
		{"1001 generations", admin, func(b *nb) { b.Generations = 1001 }, service.EINVALID, []string{"generations"}},
		{"negative grace", admin, func(b *nb) { b.GraceHours = -1 }, service.EINVALID, []string{"grace_hours"}},
		{"grace over a leap year", admin, func(b *nb) { b.GraceHours = 8785 }, service.EINVALID, []string{"grace_hours"}},
		{"everything wrong", admin, func(b *nb) { *b = nb{OwnerEmail: "x", RefreshSchedule: "* *", Generations: -1, GraceHours: -1} },
			service.EINVALID, []string{"name", "owner_email", "refresh_schedule", "generations", "grace_hours"}},
		{"duplicate name", admin, nil, service.ECONFLICT, nil},
		{"officer", officer, func(b *nb) { b.Name = "officers-own" }, service.EFORBIDDEN, nil},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tt := range tests {
			in := nb{Name: "nightly-db", OwnerEmail: "backups@staff.example", RefreshSchedule: "0 3 * * 0", Generations: 1,
				GraceHours: 24}
			if tt.edit != nil {
				tt.edit(&in)
			}
			got, err := e.svc.CreateBackupSystem(ctx, tt.actor, in)
			if tt.code != "" {
				t.Run(tt.name, func(t *testing.T) { wantError(t, err, tt.code, tt.fields...) })
				continue
			}
			if err != nil || got.ID == "" {
				t.Fatalf("%s: CreateBackupSystem = %+v, %v (fields %v)", tt.name, got, err, service.ErrorFields(err))
			}
			want := &service.BackupSystem{ID: got.ID, Name: in.Name, OwnerEmail: in.OwnerEmail, RefreshSchedule: in.RefreshSchedule,
				Generations: in.Generations, GraceHours: in.GraceHours, CreatedAt: e.svc.Now(), UpdatedAt: e.svc.Now()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: created (-want +got):\n%s", tt.name, diff)
			}
		}
		list, err := e.svc.BackupSystems(ctx, integration)
		if err != nil || len(list) != 2 || list[0].Name != "nightly-db" || list[1].Name != "sh-files" {
			t.Errorf("BackupSystems = %v, %v; want nightly-db and sh-files", list, err)
		}
	})
}

// TestBackupRefusals: erasures, refreshes and restores refuse bad input, the wrong request and the wrong role,
// and change nothing.
func TestBackupRefusals(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b := e.mustBackupSystem(t, "nightly-db", 1, 24)
		received := time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai)
		del := e.mustFileInProgress(t, receivedAt(received))
		open := e.mustFile(t, admin, receivedAt(received))
		access := e.mustFileInProgress(t, validFiling(service.TypeAccess))
		ok, crm, now, unknown := atUTC(2026, 10, 14, 10, 0), []string{"crm"}, e.svc.Now(), "00000000-0000-4000-8000-999999999999"
		erase := func(a service.Actor, id string, at time.Time, systems []string) func() error {
			return func() error {
				_, err := e.svc.RecordErasure(ctx, a, id, service.ErasureCommand{ExecutedAt: at, Systems: systems})
				return err
			}
		}
		refresh := func(a service.Actor, id string, at time.Time) func() error {
			return func() error { _, err := e.svc.RecordRefresh(ctx, a, id, at); return err }
		}
		restore := func(a service.Actor, id string, at time.Time) func() error {
			return func() error { _, err := e.svc.RecordRestore(ctx, a, id, at); return err }
		}
		tests := []struct {
			name   string
			call   func() error
			code   string
			fields []string
		}{
			{"erasure without executed_at", erase(admin, del.ID, time.Time{}, crm), service.EINVALID, []string{"executed_at"}},
			{"erasure in the future", erase(admin, del.ID, now.Add(time.Minute), crm), service.EINVALID, []string{"executed_at"}},
			{"erasure before receipt", erase(admin, del.ID, received.Add(-time.Second), crm), service.EINVALID, []string{"executed_at"}},
			{"erasure without systems", erase(admin, del.ID, ok, nil), service.EINVALID, []string{"systems"}}, // once, not twice
			{"erasure from a blank system", erase(admin, del.ID, ok, []string{"crm", " "}), service.EINVALID, []string{"systems[1]"}},
			{"erasure of an access request", erase(admin, access.ID, ok, crm), service.ECONFLICT, nil},
			{"erasure of an open deletion", erase(admin, open.ID, ok, crm), service.ECONFLICT, nil},
			{"erasure by intake", erase(intake, del.ID, ok, crm), service.EFORBIDDEN, nil},
			{"erasure by integration", erase(integration, del.ID, ok, crm), service.EFORBIDDEN, nil},
			{"erasure by an officer of another queue", erase(officer, del.ID, ok, crm), service.ENOTFOUND, nil},
			{"erasure of an unknown request", erase(admin, unknown, ok, crm), service.ENOTFOUND, nil},
			{"refresh by an officer", refresh(officer, b.ID, now), service.EFORBIDDEN, nil},
			{"refresh in the future", refresh(integration, b.ID, now.Add(time.Second)), service.EINVALID, []string{"snapshot_taken_at"}},
			{"refresh without a time", refresh(integration, b.ID, time.Time{}), service.EINVALID, []string{"snapshot_taken_at"}},
			{"refresh of an unknown backup", refresh(integration, unknown, now), service.ENOTFOUND, nil},
			{"restore by an officer", restore(officer, b.ID, now), service.EFORBIDDEN, nil},
			{"restore in the future", restore(integration, b.ID, now.Add(time.Second)), service.EINVALID, []string{"snapshot_taken_at"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantError(t, tt.call(), tt.code, tt.fields...) })
		}
		for _, id := range []string{del.ID, open.ID, access.ID} {
			if er, err := e.svc.RequestErasure(ctx, id); er != nil || err != nil {
				t.Errorf("RequestErasure(%s) = %+v, %v after refusals; want none", id, er, err)
			}
		}
	})
}

// TestErasureThroughBackups follows a deletion from filing to complete: a backup keeping one generation purges it
// with its first snapshot at or after the deletion, one keeping two generations with its second.
func TestErasureThroughBackups(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Set(atUTC(2026, 10, 14, 11, 0))
		one, two := e.mustBackupSystem(t, "nightly-db", 1, 24), e.mustBackupSystem(t, "weekly-files", 2, 24)
		r := e.mustFileInProgress(t, receivedAt(time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai)))
		executed := atUTC(2026, 10, 14, 10, 0)
		got, err := e.svc.RecordErasure(ctx, admin, r.ID, service.ErasureCommand{ExecutedAt: executed.In(shanghai),
			Systems: []string{"crm", "hr"}})
		if err != nil {
			t.Fatalf("RecordErasure: %v", err)
		}
		if !got.ExecutedAt.Equal(executed) || got.RecordedBy != admin.UserID || !slices.Equal(got.Systems, []string{"crm", "hr"}) ||
			got.CompletedAt != nil || erasureView(got) != "pending_backups: nightly-db=pending weekly-files=pending" {
			t.Errorf("erasure %s %+v, want pending in both backups, executed %s by %s on crm,hr", erasureView(got), got,
				executed, admin.UserID)
		}
		if _, err := e.svc.Reply(ctx, admin, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled,
			Message: "Deleted; our backups rotate it out within weeks."}); err != nil {
			t.Fatalf("Reply: %v", err)
		}

		none, this := []string{}, []string{r.ID}
		steps := []struct {
			system       *service.BackupSystem
			taken        time.Time
			purged, done []string
			want         string
		}{
			{one, atUTC(2026, 10, 11, 3, 0), none, none, "pending_backups: nightly-db=pending weekly-files=pending"},
			{two, atUTC(2026, 10, 11, 3, 0), none, none, "pending_backups: nightly-db=pending weekly-files=pending"},
			{one, atUTC(2026, 10, 18, 3, 0), this, none, "pending_backups: nightly-db=purged@10-18T03:00 weekly-files=pending"},
			{two, atUTC(2026, 10, 18, 3, 0), none, none, "pending_backups: nightly-db=purged@10-18T03:00 weekly-files=pending"},
			{two, atUTC(2026, 10, 25, 3, 0), this, this, "complete: nightly-db=purged@10-18T03:00 weekly-files=purged@10-25T03:00"},
		}
		for _, st := range steps {
			e.clock.Set(st.taken.Add(time.Hour))
			e.wantRefresh(t, st.system.ID, st.taken, st.purged, st.done)
			if got := e.erasureViews(t, r.ID); got != st.want {
				t.Errorf("after %s at %s: %s, want %s", st.system.Name, st.taken, got, st.want)
			}
		}
		er := e.mustErasure(t, r.ID)
		if want := atUTC(2026, 10, 25, 4, 0); er.CompletedAt == nil || !er.CompletedAt.Equal(want) {
			t.Errorf("CompletedAt %v, want %s", er.CompletedAt, want)
		}
		evs := e.mustEvents(t, admin, r.ID)
		if countAction(evs, "erasure.recorded") != 1 || countAction(evs, "erasure.purged") != 2 {
			t.Errorf("events %v, want erasure.recorded once and erasure.purged twice", actions(evs))
		}
		if v, err := e.svc.VerifyAudit(ctx, auditor); err != nil || !v.OK {
			t.Errorf("VerifyAudit = %+v, %v", v, err)
		}
	})
}

// TestRecordRefreshSettlesEveryPendingPurge: one snapshot purges the deletions before it and not one after; the
// one after, listed between them (IDs are issued in order), must not stop the refresh settling the last.
func TestRecordRefreshSettlesEveryPendingPurge(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		e.clock.Set(atUTC(2026, 10, 20, 12, 0))
		b := e.mustBackupSystem(t, "nightly-db", 1, 24)
		received := time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai)
		first, after, last := e.mustFileInProgress(t, receivedAt(received)), e.mustFileInProgress(t, receivedAt(received)),
			e.mustFileInProgress(t, receivedAt(received))
		e.mustRecordErasure(t, first.ID, atUTC(2026, 10, 14, 10, 0))
		e.mustRecordErasure(t, after.ID, atUTC(2026, 10, 20, 10, 0))
		e.mustRecordErasure(t, last.ID, atUTC(2026, 10, 15, 10, 0))
		e.wantRefresh(t, b.ID, atUTC(2026, 10, 18, 3, 0), []string{first.ID, last.ID}, []string{first.ID, last.ID})
		want := "complete: nightly-db=purged@10-18T03:00 / pending_backups: nightly-db=pending / complete: nightly-db=purged@10-18T03:00"
		if got := e.erasureViews(t, first.ID, after.ID, last.ID); got != want {
			t.Errorf("erasures %s, want %s", got, want)
		}
	})
}

// TestRecordRestoreBetweenDeletions: restoring a snapshot taken between two deletions brings back only the later
// one; it stays reapply_required through refreshes until the deletion is executed and recorded again.
func TestRecordRestoreBetweenDeletions(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Set(atUTC(2026, 10, 20, 12, 0))
		sys := e.mustBackupSystem(t, "nightly-db", 1, 24)
		received := time.Date(2026, 10, 9, 10, 0, 0, 0, shanghai)
		a, b := e.mustFileInProgress(t, receivedAt(received)), e.mustFileInProgress(t, receivedAt(received))
		e.mustRecordErasure(t, a.ID, atUTC(2026, 10, 10, 10, 0))
		e.mustRecordErasure(t, b.ID, atUTC(2026, 10, 20, 10, 0))
		states := func() string { return e.erasureViews(t, a.ID, b.ID) }

		e.clock.Set(atUTC(2026, 10, 21, 9, 0))
		got, err := e.svc.RecordRestore(ctx, integration, sys.ID, atUTC(2026, 10, 15, 3, 0))
		if diff := cmp.Diff([]service.RestoredRequest{{RequestID: b.ID, Reference: b.Reference}}, got); err != nil || diff != "" {
			t.Errorf("RecordRestore: %v; restored (-want +got):\n%s", err, diff)
		}
		if got, want := states(), "pending_backups: nightly-db=pending / reapply_required: nightly-db=pending"; got != want {
			t.Errorf("after the restore A / B: %s, want %s", got, want)
		}
		if n := countAction(e.mustEvents(t, admin, b.ID), "erasure.reapply_required"); n != 1 {
			t.Errorf("%d erasure.reapply_required events on B, want 1", n)
		}

		e.clock.Set(atUTC(2026, 10, 26, 9, 0))
		e.wantRefresh(t, sys.ID, atUTC(2026, 10, 25, 3, 0), []string{a.ID}, []string{a.ID})
		if got, want := states(), "complete: nightly-db=purged@10-25T03:00 / reapply_required: nightly-db=pending"; got != want {
			t.Errorf("after a refresh A / B: %s, want %s", got, want)
		}

		// B is deleted again on the 26th: the snapshot of the 25th predates it, that of 1 November purges it.
		e.mustRecordErasure(t, b.ID, atUTC(2026, 10, 26, 8, 0))
		if got, want := states(), "complete: nightly-db=purged@10-25T03:00 / pending_backups: nightly-db=pending"; got != want {
			t.Errorf("B recorded again A / B: %s, want %s", got, want)
		}
		e.clock.Set(atUTC(2026, 11, 1, 9, 0))
		e.wantRefresh(t, sys.ID, atUTC(2026, 11, 1, 3, 0), []string{b.ID}, []string{b.ID})
		if got, err := e.svc.RecordRestore(ctx, integration, sys.ID, atUTC(2026, 10, 30, 3, 0)); err != nil || len(got) != 0 {
			t.Errorf("restore of a snapshot after every deletion = %v, %v; want none", got, err)
		}

		// Both restores are listed, newest first.
		restores, err := e.svc.Restores(ctx, auditor, sys.ID)
		if err != nil || len(restores) != 2 {
			t.Fatalf("Restores: %d, %v; want 2", len(restores), err)
		}
		if got, want := restores[0].SnapshotTakenAt, atUTC(2026, 10, 30, 3, 0); !got.Equal(want) || restores[0].RecordedBy != integration.UserID ||
			!restores[0].RecordedAt.Equal(atUTC(2026, 11, 1, 9, 0)) {
			t.Errorf("the newest restore: %+v, want snapshot %s recorded at 11-01 09:00 by %s", restores[0], want, integration.UserID)
		}
		if got, want := restores[1].SnapshotTakenAt, atUTC(2026, 10, 15, 3, 0); !got.Equal(want) {
			t.Errorf("the older restore's snapshot: %s, want %s", got, want)
		}
		if _, err := e.svc.Restores(ctx, intake, sys.ID); service.ErrorCode(err) != service.EFORBIDDEN {
			t.Errorf("intake lists restores: %v, want forbidden", err)
		}
		if _, err := e.svc.Restores(ctx, admin, "00000000-0000-0000-0000-000000000000"); service.ErrorCode(err) != service.ENOTFOUND {
			t.Errorf("restores of no system: %v, want not found", err)
		}
	})
}

// overdueLines lists the overdue purges as "reference backup executed deadline", as an auditor sees them (an
// officer sees only her queues').
func overdueLines(tb testing.TB, e *env) []string {
	tb.Helper()
	list, err := e.svc.OverduePurges(context.Background(), auditor)
	if err != nil {
		tb.Fatalf("OverduePurges: %v", err)
	}
	var out []string
	for _, o := range list {
		out = append(out, strings.Join([]string{o.Reference, o.Purge.BackupName, o.Purge.ExecutedAt.Format(time.RFC3339),
			o.Deadline.UTC().Format(time.RFC3339)}, " "))
	}
	return out
}

// mailsOfKind returns the outbox's mails of one kind, by recipient.
func mailsOfKind(tb testing.TB, e *env, kind string) []*service.Mail {
	tb.Helper()
	all, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	out := slices.DeleteFunc(all, func(m *service.Mail) bool { return m.Kind != kind })
	sort.SliceStable(out, func(i, j int) bool { return out[i].To < out[j].To })
	return out
}

// TestChaseOverduePurges: a purge still pending after its schedule's refreshes and grace is chased once, to the
// backup's owner and the DPO; purges not yet due are neither listed nor chased.
func TestChaseOverduePurges(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Set(atUTC(2026, 10, 18, 5, 0))
		sys := e.mustBackupSystem(t, "weekly-files", 1, 24)
		received := time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai)
		due, notDue := e.mustFileInProgress(t, receivedAt(received)), e.mustFileInProgress(t, receivedAt(received))
		e.mustRecordErasure(t, due.ID, atUTC(2026, 10, 14, 10, 0))   // deadline Monday 19 October 03:00 UTC
		e.mustRecordErasure(t, notDue.ID, atUTC(2026, 10, 18, 4, 0)) // deadline Monday 26 October 03:00 UTC
		dueLine := []string{due.Reference + " weekly-files 2026-10-14T10:00:00Z 2026-10-19T03:00:00Z"}
		chased := "backups@staff.example," + purgeDPO
		steps := []struct {
			name    string
			at      time.Time
			refresh bool // the backup catches up with the snapshot of Sunday 25 October first
			overdue []string
			chase   service.BackupsResult
			mailed  string
		}{
			{"at the deadline", atUTC(2026, 10, 19, 3, 0), false, nil, service.BackupsResult{}, ""},
			{"past the deadline", atUTC(2026, 10, 19, 3, 0).Add(time.Second), false, dueLine, service.BackupsResult{Overdue: 1, Notified: 1}, chased},
			{"chased again", atUTC(2026, 10, 20, 3, 0), false, dueLine, service.BackupsResult{Overdue: 1}, chased},
			{"after a refresh", atUTC(2026, 10, 26, 12, 0), true, nil, service.BackupsResult{}, chased},
		}
		for _, st := range steps {
			e.clock.Set(st.at)
			if st.refresh {
				e.wantRefresh(t, sys.ID, atUTC(2026, 10, 25, 3, 0), []string{due.ID, notDue.ID}, []string{due.ID, notDue.ID})
			}
			if diff := cmp.Diff(st.overdue, overdueLines(t, e)); diff != "" {
				t.Errorf("%s: overdue (-want +got):\n%s", st.name, diff)
			}
			if res, err := e.svc.ChaseOverduePurges(ctx); err != nil || res != st.chase {
				t.Errorf("%s: ChaseOverduePurges = %+v, %v; want %+v", st.name, res, err, st.chase)
			}
			var to []string
			for _, m := range mailsOfKind(t, e, "purge_overdue") {
				to = append(to, m.To)
			}
			if got := strings.Join(to, ","); got != st.mailed {
				t.Errorf("%s: mailed %q, want %q", st.name, got, st.mailed)
			}
		}
		for _, m := range mailsOfKind(t, e, "purge_overdue") {
			if m.RequestID != due.ID || !strings.Contains(m.Subject, due.Reference) || !strings.Contains(m.Text, "2026-10-19T03:00:00Z") {
				t.Errorf("mail %q about %s, want %s and its deadline:\n%s", m.Subject, m.RequestID, due.Reference, m.Text)
			}
			for _, pd := range []string{"Li Wei", "li.wei@example.com", "138 0000"} {
				if strings.Contains(m.Subject+m.Text+m.HTMLPart(), pd) {
					t.Errorf("overdue purge mail carries the subject's %q", pd)
				}
			}
		}
		if n := countAction(e.mustEvents(t, admin, due.ID), "erasure.purge_overdue"); n != 1 {
			t.Errorf("%d erasure.purge_overdue events, want 1", n)
		}
		if _, err := e.svc.OverduePurges(ctx, intake); service.ErrorCode(err) != service.EFORBIDDEN {
			t.Errorf("OverduePurges as intake: %v, want forbidden", err)
		}
	})
}

// TestChasePurgeInRequestLocale: the chase about a request filed in Chinese is written in Chinese.
func TestChasePurgeInRequestLocale(t *testing.T) {
	forEachBackupDB(t, func(t *testing.T, e *env) {
		e.clock.Set(atUTC(2026, 10, 18, 5, 0))
		e.mustBackupSystem(t, "weekly-files", 1, 24)
		cmd := receivedAt(time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai))
		cmd.Locale = "zh-CN"
		r := e.mustFileInProgress(t, cmd)
		e.mustRecordErasure(t, r.ID, atUTC(2026, 10, 14, 10, 0))
		e.clock.Set(atUTC(2026, 10, 19, 4, 0))
		if _, err := e.svc.ChaseOverduePurges(context.Background()); err != nil {
			t.Fatal(err)
		}
		mails := mailsOfKind(t, e, "purge_overdue")
		if len(mails) == 0 {
			t.Fatal("no chase mailed")
		}
		for _, m := range mails {
			if !strings.Contains(m.Subject, "备份") || !strings.Contains(m.Subject, r.Reference) {
				t.Errorf("chase about a zh-CN request has subject %q, want Chinese with the reference", m.Subject)
			}
		}
	})
}
