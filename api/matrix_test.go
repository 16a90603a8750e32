package api_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/service"
)

// call is one way to exercise an operation with a valid path and body.
type call struct {
	method, path string
	body         any
	contentType  string
}

// TestRoleMatrix calls every operation of openapi.yaml with no token, a bad token, each role, and an officer
// outside the request's queue. Roles the operation's x-roles list must get past authorisation; every other role
// gets 403; officers outside the queue get 404; public operations need no token.
func TestRoleMatrix(t *testing.T) {
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		member, memberToken := h.officer(t, "member")
		outsider, outsiderToken := h.officer(t, "outsider")
		q := h.queue(t, map[string]any{"name": "Deletions", "members": []string{member},
			"routes": map[string]any{"types": []string{"deletion"}}})
		h.queue(t, map[string]any{"name": "Elsewhere", "default": true, "members": []string{outsider}})
		spareQueue := h.queue(t, map[string]any{"name": "Spare"})
		tokens := map[string]string{"officer": memberToken}
		for _, role := range []service.Role{service.RoleAuditor, service.RoleIntake, service.RoleIntegration} {
			tokens[string(role)], _ = h.token(t, role, "matrix-"+string(role))
		}
		tokens["admin"] = h.admin
		file := func() string {
			return h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		}
		r, into := file(), file()
		u := h.Do(t, "POST", "/api/v1/users", h.admin, map[string]any{"name": "spare", "role": "auditor"}).Map(t)["id"].(string)
		spareToken := h.Do(t, "POST", "/api/v1/users/"+u+"/tokens", h.admin, map[string]any{"name": "spare"}).Map(t)["id"].(string)
		req := "/api/v1/requests/" + r
		backup := h.Do(t, "POST", "/api/v1/backup-systems", h.admin, map[string]any{"name": "tape", "owner_email": "ops@staff.example",
			"refresh_schedule": "0 3 * * 0", "generations": 1}).Map(t)["id"].(string)
		upload, uploadType := multipartFile(t, "export.json", []byte(`{"chats":[]}`))
		hooks := map[string]any{"name": "hooks", "kind": "http", "endpoint": "https://hooks.example/jobs",
			"owner_email": "ops@staff.example", "map": map[string]any{"tables": []any{map[string]any{"name": "users",
				"identity": map[string]any{"email": "email"}, "erase": "delete"}}}}
		dataSystem := h.Do(t, "POST", "/api/v1/data-systems", h.admin, hooks).Map(t)["id"].(string)

		calls := map[string]call{
			"getHealth": {"GET", "/healthz", nil, ""}, "getReady": {"GET", "/readyz", nil, ""},
			"getOpenAPI": {"GET", "/openapi.yaml", nil, ""}, "getMe": {"GET", "/api/v1/me", nil, ""},
			"createRequest":        {"POST", "/api/v1/requests", deletion(), ""},
			"listRequests":         {"GET", "/api/v1/requests", nil, ""},
			"getRequest":           {"GET", req, nil, ""},
			"listRequestEvents":    {"GET", req + "/events", nil, ""},
			"createUser":           {"POST", "/api/v1/users", map[string]any{"name": "x", "role": "auditor"}, ""},
			"listUsers":            {"GET", "/api/v1/users", nil, ""},
			"updateUser":           {"PATCH", "/api/v1/users/" + u, map[string]any{"role": "auditor"}, ""},
			"createUserToken":      {"POST", "/api/v1/users/" + u + "/tokens", map[string]any{"name": "x"}, ""},
			"revokeToken":          {"DELETE", "/api/v1/tokens/" + spareToken, nil, ""},
			"createUserInvitation": {"POST", "/api/v1/users/" + u + "/invitations", nil, ""},
			"deactivateUser":       {"PUT", "/api/v1/users/" + u + "/deactivation", nil, ""},
			"reactivateUser":       {"DELETE", "/api/v1/users/" + u + "/deactivation", nil, ""},
			"createQueue":          {"POST", "/api/v1/queues", map[string]any{"name": "new"}, ""},
			"listQueues":           {"GET", "/api/v1/queues", nil, ""},
			"getQueue":             {"GET", "/api/v1/queues/" + q, nil, ""},
			"updateQueue":          {"PATCH", "/api/v1/queues/" + q, map[string]any{"escalation_email": "dpo@staff.example"}, ""},
			"deleteQueue":          {"DELETE", "/api/v1/queues/" + spareQueue, nil, ""},
			"moveRequest":          {"POST", req + "/queue", map[string]any{"queue_id": q}, ""},
			"transitionRequest":    {"POST", req + "/transitions", map[string]any{"to": "in_progress"}, ""},
			"assignRequest":        {"POST", req + "/assignment", map[string]any{"assignee_id": member}, ""},
			"replyToRequest":       {"POST", req + "/reply", map[string]any{"outcome": "fulfilled", "message": "Done."}, ""},
			"mergeRequest":         {"POST", req + "/merge", map[string]any{"into": into}, ""},
			"extendRequest":        {"POST", req + "/extensions", map[string]any{"reason": "complex"}, ""},
			"addRequestNote":       {"POST", req + "/notes", map[string]any{"body": "note"}, ""},
			"listRequestNotes":     {"GET", req + "/notes", nil, ""},
			"verifyRequest":        {"POST", "/api/v1/verifications", map[string]any{"token": "unknown"}, ""},
			"withdrawRequest":      {"POST", "/api/v1/withdrawals", map[string]any{"token": "unknown"}, ""},
			"verifyPage":           {"GET", "/verify?token=unknown", nil, ""},
			"verifyForm":           {"POST", "/verify", "token=unknown", "application/x-www-form-urlencoded"},
			"withdrawPage":         {"GET", "/withdraw?token=unknown", nil, ""},
			"withdrawForm":         {"POST", "/withdraw", "token=unknown", "application/x-www-form-urlencoded"},
			"verifyAudit":          {"GET", "/api/v1/audit/verify", nil, ""},
			"listAuditEvents":      {"GET", "/api/v1/audit/events", nil, ""},
			"getSummaryReport":     {"GET", "/api/v1/reports/summary?from=2026-01-01&to=2026-12-31", nil, ""},
			"listPolicies":         {"GET", "/api/v1/policies", nil, ""},
			"listCalendars":        {"GET", "/api/v1/calendars", nil, ""},
			"previewDeadline":      {"GET", "/api/v1/calendars/cn/deadline?from=2026-09-15&working_days=15", nil, ""},
			"getCalendarYear":      {"GET", "/api/v1/calendars/cn/years/2026", nil, ""},
			"putCalendarYear":      {"PUT", "/api/v1/calendars/cn/years/2027", schedule2027, ""},
			"getMetrics":           {"GET", "/metrics", nil, ""},
			"listJobs":             {"GET", "/api/v1/jobs", nil, ""},
			"runJob":               {"POST", "/api/v1/jobs/calendars/runs", nil, ""},
			"listOutbox":           {"GET", "/api/v1/outbox?status=failed", nil, ""},
			"retryMail":            {"POST", "/api/v1/outbox/00000000-0000-4000-8000-000000000000/retry", nil, ""},
			"createBackupSystem": {"POST", "/api/v1/backup-systems", map[string]any{"name": "disk", "owner_email": "ops@staff.example",
				"refresh_schedule": "@daily", "generations": 2}, ""},
			"listBackupSystems":   {"GET", "/api/v1/backup-systems", nil, ""},
			"recordRefresh":       {"POST", "/api/v1/backup-systems/" + backup + "/refreshes", map[string]any{"snapshot_taken_at": "2026-11-19T03:00:00Z"}, ""},
			"recordRestore":       {"POST", "/api/v1/backup-systems/" + backup + "/restores", map[string]any{"snapshot_taken_at": "2026-11-01T03:00:00Z"}, ""},
			"listRestores":        {"GET", "/api/v1/backup-systems/" + backup + "/restores", nil, ""},
			"listOverduePurges":   {"GET", "/api/v1/backup-purges/overdue", nil, ""},
			"recordErasure":       {"POST", req + "/erasure", map[string]any{"executed_at": "2026-11-20T09:00:00+08:00", "systems": []string{"crm"}}, ""},
			"checkSuppression":    {"GET", "/api/v1/suppressions/check?email=li.wei%40example.com&purpose=marketing", nil, ""},
			"attachExport":        {"POST", req + "/exports", upload, uploadType},
			"listExports":         {"GET", req + "/exports", nil, ""},
			"listSubjectMessages": {"GET", req + "/messages", nil, ""},
			"getSubjectFile":      {"GET", req + "/messages/files/00000000-0000-4000-8000-000000000000", nil, ""},
			"downloadExport":      {"GET", "/download?token=unknown", nil, ""},
			"listAllowedHosts":    {"GET", "/api/v1/transmissions/allowed-hosts", nil, ""},
			"putAllowedHost":      {"PUT", "/api/v1/transmissions/allowed-hosts/hooks.internal", map[string]any{"note": "HR"}, ""},
			"deleteAllowedHost":   {"DELETE", "/api/v1/transmissions/allowed-hosts/gone.internal", nil, ""},

			// Data systems and runs (issue 16).
			"createDataSystem":   {"POST", "/api/v1/data-systems", hooks, ""},
			"listDataSystems":    {"GET", "/api/v1/data-systems", nil, ""},
			"getDataSystem":      {"GET", "/api/v1/data-systems/" + dataSystem, nil, ""},
			"updateDataSystem":   {"PUT", "/api/v1/data-systems/" + dataSystem, hooks, ""},
			"deleteDataSystem":   {"DELETE", "/api/v1/data-systems/00000000-0000-4000-8000-000000000000", nil, ""},
			"collectRequestData": {"POST", req + "/collections", nil, ""},
			"runErasure":         {"POST", req + "/erasure-runs", map[string]any{"preview": true}, ""},
			"listRuns":           {"GET", req + "/runs", nil, ""},
			"runSuppression":     {"POST", req + "/suppression-runs", nil, ""},
			"getRun":             {"GET", req + "/runs/00000000-0000-4000-8000-000000000000", nil, ""},
			"reportDataJob": {"POST", "/api/v1/data-jobs/results", map[string]any{"callback_token": "a.b.c.d",
				"status": "done"}, ""},
		}
		do := func(c call, token string) int {
			t.Helper()
			var headers []string
			if c.contentType != "" {
				headers = []string{"Content-Type", c.contentType}
			}
			return h.Do(t, c.method, c.path, token, c.body, headers...).Status
		}
		ops := map[string]bool{}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				ops[op.OperationID] = true
				c, ok := calls[op.OperationID]
				if !ok {
					t.Errorf("operation %s has no row in the role matrix", op.OperationID)
					continue
				}
				if op.Security != nil && len(*op.Security) == 0 {
					if got := do(c, ""); got == 401 || got == 403 {
						t.Errorf("public %s answered %d without a token", op.OperationID, got)
					}
					continue
				}
				allowed := map[string]bool{}
				for _, r := range op.Extensions["x-roles"].([]any) {
					allowed[r.(string)] = true
				}
				for _, token := range []string{"", "rd_not-a-token"} {
					if got := do(c, token); got != 401 {
						t.Errorf("%s with token %q: %d, want 401", op.OperationID, token, got)
					}
				}
				if allowed["officer"] && strings.HasPrefix(c.path, req) {
					if got := do(c, outsiderToken); got != 404 {
						t.Errorf("%s by an officer outside the queue: %d, want 404", op.OperationID, got)
					}
				}
				roles := make([]string, 0, len(tokens))
				for role := range tokens {
					roles = append(roles, role)
				}
				sort.Slice(roles, func(i, j int) bool { return allowed[roles[i]] == false && allowed[roles[j]] }) // denied first
				for _, role := range roles {
					got := do(c, tokens[role])
					switch {
					case allowed[role] && (got == 401 || got == 403):
						t.Errorf("%s by %s: %d, want it allowed", op.OperationID, role, got)
					case !allowed[role] && got != 403:
						t.Errorf("%s by %s: %d, want 403", op.OperationID, role, got)
					}
				}
			}
		}
		for id := range calls {
			if !ops[id] {
				t.Errorf("matrix row %s names no operation of openapi.yaml", id)
			}
		}

	})
}
