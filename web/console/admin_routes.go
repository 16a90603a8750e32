package console

import "github.com/labstack/echo/v4"

// adminRoutes registers the admin pages, the dashboard and the audit views. g is behind the session middleware.
// Nothing here decides who may do what: each handler calls the service's use case, which authorises (and
// audits) as it does for the API; a page only leaves out the forms its reader's role may not use.
func (s *Server) adminRoutes(g *echo.Group) {
	g.GET("/dashboard", s.dashboard)

	g.GET("/audit/", s.auditIndex)
	g.GET("/audit/verify", s.auditVerify)
	g.GET("/audit/events", s.auditEvents)
	g.GET("/audit/report", s.auditReport)
	g.GET("/audit/report.csv", s.auditReportCSV)

	g.GET("/admin/", s.adminIndex)
	g.GET("/admin/users", s.adminUsers)
	g.POST("/admin/users", s.adminCreateUser)
	g.POST("/admin/users/:id/invitations", s.adminInviteUser)
	g.POST("/admin/users/:id/role", s.adminChangeRole)
	g.POST("/admin/users/:id/deactivate", s.adminDeactivateUser)
	g.POST("/admin/users/:id/reactivate", s.adminReactivateUser)
	g.GET("/admin/tokens", s.adminTokens)
	g.POST("/admin/tokens", s.adminIssueToken)
	g.POST("/admin/tokens/:id/revoke", s.adminRevokeToken)
	g.GET("/admin/queues", s.adminQueues)
	g.POST("/admin/queues", s.adminCreateQueue)
	g.POST("/admin/queues/:id", s.adminUpdateQueue)
	g.POST("/admin/queues/:id/delete", s.adminDeleteQueue)
	g.GET("/admin/backups", s.adminBackups)
	g.POST("/admin/backups", s.adminCreateBackup)
	g.POST("/admin/backups/:id/restores", s.adminRecordRestore)
	g.GET("/admin/calendars", s.adminCalendars)
	g.POST("/admin/calendars/:name/years", s.adminLoadCalendarYear)
	g.GET("/admin/jobs", s.adminJobs)
	g.POST("/admin/jobs/:name/runs", s.adminRunJob)
	g.GET("/admin/outbox", s.adminOutbox)
	g.POST("/admin/outbox/:id/retry", s.adminRetryMail)
	g.GET("/admin/allowed-hosts", s.adminHosts)
	g.POST("/admin/allowed-hosts", s.adminAddHost)
	g.POST("/admin/allowed-hosts/:host/delete", s.adminRemoveHost)
	g.GET("/admin/settings", s.adminSettings)
	g.POST("/admin/settings/admin-second-factor", s.adminSetSecondFactor)
}
