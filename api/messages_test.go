package api_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// TestQuestionAndAnswerOverHTTP: a hold awaiting the subject carries the officer's question (only there: a
// message elsewhere is a 422 naming it), which is e-mailed with the status link; after the subject answers on
// the status page, officers read the question, the answer and its file through the API.
func TestQuestionAndAnswerOverHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		id := h.Do(t, "POST", "/api/v1/requests", h.admin, deletion()).Map(t)["id"].(string)
		path := "/api/v1/requests/" + id
		h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "in_progress"})
		res := h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "on_hold", "reason": "legal_review",
			"message": "Please send the letter."})
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"message"`) {
			t.Errorf("a message with another hold reason: %d %s, want 422 naming message", res.Status, res.Body)
		}
		res = h.Do(t, "POST", path+"/transitions", h.admin, map[string]any{"to": "on_hold",
			"reason": "awaiting_subject_information", "message": "Please send the letter we sent you."})
		if res.Status != 200 || res.Map(t)["status"] != "on_hold" {
			t.Fatalf("hold: %d %s", res.Status, res.Body)
		}
		var token string
		for _, m := range h.mails(t) {
			if m.Kind == "question" && m.RequestID == id && strings.Contains(m.Text, "Please send the letter we sent you.") {
				if sub := regexp.MustCompile(`/privacy/status/([A-Za-z0-9_-]{43})`).FindStringSubmatch(m.Text); sub != nil {
					token = sub[1]
				}
			}
		}
		if token == "" {
			t.Fatal("no question mail with a status link")
		}
		h.clock.Set(h.clock.Now().Add(time.Hour)) // the answer comes after the question, as it does outside a test
		if _, err := h.svc.AnswerBySubject(context.Background(), token, service.AnswerCommand{Text: "Here it is.",
			Files: []service.AnswerFile{{Name: "letter.txt", Content: []byte("Dear Li Wei")}}}); err != nil {
			t.Fatal(err)
		}
		list := h.Do(t, "GET", path+"/messages", h.admin, nil)
		var got struct {
			Items []struct {
				Kind, Body string
				Files      []struct{ ID, Name, ContentType string }
			}
		}
		list.JSON(t, &got)
		if list.Status != 200 || len(got.Items) != 2 || got.Items[0].Kind != "question" || got.Items[1].Body != "Here it is." ||
			len(got.Items[1].Files) != 1 {
			t.Fatalf("messages: %d %s", list.Status, list.Body)
		}
		fileID := list.Map(t)["items"].([]any)[1].(map[string]any)["files"].([]any)[0].(map[string]any)["id"].(string)
		file := h.Do(t, "GET", path+"/messages/files/"+fileID, h.admin, nil)
		if file.Status != 200 || string(file.Body) != "Dear Li Wei" || !strings.Contains(file.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("file: %d %q %s", file.Status, file.Body, file.Header.Get("Content-Disposition"))
		}
		if res := h.Do(t, "GET", path+"/messages/files/"+id, h.admin, nil); res.Status != 404 {
			t.Errorf("another ID as a file: %d, want 404", res.Status)
		}
		_, officer := h.officer(t, "outsider")
		if res := h.Do(t, "GET", path+"/messages", officer, nil); res.Status != 404 {
			t.Errorf("an officer of no queue: %d, want 404", res.Status)
		}
		if res := h.Do(t, "GET", path, h.admin, nil); res.Map(t)["status"] != "in_progress" {
			t.Errorf("after the answer: %s", res.Body)
		}
	})
}
