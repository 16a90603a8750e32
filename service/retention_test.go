package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestRetentionJobRedactsAndDeletesExports runs the retention job as the scheduler does (RunJob, under its
// lease): a request closed longer ago than the retention period loses its subject's personal data and its export
// files, keeps its reference, type, dates and outcome, and the audit chain still verifies; a request closed more
// recently keeps everything, its download link included.
func TestRetentionJobRedactsAndDeletesExports(t *testing.T) {
	retention := 48 * time.Hour
	forEachConfiguredDB(t, service.Config{Retention: retention}, func(t *testing.T, e *env, db storetest.DB) {
		ctx := context.Background()
		answer := func() (*service.Request, string) {
			t.Helper()
			r := e.mustFileInProgress(t, validFiling(service.TypeAccess))
			e.mustAttach(t, r.ID, exportFiles)
			e.mustReply(t, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Li Wei, here is your data."})
			return e.mustRead(t, admin, r.ID), mustLinkToken(t, e, r.ID, "reply", "download")
		}
		old, oldLink := answer()
		e.clock.Set(testNow.Add(40 * time.Hour))
		recent, recentLink := answer()

		runRetention := func() string {
			t.Helper()
			run, err := e.svc.RunJob(ctx, admin, service.JobRetention, "test-replica")
			if err != nil || run.Outcome != "ok" {
				t.Fatalf("RunJob(retention) = %+v, %v; want ok", run, err)
			}
			return run.Detail
		}
		// Just short of the old request's retention, nothing is touched.
		e.clock.Set(old.ClosedAt.Add(retention - time.Second))
		if got := runRetention(); got != "0 request(s) redacted" {
			t.Errorf("retention run before the period ended: %q, want none redacted", got)
		}
		if got := e.mustRead(t, admin, old.ID); got.RedactedAt != nil || got.Subject != old.Subject {
			t.Errorf("redacted before its retention ended: %+v", got.Subject)
		}

		e.clock.Set(old.ClosedAt.Add(retention + time.Hour)) // the recent one was closed 39 hours before
		if got := runRetention(); got != "1 request(s) redacted" {
			t.Errorf("retention run: %q, want 1 request(s) redacted", got)
		}
		if got := runRetention(); got != "0 request(s) redacted" {
			t.Errorf("second retention run: %q, want nothing left to redact", got)
		}

		// The old request: the person is gone, the record of what was asked and answered stays.
		got := e.mustRead(t, admin, old.ID)
		if got.RedactedAt == nil {
			t.Fatal("the old request is not marked redacted")
		}
		wantSubject := service.Subject{Name: "[redacted]"}
		if diff := cmp.Diff(wantSubject, got.Subject); diff != "" {
			t.Errorf("redacted subject (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(service.Details{}, got.Details); diff != "" {
			t.Errorf("redacted details (-want +got):\n%s", diff)
		}
		if got.ReplyMessage != "" || got.SubjectIndex != "" {
			t.Errorf("redacted request keeps reply %q, subject index %q", got.ReplyMessage, got.SubjectIndex)
		}
		kept := func(r *service.Request) []any {
			return []any{r.Reference, r.Type, r.Status, r.Outcome, r.ReceivedAt, r.Due, r.RepliedAt, r.ClosedAt, r.CreatedAt}
		}
		if diff := cmp.Diff(kept(old), kept(got)); diff != "" {
			t.Errorf("reference, type, status, outcome or dates changed by redaction (-before +after):\n%s", diff)
		}

		// Its export files are deleted: marked, and their content gone from the database.
		exports, err := e.store.RequestExports(ctx, old.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(exports) != len(exportFiles) {
			t.Fatalf("%d export rows after redaction, want %d kept as a record", len(exports), len(exportFiles))
		}
		for _, x := range exports {
			if x.DeletedAt == nil || len(x.Content) != 0 {
				t.Errorf("export %s after redaction: deleted_at %v, %d bytes of content; want deleted, none", x.Name, x.DeletedAt, len(x.Content))
			}
		}
		var withContent int
		if err := storetest.Raw(t, db).QueryRow("SELECT COUNT(*) FROM exports WHERE request_id = $1 AND content IS NOT NULL", old.ID).
			Scan(&withContent); err != nil {
			t.Fatal(err)
		}
		if withContent != 0 {
			t.Errorf("%d export rows of the redacted request still hold content", withContent)
		}
		// The download link, still within its 7 days, now says the files are gone.
		_, err = e.svc.DownloadExport(ctx, oldLink)
		wantError(t, err, service.ECONFLICT)
		if msg := service.ErrorMessage(err); !strings.Contains(msg, "retention") {
			t.Errorf("download after redaction says %q, want the files' retention named", msg)
		}

		evs := e.mustEvents(t, admin, old.ID)
		if n := countAction(evs, "request.redacted"); n != 1 {
			t.Errorf("%d request.redacted events, want 1 (%v)", n, actions(evs))
		}
		if v, err := e.svc.VerifyAudit(ctx, auditor); err != nil || !v.OK {
			t.Errorf("VerifyAudit after the retention job = %+v, %v; want ok", v, err)
		}

		// The recent request is untouched.
		now := e.mustRead(t, admin, recent.ID)
		if now.RedactedAt != nil || now.Subject != recent.Subject || now.ReplyMessage != recent.ReplyMessage ||
			!cmp.Equal(now.Details, recent.Details) {
			t.Errorf("the recent request changed: %+v", now)
		}
		if slices.Contains(actions(e.mustEvents(t, admin, recent.ID)), "request.redacted") {
			t.Error("the recent request has a request.redacted event")
		}
		dl, err := e.svc.DownloadExport(ctx, recentLink)
		if err != nil {
			t.Fatalf("DownloadExport of the recent request: %v", err)
		}
		checkPackage(t, dl.Content, exportFiles)
	})
}
