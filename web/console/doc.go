// Package console serves the officers' console at /console/: the pages privacy officers, the DPO, auditors and
// admins work in, in the same binary as the API, calling the same service use cases.
//
// How a page is made:
//
//   - Handlers are Echo handlers, func (s *Server) name(c echo.Context) error, registered in New (signing in,
//     the shell), in workRoutes (work_routes.go: the work list and the request pages) and in adminRoutes
//     (admin_routes.go: admin pages, the dashboard, the audit views). Routes given to those two functions are
//     behind the session middleware: only a signed-in person reaches them.
//   - In a handler, s.actor(c) is the signed-in person as the service's Actor, s.lang(c) her language,
//     s.render(c, status, "page", &data) writes templates/page.html inside layout.html, where data is a
//     pointer to a struct embedding Page (render fills Page: language, CSRF token, user, nav), s.fail(c, err)
//     answers a service error with the console's 404/403/409/422/429 page, and s.redirect(c, path) ends a
//     POST with 303 See Other (POST-redirect-GET).
//   - Each page template defines "title" and "content", and may define "head" (an extra style sheet from
//     /console/static/). Every string a person reads comes from messages/{en,zh-CN}/AREA.json, one file per
//     area, merged at start; a key defined twice, or missing in one language, stops the start.
//   - Every form that posts carries the hidden input "csrf" ({{.CSRF}}); the middleware refuses a POST
//     without the right one, or from another site (Sec-Fetch-Site, Origin). Form fields carry the API's JSON
//     field names.
//   - Pages work without JavaScript; the Content-Security-Policy allows scripts and styles from 'self' only
//     (no inline script, no style="" attributes: use classes in console.css or the area's own style sheet).
package console
