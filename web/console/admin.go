package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// adminPage is what every admin page carries besides its lists: whether the reader may act (the forms are left
// out otherwise), the notice of the action just done (PRG: ?done=...), and a failed form's values and errors.
type adminPage struct {
	Page
	Can    bool
	Done   string            // a message key, "" for none
	Errors map[string]string // field -> a message in the page's language, or a catalogue key
	Form   map[string]string // the failed form's values, by field
	N      int               // the count the notice tells, when it tells one (?n=)
}

// adminNotices are the notices a redirect may ask for: nothing else from the query reaches the page.
var adminNotices = []string{"user_created", "user_invited", "user_deactivated", "user_reactivated", "role_changed", "settings_saved", "token_revoked", "queue_created", "queue_updated", "queue_deleted",
	"backup_created", "restore_recorded", "calendar_loaded", "job_ran", "mail_retried", "host_added", "host_removed"}

// newAdminPage starts an admin page's view model.
func newAdminPage(c echo.Context, a service.Actor, may service.Capability) adminPage {
	p := adminPage{Can: a.Can(may), Errors: map[string]string{}, Form: map[string]string{}}
	if d := c.QueryParam("done"); slices.Contains(adminNotices, d) {
		p.Done = "admin.done." + d
		p.N, _ = strconv.Atoi(c.QueryParam("n"))
	}
	return p
}

// adminFormFailed fills a page's errors and values from a refused form, in the page's language: each field
// error beside its field when the form has that field, the others (and a rule that names no field) together
// above the form. It reports false, filling nothing, for an error that is not a broken rule, which the caller
// answers with s.fail.
func (s *Server) adminFormFailed(c echo.Context, p *adminPage, err error, form url.Values, fields ...string) bool {
	fe := s.adminFieldErrors(c, err)
	if fe == nil {
		return false
	}
	var general []string
	for f, msg := range fe {
		if f != "" && slices.Contains(fields, f) {
			p.Errors[f] = msg
			continue
		}
		if f != "" {
			msg = f + ": " + msg
		}
		general = append(general, msg)
	}
	if len(general) > 0 {
		slices.Sort(general)
		p.Errors[""] = strings.Join(general, "; ")
	}
	for _, f := range fields {
		p.Form[f] = form.Get(f)
	}
	return true
}

// adminFieldErrors is a broken rule's field errors in the page's language (fieldMessages with the admin
// catalogue's messages); nil for any other error.
func (s *Server) adminFieldErrors(c echo.Context, err error) map[string]string {
	if service.ErrorCode(err) != service.EINVALID {
		return nil
	}
	return fieldMessages(s.cat.Localizer(s.lang(c)), s.cat, err, "admin", nil)
}

// adminDone redirects to a page with its notice (POST-redirect-GET).
func (s *Server) adminDone(c echo.Context, path, notice string) error {
	return s.redirect(c, path+"?done="+notice)
}

// adminIndexPage lists the admin pages.
type adminIndexPage struct {
	Page
	Links []string // the pages under /console/admin/, each with its title and one line from the catalogue
}

// adminIndex is the start of the admin pages.
func (s *Server) adminIndex(c echo.Context) error {
	if a := s.actor(c); !a.Can(service.CanManageUsers) {
		return s.fail(c, service.Forbidden(a.Role, []service.Role{service.RoleAdmin}))
	}
	return s.render(c, http.StatusOK, "admin_index", &adminIndexPage{Links: []string{"users", "tokens", "queues",
		"backups", "calendars", "jobs", "outbox", "allowed-hosts", "settings"}})
}

// adminSettingsPage shows the settings that exist, read-only: they come from the configuration.
type adminSettingsPage struct {
	adminPage
	TLS                       bool
	AdminSecondFactorRequired bool
}

// adminSettings shows the organisation's branding as configured (RIGHTSDESK_ORG_NAME and the rest), and the
// one setting stored in the database: whether admins must sign in with a second factor.
func (s *Server) adminSettings(c echo.Context) error {
	a := s.actor(c)
	if !a.Can(service.CanManageUsers) {
		return s.fail(c, service.Forbidden(a.Role, []service.Role{service.RoleAdmin}))
	}
	required, err := s.svc.AdminSecondFactorRequired(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "admin_settings", &adminSettingsPage{
		adminPage: newAdminPage(c, a, service.CanManageUsers), TLS: s.tls, AdminSecondFactorRequired: required})
}

// adminSetSecondFactor requires a second factor of admins, or stops requiring it
// (service.SetAdminSecondFactorRequired; field required: true or false).
func (s *Server) adminSetSecondFactor(c echo.Context) error {
	if err := s.svc.SetAdminSecondFactorRequired(c.Request().Context(), s.actor(c), c.FormValue("required") == "true"); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/settings", "settings_saved")
}
