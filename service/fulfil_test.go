package service_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// forEachConfiguredDB runs fn on every dialect with a service built from cfg (its store and clock filled in).
func forEachConfiguredDB(t *testing.T, cfg service.Config, fn func(t *testing.T, e *env, db storetest.DB)) {
	t.Helper()
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) {
			clk := storetest.NewClock(testNow)
			st := storetest.MustOpen(t, db, clk.Now)
			cfg.Store, cfg.Keys, cfg.Now = st, storetest.KeysOf(st), clk.Now
			svc, err := service.New(context.Background(), cfg)
			if err != nil {
				t.Fatalf("service.New: %v", err)
			}
			fn(t, &env{svc: svc, store: st, clock: clk}, db)
		})
	}
}

// mustFileInProgress files cmd as admin and starts work on it.
func (e *env) mustFileInProgress(tb testing.TB, cmd service.FileRequestCommand) *service.Request {
	tb.Helper()
	r := e.mustFile(tb, admin, cmd)
	r, err := e.svc.Transition(context.Background(), admin, r.ID, service.TransitionCommand{To: service.StatusInProgress})
	if err != nil {
		tb.Fatalf("Transition(%s, in_progress): %v", r.Reference, err)
	}
	return r
}

func (e *env) mustReply(tb testing.TB, id string, cmd service.ReplyCommand) *service.Request {
	tb.Helper()
	r, err := e.svc.Reply(context.Background(), admin, id, cmd)
	if err != nil {
		tb.Fatalf("Reply(%s): %v (fields %v)", id, err, service.ErrorFields(err))
	}
	return r
}

func (e *env) mustAttach(tb testing.TB, id string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		if _, err := e.svc.AttachExport(context.Background(), admin, id, name, []byte(content)); err != nil {
			tb.Fatalf("AttachExport(%s): %v", name, err)
		}
	}
}

var fulfilReply = service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Done."}

// exportFiles are an access or portability answer.
var exportFiles = map[string]string{"profile.json": `{"name":"Li Wei"}`, "orders.csv": "id,total\n1,9.50\n"}

type manifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// unzip opens a package: its entries' names in order, and their contents.
func unzip(tb testing.TB, body []byte) ([]string, map[string]string) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		tb.Fatalf("open zip: %v", err)
	}
	var names []string
	files := map[string]string{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		if b, err := fs.ReadFile(zr, f.Name); err == nil {
			files[f.Name] = string(b)
		}
	}
	return names, files
}

// checkPackage checks a package against files and its manifest, and answers the manifest's reference.
func checkPackage(tb testing.TB, body []byte, files map[string]string) string {
	tb.Helper()
	_, got := unzip(tb, body)
	var m struct {
		Reference string         `json:"reference"`
		Files     []manifestFile `json:"files"`
	}
	if err := json.Unmarshal([]byte(got["manifest.json"]), &m); err != nil {
		tb.Fatalf("manifest.json: %v\n%s", err, got["manifest.json"])
	}
	delete(got, "manifest.json")
	if diff := cmp.Diff(files, got); diff != "" {
		tb.Errorf("zip files (-want +got):\n%s", diff)
	}
	var want []manifestFile
	for _, name := range slices.Sorted(maps.Keys(files)) { // by name, as the store lists them
		sum := sha256.Sum256([]byte(files[name]))
		want = append(want, manifestFile{Name: name, Size: int64(len(files[name])), SHA256: hex.EncodeToString(sum[:])})
	}
	if diff := cmp.Diff(want, m.Files); diff != "" {
		tb.Errorf("manifest files (-want +got):\n%s", diff)
	}
	return m.Reference
}

