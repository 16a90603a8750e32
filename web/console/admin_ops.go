package console

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// consoleHolder is who runs a job started from the console, in its run record.
const consoleHolder = "console"

// adminJobsPage lists the scheduled jobs with their last runs.
type adminJobsPage struct {
	adminPage
	Jobs []jobView
	Ran  *service.JobRun
}

type jobView struct {
	Name, Description, Started, Outcome, Detail, Error string
}

// adminJobs lists the jobs (service.JobStatuses).
func (s *Server) adminJobs(c echo.Context) error {
	a := s.actor(c)
	jobs, err := s.svc.JobStatuses(c.Request().Context(), a)
	if err != nil {
		return s.fail(c, err)
	}
	p := &adminJobsPage{adminPage: newAdminPage(c, a, service.CanRunJobs)}
	about := map[string]string{}
	for _, j := range service.JobTable {
		about[j.Name] = j.Description
	}
	for _, j := range jobs {
		v := jobView{Name: j.Name, Description: about[j.Name]}
		if r := j.LastRun; r != nil {
			v.Started, v.Outcome, v.Detail, v.Error = s.when(c, r.StartedAt), r.Outcome, r.Detail, r.Error
		}
		p.Jobs = append(p.Jobs, v)
	}
	return s.render(c, http.StatusOK, "admin_jobs", p)
}

// adminRunJob runs a job now (service.RunJob, as POST /api/v1/jobs/{name}/runs).
func (s *Server) adminRunJob(c echo.Context) error {
	if _, err := s.svc.RunJob(c.Request().Context(), s.actor(c), c.Param("name"), consoleHolder); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/jobs", "job_ran")
}

// adminOutboxPage lists the mail that failed.
type adminOutboxPage struct {
	adminPage
	Mails []mailView
}

type mailView struct {
	ID, Kind, RequestID, Created, LastError string
	Attempts                                int
}

// outboxPageSize is how many failed mails the page lists.
const outboxPageSize = 100

// adminOutbox lists the failed mail (service.OutboxMail): its kind, request and error, never its address or text.
func (s *Server) adminOutbox(c echo.Context) error {
	a := s.actor(c)
	mails, err := s.svc.OutboxMail(c.Request().Context(), a, service.MailFailed, outboxPageSize)
	if err != nil {
		return s.fail(c, err)
	}
	p := &adminOutboxPage{adminPage: newAdminPage(c, a, service.CanManageOutbox)}
	for _, m := range mails {
		p.Mails = append(p.Mails, mailView{ID: m.ID, Kind: m.Kind, RequestID: m.RequestID, Created: s.when(c, m.CreatedAt),
			LastError: m.LastError, Attempts: m.Attempts})
	}
	return s.render(c, http.StatusOK, "admin_outbox", p)
}

