package service

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// templateFields finds the data a template reads: .Name fields and index . "Name" keys.
var templateFields = regexp.MustCompile(`\.([A-Z][A-Za-z]*)|index \S+ "([A-Za-z]+)"`)

// fieldsOf lists the data names a template's source reads, sorted and unique.
func fieldsOf(src string) []string {
	var out []string
	for _, m := range templateFields.FindAllStringSubmatch(src, -1) {
		name := m[1] + m[2]
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// TestMailTemplatesInEveryLocale: every kind of mail has a template in every locale, each with its Subject line,
// reading the same data as the English one (so that no translation drops the reference or the link), and it
// renders in both branches of its conditions; the zh-CN texts are in Chinese, subject and body.
func TestMailTemplatesInEveryLocale(t *testing.T) {
	paths, err := fs.Glob(templateFS, "templates/*/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{} // locale -> kinds
	for _, p := range paths {
		locale := path.Base(path.Dir(p))
		kinds[locale] = append(kinds[locale], strings.TrimSuffix(path.Base(p), ".txt"))
	}
	var locales []string
	for l := range kinds {
		locales = append(locales, l)
	}
	sort.Strings(locales)
	if want := slices.Sorted(slices.Values(Locales)); !slices.Equal(locales, want) {
		t.Fatalf("template directories %v, want one per locale %v", locales, want)
	}
	if len(kinds["en"]) < 10 {
		t.Fatalf("only %d English templates: %v", len(kinds["en"]), kinds["en"])
	}
	for _, locale := range locales {
		if !slices.Equal(kinds[locale], kinds["en"]) {
			t.Errorf("%s templates %v, want the English set %v", locale, kinds[locale], kinds["en"])
		}
	}
	for _, kind := range kinds["en"] {
		enSrc, err := fs.ReadFile(templateFS, "templates/en/"+kind+".txt")
		if err != nil {
			t.Fatal(err)
		}
		want := fieldsOf(string(enSrc))
		for _, locale := range locales {
			src, err := fs.ReadFile(templateFS, "templates/"+locale+"/"+kind+".txt")
			if err != nil {
				continue // reported above
			}
			if got := fieldsOf(string(src)); !slices.Equal(got, want) {
				t.Errorf("%s/%s reads %v, the English template %v", locale, kind, got, want)
			}
			full, bare := map[string]any{}, map[string]any{"Extra": map[string]string{}}
			extra := map[string]string{}
			for _, f := range want {
				full[f] = "«" + f + "»"
				extra[f] = "«" + f + "»"
				if f != "Extra" {
					bare[f] = ""
				}
			}
			full["Extra"] = extra
			if slices.Contains(want, "Corrections") { // a list: one correction of each outcome
				full["Corrections"] = []mailCorrection{{Field: "«Field»", CorrectedValue: "«CorrectedValue»", Applied: true},
					{Field: "«Field»", CorrectedValue: "«CorrectedValue»", Reason: "«Reason»"}}
				bare["Corrections"] = []mailCorrection(nil)
			}
			for name, data := range map[string]map[string]any{"every field set": full, "every field empty": bare} {
				subject, body, err := renderMail(kind, locale, data)
				if err != nil {
					t.Errorf("%s/%s with %s: %v", locale, kind, name, err)
					continue
				}
				if strings.TrimSpace(subject) == "" || strings.TrimSpace(body) == "" {
					t.Errorf("%s/%s with %s: subject %q, body %q", locale, kind, name, subject, body)
				}
				if strings.Contains(subject+body, "<no value>") {
					t.Errorf("%s/%s with %s reads a missing value:\n%s\n%s", locale, kind, name, subject, body)
				}
				zh := locale == "zh-CN"
				if han := strings.IndexFunc(subject, isHan) >= 0; han != zh {
					t.Errorf("%s/%s subject %q: Chinese %v", locale, kind, subject, han)
				}
				if han := strings.IndexFunc(body, isHan) >= 0; han != zh {
					t.Errorf("%s/%s body: Chinese %v:\n%s", locale, kind, han, body)
				}
			}
		}
	}
}

// TestPurgeOverdueInChinese: the chase of an overdue backup purge reads in Chinese with every fact it carries in
// English: the reference, the backup, when the data was deleted, the schedule, the deadline and the link.
func TestPurgeOverdueInChinese(t *testing.T) {
	data := map[string]string{"Reference": "DSR-2026-000042", "Backup": "nightly-tape",
		"ExecutedAt": "2026-10-14T10:00:00Z", "Deadline": "2026-11-08T03:00:00Z", "Generations": "3",
		"Schedule": "0 3 * * 0", "Link": "https://privacy.example.com/api/v1/backup-systems/b-1/refreshes"}
	subject, body, err := renderMail("purge_overdue", "zh-CN", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(subject, "备份清除逾期") || !strings.Contains(subject, data["Reference"]) ||
		!strings.Contains(subject, data["Backup"]) {
		t.Errorf("subject %q: want 备份清除逾期, the reference and the backup", subject)
	}
	for k, v := range data {
		if !strings.Contains(body, v) {
			t.Errorf("body lacks %s %q:\n%s", k, v, body)
		}
	}
	if !strings.Contains(body, "POST "+data["Link"]) || !strings.Contains(body, "请检查") {
		t.Errorf("body does not ask, in Chinese, to record refreshes at the link:\n%s", body)
	}
	if html := htmlFromText(body); !strings.Contains(html, `<a href="`+data["Link"]+`">`) {
		t.Errorf("HTML part lacks the link:\n%s", html)
	}
	enSubject, _, err := renderMail("purge_overdue", "en", data)
	if err != nil || enSubject == subject {
		t.Errorf("English subject %q (%v) is the Chinese one", enSubject, err)
	}
}
