package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestDeletionReachesBackups goes from filing to a complete erasure through two backups, then restores an old
// snapshot and sees the deletion flagged for re-application.
func TestDeletionReachesBackups(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		backupTool, _ := h.token(t, service.RoleIntegration, "backup-tool")
		system := func(body map[string]any) string {
			res := h.Do(t, "POST", "/api/v1/backup-systems", h.admin, body)
			if res.Status != 201 {
				t.Fatalf("backup system: %d %s", res.Status, res.Body)
			}
			return res.Map(t)["id"].(string)
		}
		tape := system(map[string]any{"name": "tape", "owner_email": "ops@staff.example", "refresh_schedule": "0 3 * * 0", "generations": 1, "grace_hours": 24})
		disk := system(map[string]any{"name": "disk", "owner_email": "ops@staff.example", "refresh_schedule": "0 0 * * *", "generations": 2})
		if res := h.Do(t, "POST", "/api/v1/backup-systems", h.admin, map[string]any{"name": "bad", "owner_email": "ops@staff.example",
			"refresh_schedule": "weekly", "generations": 1}); res.Status != 422 {
			t.Errorf("bad schedule: %d", res.Status)
		}

		id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id
		h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "in_progress"})
		h.clock.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, shanghai))
		erasure := h.Do(t, "POST", path+"/erasure", h.admin, map[string]any{"executed_at": "2026-11-20T12:00:00+08:00", "systems": []string{"crm", "hr"}})
		if e := erasure.Map(t); erasure.Status != 200 || e["state"] != "pending_backups" || len(e["backups"].([]any)) != 2 {
			t.Fatalf("erasure: %d %s", erasure.Status, erasure.Body)
		}
		refresh := func(system, at string) map[string]any {
			res := h.Do(t, "POST", "/api/v1/backup-systems/"+system+"/refreshes", backupTool, map[string]any{"snapshot_taken_at": at})
			if res.Status != 201 {
				t.Fatalf("refresh: %d %s", res.Status, res.Body)
			}
			return res.Map(t)
		}
		if got := refresh(tape, "2026-11-15T03:00:00Z"); len(got["purged"].([]any)) != 0 {
			t.Errorf("a snapshot from before the deletion purged: %v", got)
		}
		if got := refresh(tape, "2026-11-22T03:00:00Z"); len(got["purged"].([]any)) != 1 || len(got["completed"].([]any)) != 0 {
			t.Errorf("tape refresh: %v", got)
		}
		refresh(disk, "2026-11-21T00:00:00Z")
		if got := refresh(disk, "2026-11-22T00:00:00Z"); len(got["completed"].([]any)) != 1 {
			t.Errorf("second disk refresh: %v", got)
		}
		req := h.Do(t, "GET", path, h.admin, nil).Map(t)
		if e := req["erasure"].(map[string]any); e["state"] != "complete" {
			t.Errorf("erasure after refreshes: %v", e)
		}

		restore := h.Do(t, "POST", "/api/v1/backup-systems/"+disk+"/restores", backupTool, map[string]any{"snapshot_taken_at": "2026-11-20T00:00:00Z"})
		restored := restore.Map(t)["reapply_required"].([]any)
		if restore.Status != 201 || len(restored) != 1 || restored[0].(map[string]any)["request_id"] != id {
			t.Fatalf("restore: %d %s", restore.Status, restore.Body)
		}
		if e := h.Do(t, "GET", path, h.admin, nil).Map(t)["erasure"].(map[string]any); e["state"] != "reapply_required" {
			t.Errorf("after restore: %v", e["state"])
		}
		listed := h.Do(t, "GET", "/api/v1/backup-systems/"+disk+"/restores", h.admin, nil)
		if items := listed.Map(t)["items"].([]any); listed.Status != 200 || len(items) != 1 ||
			items[0].(map[string]any)["snapshot_taken_at"] != "2026-11-20T00:00:00Z" {
			t.Errorf("restores listed: %d %s", listed.Status, listed.Body)
		}
		again := h.Do(t, "POST", path+"/erasure", h.admin, map[string]any{"executed_at": "2026-11-25T11:00:00+08:00", "systems": []string{"crm"}})
		if e := again.Map(t); e["state"] != "pending_backups" {
			t.Errorf("re-recorded: %v", e)
		}
		if overdue := h.Do(t, "GET", "/api/v1/backup-purges/overdue", h.admin, nil).Map(t)["items"].([]any); len(overdue) != 0 {
			t.Errorf("overdue before the deadline: %v", overdue)
		}
		h.clock.Set(time.Date(2026, 12, 10, 0, 0, 0, 0, shanghai))
		if overdue := h.Do(t, "GET", "/api/v1/backup-purges/overdue", h.admin, nil).Map(t)["items"].([]any); len(overdue) != 2 {
			t.Errorf("overdue after the deadline: %d, want both backups", len(overdue))
		}
	})
}