func TestConsentWithdrawalSuppresses(t *testing.T) {
	forEachConfiguredDB(t, service.Config{Retention: 24 * time.Hour}, func(t *testing.T, e *env, db storetest.DB) {
		ctx := context.Background()
		cmd := validFiling(service.TypeConsentWithdrawal) // purposes marketing, model training
		cmd.Subject.Email = "Li.Wei@Example.COM"
		r := e.mustFileInProgress(t, cmd)
		e.mustReply(t, r.ID, fulfilReply)
		since := e.svc.Now()
		yes := service.SuppressionCheck{Suppressed: true, Since: &since, Reference: r.Reference}
		checks := []struct {
			email, phone, purpose string
			want                  service.SuppressionCheck
		}{
			{"li.wei@example.com", "", "marketing", yes},
			{" LI.WEI@EXAMPLE.COM", "", "model training", yes},
			{"", "8613800000000", "marketing", yes},
			{"", "+86 (138) 0000-0000", " model training ", yes},
			{"wang.fang@example.com", "+86 138 0000 0000", "marketing", yes},
			{"li.wei@example.com", "+86 138 0000 0000", "analytics", service.SuppressionCheck{}},
			{"wang.fang@example.com", "+86 139 0000 0000", "marketing", service.SuppressionCheck{}},
		}
		assertChecks := func(when string) {
			for _, c := range checks {
				got, err := e.svc.CheckSuppression(ctx, integration, c.email, c.phone, c.purpose)
				if err != nil {
					t.Fatalf("%s: CheckSuppression(%q, %q, %q): %v", when, c.email, c.phone, c.purpose, err)
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%s: CheckSuppression(%q, %q, %q) (-want +got):\n%s", when, c.email, c.phone, c.purpose, diff)
				}
			}
		}
		assertChecks("after the reply")
		_, err := e.svc.CheckSuppression(ctx, auditor, "li.wei@example.com", "", "marketing")
		wantError(t, err, service.EFORBIDDEN)
		_, err = e.svc.CheckSuppression(ctx, officer, "", "", "")
		wantError(t, err, service.EINVALID, "email", "purpose")

		// The table holds keyed hashes only: neither the address (in any case) nor the phone number appear.
		var rows, leaking int
		row := "lower(subject_hash || ' ' || purpose || ' ' || request_id || ' ' || reference)"
		err = storetest.Raw(t, db).QueryRow("SELECT COUNT(*), COUNT(CASE WHEN "+row+" LIKE $1 OR "+row+" LIKE $2 OR "+row+
			" LIKE $3 THEN 1 END) FROM suppressions", "%li.wei@example.com%", "%8613800000000%", "%138 0000 0000%").Scan(&rows, &leaking)
		if err != nil || rows != 4 || leaking != 0 {
			t.Errorf("suppressions: %d rows, %d holding the subject's address or phone (%v); want 4 (2 purposes by e-mail "+
				"and phone), none", rows, leaking, err)
		}

		// Retention redacts the request's personal data, never the suppression.
		e.clock.Set(since.Add(23 * time.Hour))
		if n, err := e.svc.RedactExpired(ctx); err != nil || n != 0 {
			t.Errorf("RedactExpired before the retention = %d, %v; want 0", n, err)
		}
		e.clock.Set(since.Add(25 * time.Hour))
		if n, err := e.svc.RedactExpired(ctx); err != nil || n != 1 {
			t.Errorf("RedactExpired = %d, %v; want 1", n, err)
		}
		got := e.mustRead(t, admin, r.ID)
		if got.Subject.Name != "[redacted]" || got.Subject.Email != "" || got.Subject.Phone != "" || len(got.Details.Purposes) != 0 ||
			got.RedactedAt == nil || got.Reference != r.Reference || got.Outcome != service.StatusFulfilled {
			t.Errorf("redacted request %+v, want subject [redacted], no details, reference and outcome kept", got)
		}
		assertChecks("after redaction")
		if v, err := e.svc.VerifyAudit(ctx, auditor); err != nil || !v.OK {
			t.Errorf("VerifyAudit after redaction = %+v, %v; want ok", v, err)
		}
	})
}

