package console

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// workRoutes registers the officers' pages: the work list and the request pages. g is behind the session
// middleware.
func (s *Server) workRoutes(g *echo.Group) {
	g.GET("/", s.workList)
}

// workList is the officer's home.
func (s *Server) workList(c echo.Context) error {
	return s.render(c, http.StatusOK, "work", &Page{})
}
