package console

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/web"
)

// referenceRe recognises a reference typed in the search box.
var referenceRe = regexp.MustCompile(`(?i)^DSR-\d{4}-\d+$`)

// workListPage is the work list: the filters, one page of requests by due date, the link to the next.
type workListPage struct {
	Page
	Status, Type, Queue, Assignee, DueWithin, Q string
	Overdue                                     bool
	Statuses, Types, Queues, Assignees          []option
	Rows                                        []workRow
	Next                                        string // the next page's URL; "" on the last
	AnyProvisional                              bool   // a row's due date is provisional: the footnote says why
	Errors                                      map[string]string
}

// workRow is one request of the list, without personal data.
type workRow struct {
	ID, Reference, Type, Status, Queue, Assignee, Due, Received string
	Provisional                                                 bool
	Standing                                                    standingView
}

// listFilters are the list's query parameters: the API's names (status, type, queue, assignee, overdue,
// due_within, cursor) and q, one search box read as a reference, an e-mail address or a phone number.
func listQuery(c echo.Context) (service.ListRequestsQuery, map[string]string) {
	q := service.ListRequestsQuery{Limit: 50, Cursor: c.QueryParam("cursor")}
	bad := map[string]string{}
	status := c.QueryParam("status")
	if status == "" {
		status = string(service.StatusActive)
	}
	if status != "all" {
		st := service.Status(status)
		q.Status = &st
	}
	if v := c.QueryParam("type"); v != "" {
		t := service.RequestType(v)
		q.Type = &t
	}
	if v := c.QueryParam("queue"); v != "" {
		q.QueueID = &v
	}
	if v := c.QueryParam("assignee"); v != "" {
		q.AssigneeID = &v
	}
	q.Overdue = c.QueryParam("overdue") == "true"
	if v := c.QueryParam("due_within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad["due_within"] = v
		} else {
			q.DueWithin = &n
		}
	}
	if v := strings.TrimSpace(c.QueryParam("q")); v != "" {
		switch {
		case referenceRe.MatchString(v):
			ref := strings.ToUpper(v)
			q.Reference = &ref
		case strings.Contains(v, "@"):
			q.SubjectEmail = &v
		default:
			q.SubjectPhone = &v
		}
	}
	return q, bad
}