func TestAccountCancellationFollowUpDeletion(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cancellation := e.mustFileInProgress(t, validFiling(service.TypeAccountCancellation))
		deletion := e.mustFileInProgress(t, validFiling(service.TypeDeletion))
		// Only a fulfilled account cancellation opens a follow-up; a refused reply changes nothing.
		for id, cmd := range map[string]service.ReplyCommand{
			deletion.ID: {Outcome: service.StatusFulfilled, FollowUpDeletion: true},
			cancellation.ID: {Outcome: service.StatusDenied, Message: "No such account.", DenialReason: service.DenialNoMatch,
				FollowUpDeletion: true},
		} {
			_, err := e.svc.Reply(ctx, admin, id, cmd)
			wantError(t, err, service.EINVALID, "follow_up_deletion")
			if got := e.mustRead(t, admin, id).Status; got != service.StatusInProgress {
				t.Errorf("a refused reply left %s %s, want in_progress", id, got)
			}
		}

		replied := e.mustReply(t, cancellation.ID, service.ReplyCommand{Outcome: service.StatusFulfilled,
			Message: "Your account is closed.", FollowUpDeletion: true})
		if replied.LinkedRequestID == "" {
			t.Fatal("fulfilled cancellation links no deletion")
		}
		follow := e.mustRead(t, admin, replied.LinkedRequestID)
		if follow.Type != service.TypeDeletion || follow.Status != service.StatusOpen ||
			follow.Details.Ground != service.GroundNoLongerUsingService || follow.LinkedRequestID != cancellation.ID {
			t.Errorf("follow-up %s %s ground %q linked to %q; want an open deletion, no_longer_using_service, linked to %s",
				follow.Type, follow.Status, follow.Details.Ground, follow.LinkedRequestID, cancellation.ID)
		}
		if diff := cmp.Diff(cancellation.Subject, follow.Subject); diff != "" {
			t.Errorf("follow-up subject (-want +got):\n%s", diff)
		}
		if got := e.mustRead(t, admin, cancellation.ID).LinkedRequestID; got != follow.ID {
			t.Errorf("cancellation linked to %q, want the follow-up %s", got, follow.ID)
		}
		if n := countAction(e.mustEvents(t, admin, cancellation.ID), "request.follow_up_opened"); n != 1 {
			t.Errorf("%d request.follow_up_opened events, want 1", n)
		}
		if plain := e.mustReply(t, deletion.ID, fulfilReply); plain.LinkedRequestID != "" {
			t.Errorf("a deletion fulfilled without follow-up is linked to %s", plain.LinkedRequestID)
		}
	})
}

func TestRectificationCorrectionOutcomes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.mustFileInProgress(t, validFiling(service.TypeRectification)) // two corrections
		deletion := e.mustFileInProgress(t, validFiling(service.TypeDeletion))
		applied := service.CorrectionOutcome{Index: 0, Outcome: "applied"}
		refusals := []struct {
			name        string
			id          string
			corrections []service.CorrectionOutcome
			field       string
		}{
			{"refused without reason", r.ID, []service.CorrectionOutcome{{Index: 0, Outcome: "refused"}}, "corrections[0].reason"},
			{"unknown outcome", r.ID, []service.CorrectionOutcome{{Index: 0, Outcome: "maybe"}}, "corrections[0].outcome"},
			{"index out of range", r.ID, []service.CorrectionOutcome{{Index: 2, Outcome: "applied"}}, "corrections[0].index"},
			{"negative index", r.ID, []service.CorrectionOutcome{{Index: -1, Outcome: "applied"}}, "corrections[0].index"},
			{"index twice", r.ID, []service.CorrectionOutcome{applied, applied}, "corrections[1].index"},
			{"not a rectification", deletion.ID, []service.CorrectionOutcome{applied}, "corrections"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Reply(ctx, admin, tt.id, service.ReplyCommand{Outcome: service.StatusFulfilled, Corrections: tt.corrections})
				wantError(t, err, service.EINVALID, tt.field)
			})
		}
		want := []service.CorrectionOutcome{applied, {Index: 1, Outcome: "refused", Reason: "The ID card gives another name."}}
		e.mustReply(t, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Corrected.", Corrections: want})
		if diff := cmp.Diff(want, e.mustRead(t, admin, r.ID).CorrectionOutcomes); diff != "" {
			t.Errorf("correction outcomes read back (-want +got):\n%s", diff)
		}
	})
}

