package console

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// loginPage is the sign-in form. A person already signed in goes on to the console.
type loginPage struct {
	Page
	Next   string
	Email  string
	Errors map[string]string // field -> message key
	Failed bool
}

func (s *Server) loginPage(c echo.Context) error {
	next := safeBack(c.QueryParam("next"))
	if s.signedIn(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.render(c, http.StatusOK, "login", &loginPage{Next: next})
}
