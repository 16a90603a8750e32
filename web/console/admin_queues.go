package console

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// adminQueuesPage lists the queues with their members and routes, and creates one.
type adminQueuesPage struct {
	adminPage
	Queues   []queueView
	Officers []*service.User
	Locales  []string
	Types    []service.RequestType
	Channels []service.Channel
}

type queueView struct {
	*service.Queue
	MemberNames []string
	Types       []string
	Channels    []string
	IsMember    map[string]bool
	Routes      map[string]bool // "type:access", "channel:letter": the routes the queue has
}

func (s *Server) queuesPage(c echo.Context, p adminQueuesPage, status int) error {
	ctx, a := c.Request().Context(), s.actor(c)
	queues, err := s.svc.Queues(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	users, err := s.svc.Users(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
		if service.CanBeQueueMember(u) {
			p.Officers = append(p.Officers, u)
		}
	}
	for _, q := range queues {
		v := queueView{Queue: q, IsMember: map[string]bool{}, Routes: map[string]bool{}}
		for _, m := range q.Members {
			v.MemberNames = append(v.MemberNames, names[m])
			v.IsMember[m] = true
		}
		for _, t := range q.Routes.Types {
			v.Types = append(v.Types, string(t))
			v.Routes["type:"+string(t)] = true
		}
		for _, ch := range q.Routes.Channels {
			v.Channels = append(v.Channels, string(ch))
			v.Routes["channel:"+string(ch)] = true
		}
		p.Queues = append(p.Queues, v)
	}
	p.Locales = []string{"en", "zh-CN"}
	p.Types, p.Channels = service.RequestTypes, service.Channels
	return s.render(c, status, "admin_queues", &p)
}

// adminQueues lists the queues (service.Queues).
func (s *Server) adminQueues(c echo.Context) error {
	return s.queuesPage(c, adminQueuesPage{adminPage: newAdminPage(c, s.actor(c), service.CanManageQueues)}, http.StatusOK)
}

// queueInput reads the fields of POST /api/v1/queues a form carries: name, escalation_email, locale, members
// (repeated; present as a set when the form says members_set), routes.types and routes.channels (repeated),
// default. A field the form does not carry is left as it is, as in the API's PATCH.
func queueInput(c echo.Context) service.QueueInput {
	form, _ := c.FormParams()
	var in service.QueueInput
	str := func(name string) *string {
		if _, ok := form[name]; !ok {
			return nil
		}
		v := form.Get(name)
		return &v
	}
	in.Name, in.EscalationEmail, in.Locale = str("name"), str("escalation_email"), str("locale")
	if _, ok := form["members_set"]; ok {
		members := slices.DeleteFunc(slices.Clone(form["members"]), func(m string) bool { return m == "" })
		in.Members = &members
	}
	if _, ok := form["routes_set"]; ok {
		var r service.QueueRoutes
		for _, t := range form["routes.types"] {
			r.Types = append(r.Types, service.RequestType(t))
		}
		for _, ch := range form["routes.channels"] {
			r.Channels = append(r.Channels, service.Channel(ch))
		}
		in.Routes = &r
	}
	if v := str("default"); v != nil {
		d := *v == "true"
		in.Default = &d
	}
	return in
}

// adminCreateQueue creates a queue (service.CreateQueue).
func (s *Server) adminCreateQueue(c echo.Context) error {
	a := s.actor(c)
	if _, err := s.svc.CreateQueue(c.Request().Context(), a, queueInput(c)); err != nil {
		p := adminQueuesPage{adminPage: newAdminPage(c, a, service.CanManageQueues)}
		form, _ := c.FormParams()
		if s.adminFormFailed(c, &p.adminPage, err, form, "name", "escalation_email", "locale") {
			return s.queuesPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/queues", "queue_created")
}

// adminUpdateQueue changes what the form carries of a queue (service.UpdateQueue, as PATCH /api/v1/queues/{id}).
func (s *Server) adminUpdateQueue(c echo.Context) error {
	a := s.actor(c)
	if _, err := s.svc.UpdateQueue(c.Request().Context(), a, c.Param("id"), queueInput(c)); err != nil {
		p := adminQueuesPage{adminPage: newAdminPage(c, a, service.CanManageQueues)}
		form, _ := c.FormParams()
		if s.adminFormFailed(c, &p.adminPage, err, form) {
			return s.queuesPage(c, p, http.StatusUnprocessableEntity)
		}
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/queues", "queue_updated")
}

// adminDeleteQueue deletes a queue (service.DeleteQueue; refused while it holds open requests).
func (s *Server) adminDeleteQueue(c echo.Context) error {
	if err := s.svc.DeleteQueue(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.fail(c, err)
	}
	return s.adminDone(c, "/console/admin/queues", "queue_deleted")
}