var linkToken = regexp.MustCompile(`/(download|withdraw|verify)\?token=([A-Za-z0-9_-]+)`)

// mustLinkToken finds the token of a link (download, withdraw) in the mail of a kind sent for a request.
func mustLinkToken(tb testing.TB, e *env, id, kind, link string) string {
	tb.Helper()
	mails, err := e.store.ListMail(context.Background(), "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range mails {
		if m.Kind != kind || m.RequestID != id {
			continue
		}
		for _, sub := range linkToken.FindAllStringSubmatch(m.Text, -1) {
			if sub[1] == link {
				return sub[2]
			}
		}
	}
	tb.Fatalf("the %s mail of %s carries no /%s?token= link", kind, id, link)
	return ""
}

func TestAccessExportDownload(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.mustFileInProgress(t, validFiling(service.TypeAccess))
		_, err := e.svc.Reply(ctx, admin, r.ID, fulfilReply)
		wantError(t, err, service.ECONFLICT)
		e.mustAttach(t, r.ID, exportFiles)
		e.mustReply(t, r.ID, fulfilReply)
		replied := e.svc.Now()

		token := mustLinkToken(t, e, r.ID, "reply", "download")
		dl, err := e.svc.DownloadExport(ctx, token)
		if err != nil {
			t.Fatalf("DownloadExport: %v", err)
		}
		if dl.FileName != r.Reference+".zip" {
			t.Errorf("file name %q, want %s.zip", dl.FileName, r.Reference)
		}
		if got := checkPackage(t, dl.Content, exportFiles); got != r.Reference {
			t.Errorf("manifest reference %q, want %s", got, r.Reference)
		}
		if n := countAction(e.mustEvents(t, admin, r.ID), "export.downloaded"); n != 1 {
			t.Errorf("%d export.downloaded events, want 1", n)
		}

		for _, other := range []string{strings.Repeat("x", 43), mustLinkToken(t, e, r.ID, "acknowledgement", "withdraw")} {
			_, err = e.svc.DownloadExport(ctx, other)
			wantError(t, err, service.ENOTFOUND)
		}
		e.clock.Set(replied.Add(7 * 24 * time.Hour))
		if _, err := e.svc.DownloadExport(ctx, token); err != nil {
			t.Errorf("DownloadExport on the last instant of the link: %v", err)
		}
		e.clock.Set(replied.Add(7*24*time.Hour + time.Second))
		_, err = e.svc.DownloadExport(ctx, token)
		wantError(t, err, service.ECONFLICT)
	})
}

// TestAttachExportKeepsThePackageSound: a file named ".." or "manifest.json" must not reach the package, where
// it would be a path outside the extraction folder or a second manifest that hides (or forges) the real one.
func TestAttachExportKeepsThePackageSound(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		for _, name := range []string{"..", "manifest.json", `dir\..`} {
			r := e.mustFileInProgress(t, validFiling(service.TypeAccess))
			x, err := e.svc.AttachExport(context.Background(), admin, r.ID, name, []byte(`{"forged":true}`))
			if err != nil {
				continue // refused: the package stays sound
			}
			e.mustAttach(t, r.ID, map[string]string{"profile.json": "{}"})
			e.mustReply(t, r.ID, fulfilReply)
			dl, err := e.svc.DownloadExport(context.Background(), mustLinkToken(t, e, r.ID, "reply", "download"))
			if err != nil {
				t.Fatalf("DownloadExport: %v", err)
			}
			if names, _ := unzip(t, dl.Content); slices.Contains(names, "..") || len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
				t.Errorf("AttachExport(%q) accepted as %q: the package holds %q", name, x.Name, names)
			}
		}
	})
}

