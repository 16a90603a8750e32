package console

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// requestPage is a request's page: where it stands, its history and notes, and the forms of exactly the actions
// the service allows the signed-in person in its state (service.Actions).
type requestPage struct {
	Page
	ID, Reference, Type, Status, Channel, Received, Due, Queue, Assignee string
	TypeCode, StatusCode                                                 string
	Provisional, Closed                                                  bool
	Standing                                                             standingView
	Actions                                                              service.Actions
	Transitions                                                          []transitionView
	HoldReasons, DenialReasons, Outcomes, Colleagues, Queues             []option
	// Me is the signed-in officer's ID, which the claim form assigns the request to.
	Me      string
	Events  []historyRow
	Notes   []historyRow
	Exports []string
	// Clock is how much of the deadline's count is used: "8 of 15 working days used".
	Clock string
	// Corrections are the indexes of a rectification's corrections, each of which the reply gives an outcome.
	Corrections []correctionRow
	// FollowUp: the reply may open the deletion an account cancellation leads to.
	FollowUp bool
	Personal *personalView // after "Show personal data"
	formState
	// UploadAction is the export form's action, with the CSRF token in its URL (see formToken).
	UploadAction string
}

// correctionRow is one correction of a rectification in the reply form: its index (of the form's names) and its
// number as people count.
type correctionRow struct{ Index, N int }

// transitionView is one button of the transitions: the status it moves to, and whether it asks for a reason.
type transitionView struct {
	To, Label   string
	NeedsReason bool
}

// historyRow is one line of the history or of the notes.
type historyRow struct {
	At, Who, Text string
}

// personalView is the subject's personal data, shown after an audited read.
type personalView struct {
	Name, Email, Phone, AccountID, Explanation, Ground, Format, Recipient string
	Minor                                                                 bool
	Guardian                                                              string
	Corrections                                                           []service.Correction
	Categories, Purposes                                                  []string
	Reply                                                                 string
}

// requestPage shows a request without its subject's personal data.
func (s *Server) requestPage(c echo.Context) error {
	return s.showRequest(c, http.StatusOK, nil, formState{})
}

