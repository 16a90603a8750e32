package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// dashboardPage is the dashboard's view model.
type dashboardPage struct {
	Page
	dashboardData
	CanReadReports bool
}

// dashboard shows the backlog and the flow of requests (service.Dashboard: an officer's own queues, everything
// for admins and auditors) with the backups still to purge (service.OverduePurges).
func (s *Server) dashboard(c echo.Context) error {
	ctx, a := c.Request().Context(), s.actor(c)
	d, err := s.svc.Dashboard(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	overdue, err := s.svc.OverduePurges(ctx, a)
	if err != nil {
		return s.fail(c, err)
	}
	data, err := buildDashboard(s.cat.Localizer(s.lang(c)), d, overdueBySystem(overdue))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "dashboard", &dashboardPage{dashboardData: data,
		CanReadReports: a.Can(service.CanReadReports)})
}
