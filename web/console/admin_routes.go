package console

import "github.com/labstack/echo/v4"

// adminRoutes registers the admin pages, the dashboard and the audit views. g is behind the session middleware.
func (s *Server) adminRoutes(g *echo.Group) {}