// adminRetryMail queues a failed mail again (service.RetryMail, as POST /api/v1/outbox/{id}/retry).
func (s *Server) adminRetryMail(c echo.Context) error {
	if _, err := s.svc.RetryMail(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/outbox", "mail_retried")
}

// adminHostsPage lists the transmit allow-list.
type adminHostsPage struct {
	adminPage
	Hosts []*service.AllowedHost
}

func (s *Server) hostsPage(c echo.Context, p adminHostsPage, status int) error {
	hosts, err := s.svc.AllowedHosts(c.Request().Context(), s.actor(c))
	if err != nil {
		return s.fail(c, err)
	}
	p.Hosts = hosts
	return s.render(c, status, "admin_hosts", &p)
}

// adminHosts lists the hosts transmissions may reach on private addresses (service.AllowedHosts).
func (s *Server) adminHosts(c echo.Context) error {
	return s.hostsPage(c, adminHostsPage{adminPage: newAdminPage(c, s.actor(c), service.CanEditAllowList)}, http.StatusOK)
}

// adminAddHost adds a host (service.AddAllowedHost; host, note as POST /api/v1/transmissions/allowed-hosts).
func (s *Server) adminAddHost(c echo.Context) error {
	a := s.actor(c)
	_, _, err := s.svc.AddAllowedHost(c.Request().Context(), a, service.NewAllowedHost{Host: c.FormValue("host"),
		Note: c.FormValue("note")})
	if err != nil {
		p := adminHostsPage{adminPage: newAdminPage(c, a, service.CanEditAllowList)}
		form, _ := c.FormParams()
		if s.adminFormFailed(c, &p.adminPage, err, form, "host", "note") {
			return s.hostsPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/allowed-hosts", "host_added")
}

// adminRemoveHost removes an admin's entry (service.RemoveAllowedHost).
func (s *Server) adminRemoveHost(c echo.Context) error {
	if err := s.svc.RemoveAllowedHost(c.Request().Context(), s.actor(c), c.Param("host")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/allowed-hosts", "host_removed")
}

// adminBackupsPage lists the backup systems with what they still hold of erased requests.
type adminBackupsPage struct {
	adminPage
	Systems  []backupView
	Overdue  []overdueView
	Restores []restoreView // every system's, newest first
	Zone     string        // of the restore form's date and time: the default policy's
}

type restoreView struct {
	System, SnapshotTakenAt, RecordedAt, RecordedBy string
}

type backupView struct {
	*service.BackupSystem
	Pending, Overdue int
	Oldest           string
}

type overdueView struct {
	Reference, System, Deadline string
}

func (s *Server) backupsPage(c echo.Context, p adminBackupsPage, status int) error {
	ctx, a := c.Request().Context(), s.actor(c)
	systems, err := s.svc.BackupSystems(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	pending, err := s.svc.PendingPurges(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	overdue, err := s.svc.OverduePurges(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	late := overdueBySystem(overdue)
	loads := map[string]service.PurgeLoad{}
	for _, l := range pending {
		loads[l.BackupSystemID] = l
	}
	for _, b := range systems {
		v := backupView{BackupSystem: b, Pending: loads[b.ID].Pending, Overdue: late[b.ID]}
		if v.Pending > 0 {
			v.Oldest = s.when(c, loads[b.ID].OldestExecutedAt)
		}
		p.Systems = append(p.Systems, v)
	}
	for _, o := range overdue {
		p.Overdue = append(p.Overdue, overdueView{Reference: o.Reference, System: o.Purge.BackupName,
			Deadline: s.when(c, o.Deadline)})
	}
	if p.Restores, err = s.restoreViews(c, systems); err != nil {
		return s.fail(c, err)
	}
	p.Zone = s.svc.Location(service.DefaultPolicy).String()
	return s.render(c, status, "admin_backups", &p)
}

// restoreViews lists the restores recorded for the systems (service.Restores), newest first, with who
// recorded each by name where the reader may read the users, else by ID.
func (s *Server) restoreViews(c echo.Context, systems []*service.BackupSystem) ([]restoreView, error) {
	ctx, a := c.Request().Context(), s.actor(c)
	var all []*service.Restore
	names := map[string]string{}
	for _, b := range systems {
		rs, err := s.svc.Restores(ctx, a, b.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
		names[b.ID] = b.Name
	}
	if len(all) == 0 {
		return nil, nil
	}
	people := map[string]string{}
	if a.Can(service.CanReadUsers) {
		users, err := s.svc.Users(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			people[u.ID] = u.Name
		}
	}
	slices.SortStableFunc(all, func(x, y *service.Restore) int { return y.RecordedAt.Compare(x.RecordedAt) })
	out := make([]restoreView, len(all))
	for i, r := range all {
		by := people[r.RecordedBy]
		if by == "" {
			by = r.RecordedBy
		}
		out[i] = restoreView{System: names[r.BackupSystemID], SnapshotTakenAt: s.when(c, r.SnapshotTakenAt),
			RecordedAt: s.when(c, r.RecordedAt), RecordedBy: by}
	}
	return out, nil
}

// adminBackups lists the backup systems (service.BackupSystems) with their pending and overdue purges.
func (s *Server) adminBackups(c echo.Context) error {
	return s.backupsPage(c, adminBackupsPage{adminPage: newAdminPage(c, s.actor(c), service.CanManageBackups)}, http.StatusOK)
}

// adminCreateBackup registers a backup system (service.CreateBackupSystem; fields as POST /api/v1/backup-systems).
func (s *Server) adminCreateBackup(c echo.Context) error {
	a := s.actor(c)
	p := adminBackupsPage{adminPage: newAdminPage(c, a, service.CanManageBackups)}
	form, _ := c.FormParams()
	in := service.NewBackupSystem{Name: form.Get("name"), OwnerEmail: form.Get("owner_email"),
		RefreshSchedule: form.Get("refresh_schedule")}
	var bad []service.FieldError
	for _, f := range []struct {
		name string
		to   *int
	}{{"generations", &in.Generations}, {"grace_hours", &in.GraceHours}} {
		if v := form.Get(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad = append(bad, service.FieldError{Field: f.name, Message: "admin.whole_number"})
				continue
			}
			*f.to = n
		}
	}
	var err error
	if len(bad) > 0 && a.Can(service.CanManageBackups) {
		err = service.Invalid(bad...)
	} else {
		_, err = s.svc.CreateBackupSystem(c.Request().Context(), a, in)
	}
	if err != nil {
		if s.adminFormFailed(c, &p.adminPage, err, form, "name", "owner_email", "refresh_schedule", "generations", "grace_hours") {
			return s.backupsPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/backups", "backup_created")
}

// restoreTimeLayout is the form of an <input type="datetime-local">.
const restoreTimeLayout = "2006-01-02T15:04"

// adminRecordRestore records that a backup's snapshot was restored into the live systems (service.RecordRestore;
// snapshot_taken_at as POST /api/v1/backup-systems/{id}/restores, here a date and time in the default policy's
// zone). The deletions executed after the snapshot must be applied again: the notice says how many, and each
// such request's page says so.
func (s *Server) adminRecordRestore(c echo.Context) error {
	a := s.actor(c)
	p := adminBackupsPage{adminPage: newAdminPage(c, a, service.CanManageBackups)}
	form, _ := c.FormParams()
	var taken time.Time
	if v := form.Get("snapshot_taken_at"); v != "" {
		t, err := time.ParseInLocation(restoreTimeLayout, v, s.svc.Location(service.DefaultPolicy))
		if err != nil && a.Can(service.CanManageBackups) {
			p.Errors["restore-"+c.Param("id")] = "admin.backups.bad_time"
			return s.backupsPage(c, p, http.StatusUnprocessableEntity)
		}
		taken = t
	}
	restored, err := s.svc.RecordRestore(c.Request().Context(), a, c.Param("id"), taken)
	if err != nil {
		if fe := s.adminFieldErrors(c, err); fe != nil {
			for _, msg := range fe {
				p.Errors["restore-"+c.Param("id")] = msg
			}
			return s.backupsPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.redirect(c, fmt.Sprintf("/console/admin/backups?done=restore_recorded&n=%d", len(restored)))
}

// adminCalendarsPage lists the calendars, their published years and the provisional requests.
type adminCalendarsPage struct {
	adminPage
	Calendars   []service.CalendarInfo
	Provisional []provisionalView
}

type provisionalView struct {
	ID, Reference, Type, Due string
}

// maxCalendarUpload bounds a calendar year's JSON.
const maxCalendarUpload = 256 << 10

func (s *Server) calendarsPage(c echo.Context, p adminCalendarsPage, status int) error {
	ctx, a := c.Request().Context(), s.actor(c)
	cals, err := s.svc.Calendars(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	p.Calendars = cals
	if a.Can(service.CanLoadCalendar) {
		prov, err := s.svc.ProvisionalRequests(ctx, a)
		if err != nil {
			return s.fail(c, err)
		}
		l := s.cat.Localizer(s.lang(c))
		for _, r := range prov {
			p.Provisional = append(p.Provisional, provisionalView{ID: r.ID, Reference: r.Reference,
				Type: l.T("dashboard.type." + string(r.Type)), Due: dashDate(l, r.DueDate)})
		}
	}
	return s.render(c, status, "admin_calendars", &p)
}

// adminCalendars lists the calendars (service.Calendars) and the requests a new year would recompute.
func (s *Server) adminCalendars(c echo.Context) error {
	return s.calendarsPage(c, adminCalendarsPage{adminPage: newAdminPage(c, s.actor(c), service.CanLoadCalendar)}, http.StatusOK)
}

// adminLoadCalendarYear loads a year's schedule from an uploaded JSON file (service.LoadCalendarYear, as PUT
// /api/v1/calendars/{name}/years/{year}: fields year and file).
func (s *Server) adminLoadCalendarYear(c echo.Context) error {
	a := s.actor(c)
	p := adminCalendarsPage{adminPage: newAdminPage(c, a, service.CanLoadCalendar)}
	fail := func(field, key string) error {
		p.Errors[field] = key
		return s.calendarsPage(c, p, http.StatusUnprocessableEntity)
	}
	// The right to load is checked before a byte of the body is read (the form's CSRF token is in its URL).
	if !a.Can(service.CanLoadCalendar) {
		_, err := s.svc.LoadCalendarYear(c.Request().Context(), a, c.Param("name"), 0, nil)
		return s.fail(c, err)
	}
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxCalendarUpload+64<<10)
	if err := req.ParseMultipartForm(maxCalendarUpload + 64<<10); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail("file", "admin.calendars.too_large")
		}
		return fail("file", "admin.calendars.no_file")
	}
	p.Form["year"] = c.FormValue("year")
	year, err := strconv.Atoi(c.FormValue("year"))
	if err != nil {
		return fail("year", "admin.whole_number")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail("file", "admin.calendars.no_file")
	}
	if fh.Size > maxCalendarUpload {
		return fail("file", "admin.calendars.too_large")
	}
	f, err := fh.Open()
	if err != nil {
		return s.fail(c, err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, maxCalendarUpload+1))
	if err != nil {
		return s.fail(c, err)
	}
	if len(doc) > maxCalendarUpload {
		return fail("file", "admin.calendars.too_large")
	}
	if _, err := s.svc.LoadCalendarYear(c.Request().Context(), a, c.Param("name"), year, doc); err != nil {
		// The document's own fields (days, year inside it) are the file's errors.
		if s.adminFormFailed(c, &p.adminPage, err, nil, "year") {
			if msg, ok := p.Errors[""]; ok {
				p.Errors["file"] = msg
				delete(p.Errors, "")
			}
			p.Form["year"] = c.FormValue("year")
			return s.calendarsPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/calendars", "calendar_loaded")
}