// TestRedactExpiredClearsSubjectMail: retention removes the subject's address and the reply from the outbox as
// it does from the request, whose reply_message it clears while the same text stays in the mail.
func TestRedactExpiredClearsSubjectMail(t *testing.T) {
	forEachConfiguredDB(t, service.Config{Retention: 24 * time.Hour}, func(t *testing.T, e *env, _ storetest.DB) {
		r := e.mustFileInProgress(t, validFiling(service.TypeDeletion))
		e.mustReply(t, r.ID, service.ReplyCommand{Outcome: service.StatusFulfilled, Message: "Account emp-4411 is deleted."})
		e.clock.Set(e.svc.Now().Add(25 * time.Hour))
		if n, err := e.svc.RedactExpired(context.Background()); err != nil || n != 1 {
			t.Fatalf("RedactExpired = %d, %v; want 1", n, err)
		}
		mails, err := e.store.ListMail(context.Background(), "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mails {
			for _, pd := range []string{"li.wei@example.com", "emp-4411"} {
				if m.RequestID == r.ID && strings.Contains(m.To+m.Subject+m.Text+m.HTMLPart(), pd) {
					t.Errorf("after redaction the %s mail still holds %q (to %s)", m.Kind, pd, m.To)
				}
			}
		}
	})
}

// recordingTransmitter stands for the HTTPS adapter: it records each delivery and answers err.
type recordingTransmitter struct {
	mu        sync.Mutex
	err       error
	endpoints []string
	got       []service.Delivery
}

func (r *recordingTransmitter) Transmit(_ context.Context, endpoint string, d service.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endpoints, r.got = append(r.endpoints, endpoint), append(r.got, d)
	return r.err
}

func TestPortabilityTransmission(t *testing.T) {
	tests := []struct {
		name       string
		rec        *recordingTransmitter // nil: no transmitter configured
		want       service.TransmissionsResult
		wantStatus string
		wantEvent  string
	}{
		{"delivered", &recordingTransmitter{}, service.TransmissionsResult{Delivered: 1}, "sent", "export.transmitted"},
		{"refused for good", &recordingTransmitter{err: &service.PermanentError{Err: errors.New("HTTP 410")}},
			service.TransmissionsResult{Failed: 1}, "failed", "export.transmission_failed"},
		{"no transmitter", nil, service.TransmissionsResult{NotConfigured: true, Waiting: 1}, "pending", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := service.Config{}
			if tt.rec != nil {
				cfg.Transmitter = tt.rec
			}
			forEachConfiguredDB(t, cfg, func(t *testing.T, e *env, db storetest.DB) {
				ctx := context.Background()
				if tt.rec != nil {
					tt.rec.endpoints, tt.rec.got = nil, nil
				}
				cmd := validFiling(service.TypePortability)
				r := e.mustFileInProgress(t, cmd)
				e.mustAttach(t, r.ID, exportFiles)
				e.mustReply(t, r.ID, fulfilReply)
				for run, want := range []service.TransmissionsResult{tt.want, {NotConfigured: tt.rec == nil, Waiting: tt.want.Waiting}} {
					if got, err := e.svc.Transmit(ctx); err != nil || got != want {
						t.Errorf("Transmit run %d = %+v, %v; want %+v", run+1, got, err, want)
					}
				}
				var status string
				if err := storetest.Raw(t, db).QueryRow("SELECT status FROM transmissions WHERE request_id = $1", r.ID).Scan(&status); err != nil {
					t.Fatal(err)
				}
				if status != tt.wantStatus {
					t.Errorf("transmission %s, want %s", status, tt.wantStatus)
				}
				if tt.wantEvent != "" && countAction(e.mustEvents(t, admin, r.ID), tt.wantEvent) != 1 {
					t.Errorf("events %v, want %s once", actions(e.mustEvents(t, admin, r.ID)), tt.wantEvent)
				}
				if tt.rec == nil {
					return
				}
				if len(tt.rec.got) != 1 || tt.rec.endpoints[0] != cmd.Details.Recipient.Endpoint {
					t.Fatalf("deliveries to %v, want one to %s", tt.rec.endpoints, cmd.Details.Recipient.Endpoint)
				}
				d := tt.rec.got[0]
				if d.Reference != r.Reference || d.ContentType != "application/zip" || d.ID == "" {
					t.Errorf("delivery %s %q %q, want %s application/zip with an ID", d.ID, d.Reference, d.ContentType, r.Reference)
				}
				checkPackage(t, d.Body, exportFiles)
			})
		})
	}
}