// workList lists the requests the signed-in person may see (an officer: her queues), soonest due first.
func (s *Server) workList(c echo.Context) error {
	ctx, a := c.Request().Context(), s.actor(c)
	l := s.cat.Localizer(s.lang(c))
	q, bad := listQuery(c)
	p := &workListPage{Status: c.QueryParam("status"), Type: c.QueryParam("type"), Queue: c.QueryParam("queue"),
		Assignee: c.QueryParam("assignee"), DueWithin: c.QueryParam("due_within"), Q: c.QueryParam("q"),
		Overdue: q.Overdue, Errors: map[string]string{}}
	if p.Status == "" {
		p.Status = string(service.StatusActive)
	}
	p.Statuses = append([]option{{Value: string(service.StatusActive), Label: l.T("work.status.active")},
		{Value: "all", Label: l.T("work.status.all")}}, statusOptions(l, "", service.Statuses...)...)
	for i := range p.Statuses {
		p.Statuses[i].Selected = p.Statuses[i].Value == p.Status
	}
	for _, t := range service.RequestTypes {
		p.Types = append(p.Types, option{Value: string(t), Label: l.T("work.type." + string(t)), Selected: string(t) == p.Type})
	}
	queues, err := s.svc.Queues(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	queueNames := map[string]string{}
	for _, qu := range queues {
		queueNames[qu.ID] = qu.Name
		p.Queues = append(p.Queues, option{Value: qu.ID, Label: qu.Name, Selected: qu.ID == p.Queue})
	}
	people, err := s.svc.Colleagues(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	names := map[string]string{}
	p.Assignees = []option{{Value: "me", Label: l.T("work.assignee.me")}, {Value: service.AssigneeNone, Label: l.T("work.assignee.none")}}
	for _, u := range people {
		names[u.ID] = u.Name
		if u.ID != a.UserID {
			p.Assignees = append(p.Assignees, option{Value: u.ID, Label: u.Name})
		}
	}
	for i := range p.Assignees {
		p.Assignees[i].Selected = p.Assignees[i].Value == p.Assignee
	}
	for field := range bad {
		p.Errors[field] = l.T("work.error." + field)
	}
	status := http.StatusOK
	page, err := s.svc.ListRequests(ctx, a, q)
	switch service.ErrorCode(err) {
	case "":
	case service.EINVALID:
		rename := func(f string) string {
			switch f {
			case "reference", "subject_email", "subject_phone":
				return "q"
			}
			return f
		}
		for f, m := range fieldMessages(l, s.cat, err, "work", rename) {
			p.Errors[f] = m
		}
		status = http.StatusUnprocessableEntity
	default:
		return s.fail(c, err)
	}
	if len(bad) > 0 {
		status = http.StatusUnprocessableEntity
	}
	words := newRowWords(l)
	for _, r := range page.Items {
		st, err := s.svc.Standing(r)
		if err != nil {
			return s.fail(c, err)
		}
		loc := s.svc.Location(r.Policy)
		received := r.ReceivedAt.In(loc)
		row := workRow{ID: r.ID, Reference: r.Reference, Type: words.t("work.type." + string(r.Type)),
			Status: words.t("work.status." + string(r.Status)), Queue: queueNames[r.QueueID],
			Due:         words.date(r.Due.Date.Year, r.Due.Date.Month, r.Due.Date.Day),
			Received:    words.date(received.Year(), received.Month(), received.Day()) + " " + received.Format("15:04"),
			Provisional: r.Due.Provisional, Standing: words.standing(st, r.Status.Terminal())}
		switch {
		case r.AssigneeID == "":
			row.Assignee = words.t("work.assignee.none")
		case r.AssigneeID == a.UserID:
			row.Assignee = words.t("work.assignee.me")
		case names[r.AssigneeID] != "":
			row.Assignee = names[r.AssigneeID]
		default:
			row.Assignee = words.t("work.assignee.other")
		}
		p.Rows = append(p.Rows, row)
		p.AnyProvisional = p.AnyProvisional || row.Provisional
	}
	if page.NextCursor != "" {
		next := c.QueryParams()
		next.Set("cursor", page.NextCursor)
		p.Next = "/console/?" + next.Encode()
	}
	return s.render(c, status, "work_list", p)
}

// rowWords writes the words of a list's rows once each: a page of 50 rows repeats few types, statuses, dates
// and counts, and each message is a template to execute.
type rowWords struct {
	l         *web.Localizer
	messages  map[string]string
	dates     map[calendar.Date]string
	standings map[service.Standing]standingView
}

func newRowWords(l *web.Localizer) *rowWords {
	return &rowWords{l: l, messages: map[string]string{}, dates: map[calendar.Date]string{},
		standings: map[service.Standing]standingView{}}
}

func (w *rowWords) t(key string) string {
	m, ok := w.messages[key]
	if !ok {
		m = w.l.T(key)
		w.messages[key] = m
	}
	return m
}

func (w *rowWords) date(y int, m time.Month, d int) string {
	k := calendar.Date{Year: y, Month: m, Day: d}
	s, ok := w.dates[k]
	if !ok {
		s = w.l.Date(y, m, d)
		w.dates[k] = s
	}
	return s
}

func (w *rowWords) standing(st service.Standing, closed bool) standingView {
	if closed {
		return standingView{}
	}
	st.Today = calendar.Date{} // the same words whatever the day
	v, ok := w.standings[st]
	if !ok {
		v = standingOf(w.l, st, false)
		w.standings[st] = v
	}
	return v
}
