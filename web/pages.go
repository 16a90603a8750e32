package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// base is what every page's layout needs.
type base struct {
	L         *Localizer
	Brand     Brand
	Title     string
	SwitchURL string
}

// newBase prepares a page in the request's language.
func (s *Server) newBase(r *http.Request, titleKey string, args ...any) base {
	l := s.cat.Localizer(negotiateLanguage(r))
	back := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		back += "?" + r.URL.RawQuery
	}
	return base{L: l, Brand: s.brand, Title: l.T(titleKey, args...),
		SwitchURL: "/privacy/lang?" + url.Values{"to": {l.Other()}, "back": {back}}.Encode()}
}

// pageFuncs are the few helpers templates use to name and describe fields.
var pageFuncs = template.FuncMap{
	// fieldID turns an API path such as subject.guardian.email into an HTML id.
	"fieldID": fieldID,
	"field":   field,
	"row": func(i int, part string) string {
		return "details.corrections." + strconv.Itoa(i) + "." + part
	},
	"inc": func(i int) int { return i + 1 },
}

func fieldID(name string) string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(name) }

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/fields.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "fields" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page; a template failure is a bug, logged and answered as an error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var b bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&b, "layout.html", data); err != nil {
		s.log.Error().Err(err).Str("page", page).Msg("render page")
		if page != "message" {
			s.refuse(w, r, http.StatusInternalServerError, "refused.error")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// messagePage is a refusal or an outcome in words.
type messagePage struct {
	base
	Message string
}

// refuse answers a clear page saying why a request was not accepted.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, key string) {
	b := s.newBase(r, "refused.title")
	s.render(w, r, status, "message", messagePage{base: b, Message: b.L.T(key)})
}
