package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Languages are the languages of the pages, the first the default; the same as the e-mails'.
var Languages = []string{"en", "zh-CN"}

//go:embed messages/*.json
var messageFS embed.FS

// Catalogue holds every string a person reads on the pages, per language; a message may take named values
// ({{.Reference}}), filled in by the language's own word order.
type Catalogue struct {
	messages map[string]map[string]*template.Template // language -> key -> message
}

// LoadCatalogue parses the embedded messages and checks that every language has every key.
func LoadCatalogue() (*Catalogue, error) {
	files := map[string][]string{}
	for _, lang := range Languages {
		files[lang] = []string{"messages/" + lang + ".json"}
	}
	return loadCatalogue(messageFS, files)
}

// LoadCatalogueDir parses a catalogue kept as one folder per language, each holding one JSON file per area of
// the pages ({lang}/*.json), merged: a key two files define is an error, and so is a key one language lacks.
func LoadCatalogueDir(fsys fs.FS) (*Catalogue, error) {
	files := map[string][]string{}
	for _, lang := range Languages {
		names, err := fs.Glob(fsys, lang+"/*.json")
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("messages: no %s/*.json", lang)
		}
		files[lang] = names
	}
	return loadCatalogue(fsys, files)
}

func loadCatalogue(fsys fs.FS, files map[string][]string) (*Catalogue, error) {
	c := &Catalogue{messages: map[string]map[string]*template.Template{}}
	for _, lang := range Languages {
		c.messages[lang] = map[string]*template.Template{}
		defined := map[string]string{} // key -> file
		for _, name := range files[lang] {
			raw, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for k, v := range m {
				if other, dup := defined[k]; dup {
					return nil, fmt.Errorf("%s and %s both define %q", other, name, k)
				}
				defined[k] = name
				t, err := template.New(k).Option("missingkey=error").Parse(v)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", name, k, err)
				}
				c.messages[lang][k] = t
			}
		}
	}
	for _, lang := range Languages {
		for _, other := range Languages {
			for k := range c.messages[lang] {
				if c.messages[other][k] == nil {
					return nil, fmt.Errorf("messages: %s lacks %q, which %s has", other, k, lang)
				}
			}
		}
	}
	return c, nil
}

// Has reports whether the catalogue has a message.
func (c *Catalogue) Has(key string) bool { return c.messages[Languages[0]][key] != nil }

// Localizer writes the catalogue's messages in one language; templates call it as .L.
type Localizer struct {
	Lang string
	c    *Catalogue
}

// Localizer answers a localizer for lang (the default language if lang is not one of Languages).
func (c *Catalogue) Localizer(lang string) *Localizer {
	if c.messages[lang] == nil {
		lang = Languages[0]
	}
	return &Localizer{Lang: lang, c: c}
}

// T writes a message; args are name, value pairs for its placeholders. A missing message shows its key, which
// the catalogue test keeps from happening.
func (l *Localizer) T(key string, args ...any) string {
	t := l.c.messages[l.Lang][key]
	if t == nil {
		return key
	}
	data := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return key
	}
	return b.String()
}

// Date writes a civil date as people write it in the language: "12 October 2026", "2026年10月12日".
func (l *Localizer) Date(year int, month time.Month, day int) string {
	return l.T("date", "Year", year, "Month", l.T("month."+strconv.Itoa(int(month))), "Day", day)
}

// Other is the language the switch offers.
func (l *Localizer) Other() string {
	if l.Lang == Languages[0] {
		return Languages[1]
	}
	return Languages[0]
}

// langCookie remembers the language a person chose with the switch.
const langCookie = "rd_lang"

// negotiateLanguage picks the page's language: the switch's cookie, else the best of Accept-Language.
func negotiateLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range Languages {
			if c.Value == l {
				return l
			}
		}
	}
	return AcceptLanguage(r.Header.Get("Accept-Language"))
}

// AcceptLanguage answers the best of Languages for an Accept-Language header; the first of Languages when none
// fits.
func AcceptLanguage(header string) string {
	best, bestQ := Languages[0], 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		tag = strings.ToLower(tag)
		lang := ""
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			lang = "zh-CN"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = "en"
		}
		if lang != "" && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
