package console

import (
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// workRoutes registers the officers' pages: the work list, a request's page and each of its actions (posted
// with the API's field names, answered 303 to the request's page), and filing a request received by letter or
// phone. g is behind the session middleware.
func (s *Server) workRoutes(g *echo.Group) {
	g.GET("/", s.workList)
	g.GET("/requests/new", s.newRequestPage)
	g.POST("/requests/new", s.fileRequest)
	g.GET("/requests/:id", s.requestPage)
	g.POST("/requests/:id/personal-data", s.showPersonalData)
	g.POST("/requests/:id/transitions", s.postTransition)
	g.POST("/requests/:id/assignment", s.postAssignment)
	g.POST("/requests/:id/reply", s.postReply)
	g.POST("/requests/:id/notes", s.postNote)
	g.POST("/requests/:id/merge", s.postMerge)
	g.POST("/requests/:id/extensions", s.postExtension)
	g.POST("/requests/:id/exports", s.postExport)
	g.POST("/requests/:id/erasure", s.postErasure)
	g.POST("/requests/:id/queue", s.postQueue)
}

// option is one choice of a select: its value and its label in the page's language.
type option struct {
	Value, Label string
	Selected     bool
}

// standingView is how a request stands against its deadline, as a row or the request page shows it: a class
// for the colour and words that say the same, so that colour is never the only sign.
type standingView struct {
	Class string // overdue, soon, paused, ok; "" for a closed request
	Text  string // "3 working days left", "2 working days overdue", "Clock paused"
}

// standingOf puts a request's Standing into words.
func standingOf(l *web.Localizer, st service.Standing, closed bool) standingView {
	switch {
	case closed:
		return standingView{}
	case st.Paused:
		return standingView{Class: "paused", Text: l.T("work.standing.paused", "N", st.DaysLeft)}
	case st.Overdue:
		return standingView{Class: "overdue", Text: l.T("work.standing.overdue", "N", st.DaysLate)}
	case st.DueSoon:
		return standingView{Class: "soon", Text: l.T("work.standing.left", "N", st.DaysLeft)}
	}
	return standingView{Class: "ok", Text: l.T("work.standing.left", "N", st.DaysLeft)}
}

// dateOf writes a civil date in the page's language.
func dateOf(l *web.Localizer, y int, m time.Month, d int) string { return l.Date(y, m, d) }

// timeIn writes an instant as a date and time of the zone (the request's policy's).
func timeIn(l *web.Localizer, t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return l.Date(t.Year(), t.Month(), t.Day()) + " " + t.Format("15:04")
}

// statusOptions are the statuses as choices, labelled.
func statusOptions(l *web.Localizer, selected string, with ...service.Status) []option {
	var out []option
	for _, st := range with {
		out = append(out, option{Value: string(st), Label: l.T("work.status." + string(st)), Selected: string(st) == selected})
	}
	return out
}

// formState is what a page's forms show again after a refused post: which form, its values, and each field's
// message; or a conflict's notice.
type formState struct {
	Form   string            // the action whose form was refused: transitions, reply...
	Values map[string]string // what was sent, by the API's field name
	Errors map[string]string // field -> message in the page's language
	Notice string            // a conflict: what the state of the request does not allow
}

// valuesOf keeps the first value of each posted field, for the form shown again.
func valuesOf(form url.Values) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		if k != "csrf" && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// Err is the message of a field of form, if that form was the one refused.
func (f formState) Err(form, field string) string {
	if f.Form != form {
		return ""
	}
	return f.Errors[field]
}

// Val is the value sent in a field of form, if that form was the one refused.
func (f formState) Val(form, field string) string {
	if f.Form != form {
		return ""
	}
	return f.Values[field]
}