func TestConsentWithdrawalSuppresses(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		crm, _ := h.token(t, service.RoleIntegration, "crm")
		id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["type"], b["details"] = "consent_withdrawal", map[string]any{"purposes": []string{"marketing", "profiling"}}
		})).Map(t)["id"].(string)
		h.Do(t, "POST", "/api/v1/requests/"+id+"/transitions", h.admin, map[string]any{"to": "in_progress"})
		h.Do(t, "POST", "/api/v1/requests/"+id+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Done."})
		check := func(q url.Values) map[string]any {
			res := h.Do(t, "GET", "/api/v1/suppressions/check?"+q.Encode(), crm, nil)
			if res.Status != 200 {
				t.Fatalf("check: %d %s", res.Status, res.Body)
			}
			return res.Map(t)
		}
		if got := check(url.Values{"email": {"Li.Wei@Example.com"}, "purpose": {"marketing"}}); got["suppressed"] != true || got["reference"] == nil {
			t.Errorf("marketing by e-mail: %v", got)
		}
		if got := check(url.Values{"phone": {"+8613800000000"}, "purpose": {"profiling"}}); got["suppressed"] != true {
			t.Errorf("profiling by phone: %v", got)
		}
		if got := check(url.Values{"email": {"li.wei@example.com"}, "purpose": {"analytics"}}); got["suppressed"] != false {
			t.Errorf("another purpose: %v", got)
		}
		if res := h.Do(t, "GET", "/api/v1/suppressions/check?purpose=marketing", crm, nil); res.Status != 422 {
			t.Errorf("no identifier: %d", res.Status)
		}
	})
}

var downloadLink = regexp.MustCompile(`/download\?token=([A-Za-z0-9_-]+)`)

func TestAccessCopyDownload(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion(func(b map[string]any) {
			b["type"], b["details"] = "access", map[string]any{}
		})).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id
		h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "in_progress"})
		if res := h.Do(t, "POST", path+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Here."}); res.Status != 409 {
			t.Errorf("fulfilled without files: %d, want 409", res.Status)
		}
		body, ct := multipartFile(t, "profile.json", []byte(`{"name":"Li Wei"}`))
		up := h.Do(t, "POST", path+"/exports", h.admin, body, "Content-Type", ct)
		if up.Status != 201 || up.Map(t)["sha256"] == "" {
			t.Fatalf("upload: %d %s", up.Status, up.Body)
		}
		if res := h.Do(t, "POST", path+"/exports", h.admin, body, "Content-Type", ct); res.Status != 409 {
			t.Errorf("same file name twice: %d, want 409", res.Status)
		}
		if res := h.Do(t, "POST", path+"/reply", h.admin, map[string]any{"outcome": "fulfilled", "message": "Here."}); res.Status != 200 {
			t.Fatalf("reply: %d %s", res.Status, res.Body)
		}
		var token string
		for _, m := range h.mails(t) {
			if m.Kind == "reply" && m.RequestID == id {
				if match := downloadLink.FindStringSubmatch(m.Text); match != nil {
					token = match[1]
				}
			}
		}
		if token == "" {
			t.Fatal("the reply carries no download link")
		}
		dl := h.Do(t, "GET", "/download?token="+token, "", nil)
		if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("download: %d %s", dl.Status, dl.Header.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader(dl.Body), int64(len(dl.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var manifest struct {
			Files []struct{ Name, SHA256 string }
		}
		for _, f := range zr.File {
			if f.Name == "manifest.json" {
				rc, _ := f.Open()
				raw, _ := io.ReadAll(rc)
				_ = json.Unmarshal(raw, &manifest)
			}
		}
		if len(manifest.Files) != 1 || manifest.Files[0].Name != "profile.json" || manifest.Files[0].SHA256 != up.Map(t)["sha256"] {
			t.Errorf("manifest %+v", manifest)
		}
		h.clock.Set(time.Date(2026, 11, 28, 11, 0, 0, 0, shanghai))
		if res := h.Do(t, "GET", "/download?token="+token, "", nil); res.Status != 409 {
			t.Errorf("expired link: %d, want 409 with a page", res.Status)
		}
	})
}
