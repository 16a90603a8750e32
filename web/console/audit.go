package console

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// auditIndexPage lists the audit views.
type auditIndexPage struct{ Page }

// auditIndex is the start of the audit views, for those who may read the trail.
func (s *Server) auditIndex(c echo.Context) error {
	if a := s.actor(c); !a.Can(service.CanReadAudit) {
		return s.fail(c, service.Forbidden(a.Role, nil))
	}
	return s.render(c, http.StatusOK, "audit_index", &auditIndexPage{})
}

// auditVerifyPage is the verification of the chain, in words.
type auditVerifyPage struct {
	Page
	V         service.AuditVerification
	Reason    string // the fault's message key
	CheckedAt string
}

// auditVerify runs the chain's verification (service.VerifyAudit) and says what it found.
func (s *Server) auditVerify(c echo.Context) error {
	v, err := s.svc.VerifyAudit(c.Request().Context(), s.actor(c))
	if err != nil {
		return s.fail(c, err)
	}
	p := &auditVerifyPage{V: v}
	if v.FirstBad != nil {
		p.Reason = "audit.verify.reason." + v.FirstBad.Reason
	}
	p.CheckedAt = s.when(c, s.now())
	return s.render(c, http.StatusOK, "audit_verify", p)
}

// auditEventsPage is one page of the events that concern no request.
type auditEventsPage struct {
	Page
	Items     []auditEventRow
	NextAfter int64
	After     int64
}

type auditEventRow struct {
	Seq     int64
	At      string
	Actor   string
	Role    string
	Words   string
	Details []auditDetail
}

type auditDetail struct{ Key, Value string }

// auditEvents lists the events that concern no request (service.AuditEvents), in words, 50 a page.
func (s *Server) auditEvents(c echo.Context) error {
	var after int64
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.fail(c, service.Errorf(service.EINVALID, "after must be a number"))
		}
		after = n
	}
	page, err := s.svc.AuditEvents(c.Request().Context(), s.actor(c), after, 0)
	if err != nil {
		return s.fail(c, err)
	}
	l := s.cat.Localizer(s.lang(c))
	p := &auditEventsPage{NextAfter: page.NextAfter, After: after}
	for _, it := range page.Items {
		e := it.Event
		key := "audit.action." + e.Action
		if !s.cat.Has(key) {
			key = "audit.action.other"
		}
		row := auditEventRow{Seq: e.Seq, At: s.when(c, e.At), Actor: it.Actor.Name, Role: it.Actor.Role,
			Words: l.T(key, "Action", e.Action)}
		keys := make([]string, 0, len(e.Data))
		for k := range e.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			row.Details = append(row.Details, auditDetail{Key: k, Value: e.Data[k]})
		}
		p.Items = append(p.Items, row)
	}
	return s.render(c, http.StatusOK, "audit_events", p)
}

// auditReportPage is the compliance summary of a range of dates.
type auditReportPage struct {
	Page
	From, To string // as given, for the form
	Errors   map[string]string
	Sum      *service.Summary
	Rows     []reportRow
	CSVQuery string
}

type reportRow struct {
	Type string
	service.TypeSummary
	Rate, Median, P90 string
}

// reportRange reads from and to (YYYY-MM-DD), by default the current year to date in the default policy's zone.
func (s *Server) reportRange(c echo.Context) (from, to string, q service.SummaryQuery, errs map[string]string) {
	today := calendar.DateOf(s.now().In(s.svc.Location(service.DefaultPolicy)))
	from, to = c.QueryParam("from"), c.QueryParam("to")
	if from == "" && to == "" {
		from, to = calendar.NewDate(today.Year, time.January, 1).String(), today.String()
	}
	errs = map[string]string{}
	for _, f := range []struct {
		name string
		v    string
		d    *calendar.Date
	}{{"from", from, &q.From}, {"to", to, &q.To}} {
		d, err := calendar.ParseDate(f.v)
		if err != nil {
			errs[f.name] = "audit.report.bad_date"
			continue
		}
		*f.d = d
	}
	return from, to, q, errs
}

// auditReport shows the summary (service.Summary) for a range of dates, with a link to its CSV.
func (s *Server) auditReport(c echo.Context) error {
	from, to, q, errs := s.reportRange(c)
	p := &auditReportPage{From: from, To: to, Errors: errs}
	if len(errs) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "audit_report", p)
	}
	sum, err := s.svc.Summary(c.Request().Context(), s.actor(c), q)
	if err != nil {
		if fe := s.adminFieldErrors(c, err); fe != nil {
			p.Errors = fe
			return s.render(c, http.StatusUnprocessableEntity, "audit_report", p)
		}
		return s.fail(c, err)
	}
	l := s.cat.Localizer(s.lang(c))
	p.Sum = sum
	for _, t := range append(append([]service.TypeSummary(nil), sum.Types...), sum.Total) {
		name := l.T("audit.report.total")
		if t.Type != "" {
			name = l.T("dashboard.type." + string(t.Type))
		}
		r := reportRow{Type: name, TypeSummary: t}
		if t.OnTimeRate != nil {
			r.Rate = percent(*t.OnTimeRate)
		}
		r.Median, _ = daysValue(t.MedianDaysToReply)
		r.P90, _ = daysValue(t.P90DaysToReply)
		p.Rows = append(p.Rows, r)
	}
	p.CSVQuery = "from=" + q.From.String() + "&to=" + q.To.String()
	return s.render(c, http.StatusOK, "audit_report", p)
}

// auditReportCSV downloads the summary as the API's CSV (service.Summary.WriteCSV).
func (s *Server) auditReportCSV(c echo.Context) error {
	_, _, q, errs := s.reportRange(c)
	if len(errs) > 0 {
		return s.fail(c, service.Errorf(service.EINVALID, "from and to must be dates (YYYY-MM-DD)"))
	}
	sum, err := s.svc.Summary(c.Request().Context(), s.actor(c), q)
	if err != nil {
		return s.fail(c, err)
	}
	var b bytes.Buffer
	if err := sum.WriteCSV(&b); err != nil {
		return s.fail(c, err)
	}
	c.Response().Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="summary-%s-%s.csv"`, q.From, q.To))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// when writes an instant as a date and time in the default policy's zone, in the reader's language.
func (s *Server) when(c echo.Context, t time.Time) string {
	l := s.cat.Localizer(s.lang(c))
	t = t.In(s.svc.Location(service.DefaultPolicy))
	return l.Date(t.Year(), t.Month(), t.Day()) + " " + t.Format("15:04")
}
