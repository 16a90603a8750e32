package api_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// listIDs lists requests with the query as token, and answers their IDs, sorted.
func listIDs(t *testing.T, h *harness, token, query string) []string {
	t.Helper()
	res := h.Do(t, http.MethodGet, "/api/v1/requests?"+query, token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/requests?%s: %d %s", query, res.Status, res.Body)
	}
	ids := []string{}
	for _, it := range res.Map(t)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	sort.Strings(ids)
	return ids
}

func sorted(ids ...string) []string {
	out := append([]string{}, ids...)
	sort.Strings(out)
	return out
}

func sameIDs(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// A request is found by its reference, a subject's requests by e-mail or by phone through keyed hashes (a phone
// finds the requests filed with an e-mail too; each such search audited without the value searched for), and an
// officer's open work by assignee=me&status=active.
func TestFindRequestsByReferenceSubjectAndActiveStatus(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		olivia, oliviaToken := h.officer(t, "olivia")
		_, outsiderToken := h.officer(t, "oscar")
		h.queue(t, map[string]any{"name": "Privacy", "members": []string{olivia}, "default": true})
		file := func(body map[string]any) map[string]any {
			t.Helper()
			res := h.Do(t, http.MethodPost, "/api/v1/requests", h.admin, body)
			if res.Status != http.StatusCreated {
				t.Fatalf("file: %d %s", res.Status, res.Body)
			}
			return res.Map(t)
		}
		access := func(subject map[string]any) map[string]any {
			return map[string]any{"type": "access", "subject": subject, "channel": "email"}
		}
		a := file(deletion()) // li.wei@example.com, with a phone
		b := file(access(map[string]any{"name": "Li Wei", "email": "LI.WEI@example.com"}))
		c := file(access(map[string]any{"name": "Wang Fang", "phone": "+86 139 1111 2222"}))
		d := file(access(map[string]any{"name": "Zhang Min", "email": "zhang.min@example.com"}))
		aID, bID, cID, dID := a["id"].(string), b["id"].(string), c["id"].(string), d["id"].(string)

		for _, sc := range []struct {
			name, query string
			want        []string
		}{
			{"reference", "reference=" + a["reference"].(string), []string{aID}},
			{"unknown reference", "reference=DSR-2026-999999", nil},
			{"e-mail", "subject_email=" + url.QueryEscape("li.wei@example.com"), sorted(aID, bID)},
			{"e-mail in other case", "subject_email=" + url.QueryEscape("Li.Wei@Example.COM"), sorted(aID, bID)},
			{"e-mail and type", "subject_email=" + url.QueryEscape("li.wei@example.com") + "&type=access", []string{bID}},
			{"phone", "subject_phone=" + url.QueryEscape("+86 139 1111 2222"), []string{cID}},
			{"phone written otherwise", "subject_phone=" + url.QueryEscape("86-139-1111-2222"), []string{cID}},
			{"phone of a subject with an e-mail", "subject_phone=" + url.QueryEscape("+86 138 0000 0000"), []string{aID}},
			{"that phone written otherwise", "subject_phone=" + url.QueryEscape("(86) 13800000000"), []string{aID}},
			{"nobody's e-mail", "subject_email=" + url.QueryEscape("nobody@example.com"), nil},
		} {
			if got := listIDs(t, h, h.admin, sc.query); !sameIDs(got, sc.want) {
				t.Errorf("%s: %v, want %v", sc.name, got, sc.want)
			}
		}
		if got := listIDs(t, h, outsiderToken, "subject_email="+url.QueryEscape("li.wei@example.com")); len(got) != 0 {
			t.Errorf("an officer of no queue finds %v", got)
		}

		searches := 0
		for _, e := range auditEvents(t, h, h.admin) {
			if e["action"] != "request.searched" {
				continue
			}
			searches++
			data := e["data"].(map[string]any)
			if by := data["by"]; by != "subject_email" && by != "subject_phone" {
				t.Errorf("request.searched by %v", by)
			}
			for _, v := range data {
				if s := v.(string); strings.Contains(s, "@") || strings.Contains(s, "139") || strings.Contains(s, "138") {
					t.Errorf("request.searched records the value searched for: %v", data)
				}
			}
		}
		if searches != 9 {
			t.Errorf("%d request.searched events, want 9 (one per search by e-mail or phone)", searches)
		}
		// Whole numbers as written: a fragment such as "1111" turns up by chance in IDs and latencies.
		for _, secret := range []string{"li.wei", "LI.WEI", "139 1111 2222", "139-1111-2222", "13911112222",
			"139%201111", "0000 0000", "zhang.min"} {
			if strings.Contains(h.logs.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}

		for _, sc := range []struct{ query, field string }{
			{"subject_email=" + url.QueryEscape("not an address"), "subject_email"},
			{"subject_phone=abc", "subject_phone"},
			{"subject_email=" + url.QueryEscape("li.wei@example.com") + "&subject_phone=12345", "subject_phone"},
			{"status=busy", "status"},
		} {
			res := h.Do(t, http.MethodGet, "/api/v1/requests?"+sc.query, h.admin, nil)
			if got := problemFields(t, res.Map(t)); res.Status != http.StatusUnprocessableEntity || len(got) != 1 || got[0] != sc.field {
				t.Errorf("%s: %d %v, want 422 naming %s", sc.query, res.Status, got, sc.field)
			}
		}

		// status=active: every status not closed; with assignee=me, an officer's own open work.
		for _, id := range []string{aID, dID} {
			h.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/assignment", h.admin, map[string]any{"assignee_id": olivia})
		}
		if res := h.Do(t, http.MethodPost, "/api/v1/requests/"+dID+"/transitions", h.admin, map[string]any{"to": "withdrawn"}); res.Status != http.StatusOK {
			t.Fatalf("withdraw: %d %s", res.Status, res.Body)
		}
		if got, want := listIDs(t, h, h.admin, "status=active"), sorted(aID, bID, cID); !sameIDs(got, want) {
			t.Errorf("status=active: %v, want %v", got, want)
		}
		if got := listIDs(t, h, oliviaToken, "assignee=me&status=active"); !sameIDs(got, []string{aID}) {
			t.Errorf("assignee=me&status=active: %v, want [%s]", got, aID)
		}
		if got := listIDs(t, h, oliviaToken, "assignee=me&status=withdrawn"); !sameIDs(got, []string{dID}) {
			t.Errorf("assignee=me&status=withdrawn: %v, want [%s]", got, dID)
		}
	})
}
