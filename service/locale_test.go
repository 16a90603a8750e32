package service_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// hasHan reports whether s has a Chinese character: a message in Chinese, not English with a Chinese name in it.
func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestEscalationInChinese: a request whose locale is zh-CN is escalated in Simplified Chinese at every level,
// subject and body, with its reference, type, due date and console link, and none of the subject's personal data;
// a request in English beside it stays in English.
func TestEscalationInChinese(t *testing.T) {
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) { escalateInChinese(t, mustEscalationEnv(t, db)) })
	}
}

func escalateInChinese(t *testing.T, env *escalationEnv) {
	cmd := deletionCmd()
	cmd.Locale = "zh-CN"
	zh := env.mustFile(t, admin, cmd)
	if zh.Locale != "zh-CN" || zh.Due.Date.String() != "2026-10-12" {
		t.Fatalf("filed locale %q due %s, want zh-CN due 2026-10-12", zh.Locale, zh.Due.Date)
	}
	steps := []struct {
		at            time.Time
		level, phrase string // a phrase only the Chinese text of the level has
	}{
		{time.Date(2026, 10, 8, 9, 0, 0, 0, shanghai), service.LevelReminder, "提醒"},
		{time.Date(2026, 10, 13, 0, 0, 0, 0, shanghai), service.LevelOverdue, "已逾期"},
		{time.Date(2026, 10, 14, 8, 0, 0, 0, shanghai), service.LevelDPO, "个人信息保护负责人"},
	}
	personal := []string{"Li Wei", "li.wei@example.com", "+86 138 0000 0000", "emp-4411", "I left."}
	link := "https://privacy.example.com/console/requests/" + zh.ID
	for _, st := range steps {
		env.sweep(t, st.at)
		var chinese, english []*service.Mail
		for _, m := range env.escalations(t)[st.level] {
			switch m.RequestID {
			case zh.ID:
				chinese = append(chinese, m)
			case env.request.ID:
				english = append(english, m)
			}
		}
		if len(chinese) == 0 || len(english) == 0 {
			t.Fatalf("%s: %d Chinese and %d English mails, want some of each", st.level, len(chinese), len(english))
		}
		for _, m := range chinese {
			if !hasHan(m.Subject) || !strings.Contains(m.Subject, st.phrase) || !strings.Contains(m.Subject, zh.Reference) {
				t.Errorf("%s subject %q: want Chinese with %q and the reference %s", st.level, m.Subject, st.phrase, zh.Reference)
			}
			for part, body := range map[string]string{"text": m.Text, "html": m.HTMLPart()} {
				for _, want := range []string{zh.Reference, "删除个人信息", "2026年10月12日", link} {
					if !strings.Contains(body, want) {
						t.Errorf("%s %s lacks %q:\n%s", st.level, part, want, body)
					}
				}
				if !hasHan(body) || !strings.Contains(body, "控制台") {
					t.Errorf("%s %s is not in Chinese:\n%s", st.level, part, body)
				}
			}
			for _, p := range personal {
				for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTMLPart()} {
					if strings.Contains(s, p) {
						t.Errorf("%s %s carries the subject's %q", st.level, part, p)
					}
				}
			}
		}
		for _, m := range english {
			if hasHan(m.Subject) || hasHan(m.Text) {
				t.Errorf("%s of the English request is not in English: %q\n%s", st.level, m.Subject, m.Text)
			}
		}
	}
}