// showPersonalData shows the page with the subject's personal data: an audited read (request.read), as the
// API's GET /api/v1/requests/{id}. A POST, so that no link or prefetch reads it.
func (s *Server) showPersonalData(c echo.Context) error {
	r, err := s.svc.Request(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	return s.showRequest(c, http.StatusOK, r, formState{})
}

// showRequest renders the request page; full is the request read with its personal data, or nil; fs is the
// state of a refused form.
func (s *Server) showRequest(c echo.Context, status int, full *service.Request, fs formState) error {
	ctx, a, id := c.Request().Context(), s.actor(c), c.Param("id")
	l := s.cat.Localizer(s.lang(c))
	v, err := s.svc.RequestView(ctx, a, id)
	if err != nil {
		return s.fail(c, err)
	}
	r := v.Request
	p := &requestPage{ID: r.ID, Reference: r.Reference, TypeCode: string(r.Type), StatusCode: string(r.Status),
		Type: l.T("work.type." + string(r.Type)), Status: l.T("work.status." + string(r.Status)),
		Channel: l.T("work.channel." + string(r.Channel)), Received: timeIn(l, r.ReceivedAt, v.Location),
		Due:         dateOf(l, r.Due.Date.Year, r.Due.Date.Month, r.Due.Date.Day),
		Provisional: r.Due.Provisional, Closed: r.Status.Terminal(), Actions: v.Actions, Me: a.UserID,
		formState: fs, UploadAction: "/console/requests/" + r.ID + "/exports?csrf=" + s.csrfToken(c)}
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	p.Standing = standingOf(l, v.Standing, p.Closed)
	unit := "work.clock.days"
	if v.WorkingDays {
		unit = "work.clock.working_days"
	}
	p.Clock = l.T(unit, "Used", v.DaysUsed, "Budget", v.Budget)
	for i := range v.Corrections {
		p.Corrections = append(p.Corrections, correctionRow{Index: i, N: i + 1})
	}
	p.FollowUp = r.Type == service.TypeAccountCancellation
	for _, to := range v.Actions.Transitions {
		if to == service.StatusOnHold {
			continue // its own form, with the coded reason
		}
		label := "work.move." + string(to)
		if r.Status == service.StatusOnHold && to == service.StatusInProgress {
			label = "work.move.resume"
		}
		p.Transitions = append(p.Transitions, transitionView{To: string(to), Label: l.T(label),
			NeedsReason: r.Status == service.StatusUnverified})
	}
	for _, reason := range service.HoldReasons {
		p.HoldReasons = append(p.HoldReasons, option{Value: reason, Label: l.T("work.hold." + reason),
			Selected: p.Values["reason"] == reason})
	}
	for _, reason := range service.DenialReasons {
		p.DenialReasons = append(p.DenialReasons, option{Value: string(reason), Label: l.T("work.denial." + string(reason)),
			Selected: p.Values["denial_reason"] == string(reason)})
	}
	p.Outcomes = statusOptions(l, p.Values["outcome"], service.StatusFulfilled, service.StatusDenied)

	queues, err := s.svc.Queues(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	for _, q := range queues {
		if q.ID == r.QueueID {
			p.Queue = q.Name
			continue
		}
		p.Queues = append(p.Queues, option{Value: q.ID, Label: q.Name, Selected: p.Values["queue_id"] == q.ID})
	}
	people, err := s.svc.Colleagues(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	names := map[string]string{}
	for _, u := range people {
		names[u.ID] = u.Name
		if slices.Contains(u.QueueIDs, r.QueueID) {
			chosen := u.ID == r.AssigneeID
			if v, sent := p.Values["assignee_id"]; sent && p.Form == "assignment" {
				chosen = v == u.ID
			}
			p.Colleagues = append(p.Colleagues, option{Value: u.ID, Label: u.Name, Selected: chosen})
		}
	}
	who := func(id string) string {
		switch {
		case id == a.UserID:
			return l.T("work.who.you")
		case names[id] != "":
			return names[id]
		case id == "" || id == "system" || id == service.SystemActor.UserID:
			return l.T("work.who.system")
		}
		return l.T("work.who.other")
	}
	p.Assignee = l.T("work.assignee.none")
	if r.AssigneeID != "" {
		p.Assignee = who(r.AssigneeID)
	}

	events, err := s.svc.RequestEvents(ctx, a, r.ID)
	if err != nil {
		return s.fail(c, err)
	}
	for _, e := range events {
		p.Events = append(p.Events, historyRow{At: timeIn(l, e.At, v.Location), Who: who(e.ActorID), Text: eventWords(l, s.cat, e)})
	}
	if full != nil { // notes may hold personal data: read (an audited read) with it
		notes, err := s.svc.Notes(ctx, a, r.ID)
		if err != nil {
			return s.fail(c, err)
		}
		for _, n := range notes {
			p.Notes = append(p.Notes, historyRow{At: timeIn(l, n.CreatedAt, v.Location), Who: who(n.AuthorID), Text: n.Body})
		}
	}
	if r.Type == service.TypeAccess || r.Type == service.TypePortability {
		exports, err := s.svc.Exports(ctx, a, r.ID)
		if err != nil {
			return s.fail(c, err)
		}
		for _, e := range exports {
			p.Exports = append(p.Exports, e.Name)
		}
	}
	if full != nil {
		p.Personal = personalOf(l, full)
	}
	return s.render(c, status, "work_request", p)
}

// personalOf is the subject's personal data of a request read through the audited path.
func personalOf(l *web.Localizer, r *service.Request) *personalView {
	d := r.Details
	pv := &personalView{Name: r.Subject.Name, Email: r.Subject.Email, Phone: r.Subject.Phone,
		AccountID: r.Subject.AccountID, Minor: r.Subject.IsMinor, Explanation: d.Explanation, Format: d.Format,
		Corrections: d.Corrections, Categories: d.Categories, Purposes: d.Purposes, Reply: r.ReplyMessage}
	if g := r.Subject.Guardian; g != nil {
		pv.Guardian = strings.TrimSpace(g.Name + " <" + g.Email + "> " + g.Relationship)
	}
	if d.Ground != "" {
		pv.Ground = l.T("work.ground." + string(d.Ground))
	}
	if d.Recipient != nil {
		pv.Recipient = strings.TrimSpace(d.Recipient.Name + " " + d.Recipient.Endpoint)
	}
	if pv.AccountID == "" {
		pv.AccountID = d.AccountID
	}
	return pv
}

// eventWords writes an audit event in the page's language, its data (references, codes, never personal data)
// in the message's placeholders, statuses and reasons by their labels. An action the catalogue has no words for
// shows its code.
func eventWords(l *web.Localizer, cat *web.Catalogue, e *service.Event) string {
	key := "work.event." + e.Action
	if !cat.Has(key) {
		return e.Action
	}
	data := map[string]string{"reason": "", "denial_reason": ""} // optional in the messages' {{if}}s
	for k, v := range e.Data {
		data[k] = v
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []any
	for _, k := range keys {
		v := data[k]
		switch k {
		case "from", "to", "outcome":
			if e.Action == "request.transitioned" || e.Action == "request.replied" {
				v = l.T("work.status." + v)
			}
		case "reason":
			if v != "" && cat.Has("work.hold."+v) {
				v = l.T("work.hold." + v)
			}
		case "denial_reason":
			if v != "" {
				v = l.T("work.denial." + v)
			}
		case "by":
			v = l.T("work.search." + v)
		}
		args = append(args, k, v)
	}
	return l.T(key, args...)
}
