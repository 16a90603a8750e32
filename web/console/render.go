package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// Page is what every page's layout needs; a page's view model embeds it, and render fills it in.
type Page struct {
	L     *web.Localizer
	Brand web.Brand
	// CSRF is the token every form carries as the hidden input "csrf".
	CSRF string
	// User is the signed-in person; nil on the sign-in pages.
	User *service.User
	Nav  []NavItem
	// Path is the page's path and query, where the language switch returns.
	Path string
}

func (p *Page) page() *Page { return p }

// pager is a view model: a pointer to a struct that embeds Page.
type pager interface{ page() *Page }

// pageFuncs are the helpers templates may use.
var pageFuncs = template.FuncMap{
	"fieldID": func(name string) string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(name) },
	"passwordFields": func(l *web.Localizer, errs map[string]string, label string) passwordFields {
		return passwordFields{L: l, Errors: errs, Label: label}
	},
}

// passwordFields is the data of templates/partials/password_fields.html: a new password typed twice, labelled
// by the catalogue key Label, with the form's field errors.
type passwordFields struct {
	L      *web.Localizer
	Errors map[string]string
	Label  string
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html",
		"templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	// A page without an extra style sheet needs an empty "head".
	if _, err := layout.New("head").Parse(""); err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
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

// render writes templates/page.html in the layout; data is the page's view model (a pointer to a struct that
// embeds Page), whose Page render fills in. A template failure is a bug: logged, answered with the error page.
func (s *Server) render(c echo.Context, status int, page string, data pager) error {
	if data == nil {
		data = &Page{}
	}
	p := data.page()
	p.L = s.cat.Localizer(s.lang(c))
	p.Brand = s.brand
	p.CSRF = s.csrfToken(c)
	p.Path = c.Request().URL.Path
	if in := s.signedIn(c); in != nil {
		p.User = in.User
		p.Nav = navFor(in.Actor, p.Path)
	}
	t := s.pages[page]
	if t == nil {
		return fmt.Errorf("console: no page %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", data); err != nil {
		s.log.Error().Err(err).Str("page", page).Msg("render console page")
		if page == "error" {
			return c.String(http.StatusInternalServerError, "internal error")
		}
		return s.errorPage(c, http.StatusInternalServerError, "error.internal", "")
	}
	return c.HTMLBlob(status, b.Bytes())
}

// redirect ends a POST by sending the browser to a page (303 See Other: POST-redirect-GET).
func (s *Server) redirect(c echo.Context, path string) error {
	return c.Redirect(http.StatusSeeOther, path)
}

// errorPage is the console's page for a refusal or a failure: a title and a sentence, in the page's language.
type errorPage struct {
	Page
	Status  int
	Key     string // the message's key: error.not_found, error.forbidden...
	Detail  string // the service's own words, when they help (a conflict's reason)
	Fields  []service.FieldError
	Retry   int // seconds, for 429
	Signing bool
}

// errorPage renders the error page with a message of the catalogue.
func (s *Server) errorPage(c echo.Context, status int, key, detail string) error {
	return s.render(c, status, "error", &errorPage{Status: status, Key: key, Detail: detail})
}

// fail answers a service error with the console's page for it, as the API maps codes to statuses: not found
// (or not the caller's to see: the service audits the refusal) 404, forbidden 403, conflict 409, a broken rule
// 422 naming the fields, too many 429, not signed in: the sign-in page. Anything else is logged once and
// answered "something went wrong", never with its detail.
func (s *Server) fail(c echo.Context, err error) error {
	switch service.ErrorCode(err) {
	case service.ENOTFOUND:
		return s.errorPage(c, http.StatusNotFound, "error.not_found", "")
	case service.EFORBIDDEN:
		return s.errorPage(c, http.StatusForbidden, "error.forbidden", "")
	case service.ECONFLICT:
		return s.errorPage(c, http.StatusConflict, "error.conflict", service.ErrorMessage(err))
	case service.EINVALID:
		var e *service.Error
		p := &errorPage{Status: http.StatusUnprocessableEntity, Key: "error.invalid"}
		if errors.As(err, &e) {
			p.Fields = e.Fields
		}
		return s.render(c, http.StatusUnprocessableEntity, "error", p)
	case service.ETOOMANY:
		var e *service.Error
		p := &errorPage{Status: http.StatusTooManyRequests, Key: "error.too_many"}
		if errors.As(err, &e) && e.RetryAfter > 0 {
			p.Retry = int(e.RetryAfter.Seconds() + 0.999)
			c.Response().Header().Set("Retry-After", fmt.Sprint(p.Retry))
		}
		return s.render(c, http.StatusTooManyRequests, "error", p)
	case service.EUNAUTHORIZED:
		return s.toLogin(c)
	case service.EUNAVAILABLE:
		return s.errorPage(c, http.StatusServiceUnavailable, "error.unavailable", "")
	}
	s.log.Error().Err(err).Str("route", c.Path()).Msg("console")
	return s.errorPage(c, http.StatusInternalServerError, "error.internal", "")
}

// NavItem is one entry of the console's navigation.
type NavItem struct {
	Key     string // its label's message key
	Path    string
	Current bool
}

// nav is the console's navigation: each entry with the capability what it opens needs, the one its pages
// check. One table, so that the nav never shows what the person cannot use.
var nav = []struct {
	key, path string
	may       service.Capability
}{
	{"nav.work", "/console/", service.CanReadRequests},
	{"nav.dashboard", "/console/dashboard", service.CanReadReports},
	{"nav.audit", "/console/audit/", service.CanReadAudit},
	{"nav.admin", "/console/admin/", service.CanManageUsers},
}

func navFor(a service.Actor, path string) []NavItem {
	var out []NavItem
	for _, n := range nav {
		if !a.Can(n.may) {
			continue
		}
		cur := path == n.path || (n.path != "/console/" && strings.HasPrefix(path, n.path))
		if n.path == "/console/" && strings.HasPrefix(path, "/console/requests/") {
			cur = true
		}
		out = append(out, NavItem{Key: n.key, Path: n.path, Current: cur})
	}
	return out
}
