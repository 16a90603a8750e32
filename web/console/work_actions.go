package console

import (
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
)

// Each action reads its form (the API's field names), calls the same use case as the API's handler, and ends
// with 303 to the request's page; a refusal shows the page again: a broken rule with its message beside the
// field (422), a state that does not allow it as a notice (409); anything else as the console's error page.

// done answers an action's outcome.
func (s *Server) done(c echo.Context, form string, err error) error {
	id := c.Param("id")
	switch service.ErrorCode(err) {
	case "":
		return s.redirect(c, "/console/requests/"+id)
	case service.EINVALID:
		l := s.cat.Localizer(s.lang(c))
		fs := formState{Form: form, Values: valuesOf(c.Request().PostForm), Errors: fieldMessages(l, s.cat, err, "work", replyField)}
		return s.showRequest(c, http.StatusUnprocessableEntity, nil, fs)
	case service.ECONFLICT:
		l := s.cat.Localizer(s.lang(c))
		fs := formState{Form: form, Values: valuesOf(c.Request().PostForm),
			Notice: l.T("work.conflict", "Detail", service.ErrorMessage(err))}
		return s.showRequest(c, http.StatusConflict, nil, fs)
	}
	return s.fail(c, err)
}

// postTransition moves the request: to, and reason (a coded hold reason, or why it was verified by hand) and
// message (the question to the subject of a hold awaiting her).
func (s *Server) postTransition(c echo.Context) error {
	_, err := s.svc.Transition(c.Request().Context(), s.actor(c), c.Param("id"), service.TransitionCommand{
		To: service.Status(c.FormValue("to")), Reason: strings.TrimSpace(c.FormValue("reason")),
		Message: strings.TrimSpace(c.FormValue("message"))})
	form := "transitions"
	if c.FormValue("to") == string(service.StatusOnHold) {
		form = "hold"
	}
	return s.done(c, form, err)
}

// postAssignment assigns the request: assignee_id, empty to unassign; claiming is assigning to oneself.
func (s *Server) postAssignment(c echo.Context) error {
	_, err := s.svc.Assign(c.Request().Context(), s.actor(c), c.Param("id"),
		service.AssignCommand{AssigneeID: c.FormValue("assignee_id")})
	return s.done(c, "assignment", err)
}

// postReply records the reply: outcome, denial_reason (coded), message, follow_up_deletion (a fulfilled
// account cancellation), and for a rectification each correction's outcome and reason (corrections.N.outcome,
// corrections.N.reason: the API's corrections[N] with index N).
func (s *Server) postReply(c echo.Context) error {
	cmd := service.ReplyCommand{Outcome: service.Status(c.FormValue("outcome")),
		DenialReason: service.DenialReason(c.FormValue("denial_reason")), Message: strings.TrimSpace(c.FormValue("message")),
		FollowUpDeletion: c.FormValue("follow_up_deletion") == "true"}
	for i := 0; i < maxCorrectionRows; i++ {
		p := "corrections." + strconv.Itoa(i) + "."
		outcome, reason := c.FormValue(p+"outcome"), strings.TrimSpace(c.FormValue(p+"reason"))
		if outcome == "" && reason == "" {
			continue
		}
		cmd.Corrections = append(cmd.Corrections, service.CorrectionOutcome{Index: i, Outcome: outcome, Reason: reason})
	}
	_, err := s.svc.Reply(c.Request().Context(), s.actor(c), c.Param("id"), cmd)
	return s.done(c, "reply", err)
}

// maxCorrectionRows bounds the correction outcomes a reply form is read for.
const maxCorrectionRows = 50

// postNote adds an internal note: body.
func (s *Server) postNote(c echo.Context) error {
	_, err := s.svc.AddNote(c.Request().Context(), s.actor(c), c.Param("id"), strings.TrimSpace(c.FormValue("body")))
	return s.done(c, "notes", err)
}

// postMerge closes the request as a duplicate of into: a request's ID or, as officers know them, its reference.
func (s *Server) postMerge(c echo.Context) error {
	ctx, a := c.Request().Context(), s.actor(c)
	into := strings.TrimSpace(c.FormValue("into"))
	if referenceRe.MatchString(into) {
		ref := strings.ToUpper(into)
		page, err := s.svc.ListRequests(ctx, a, service.ListRequestsQuery{Reference: &ref, Limit: 1})
		if err != nil {
			return s.done(c, "merge", err)
		}
		if len(page.Items) == 0 {
			return s.done(c, "merge", service.Invalid(service.FieldError{Field: "into", Message: "no such request"}))
		}
		into = page.Items[0].ID
	}
	_, err := s.svc.Merge(ctx, a, c.Param("id"), into)
	return s.done(c, "merge", err)
}

// postExtension extends the deadline: reason (told to the subject), count (empty: all the policy still allows).
func (s *Server) postExtension(c echo.Context) error {
	cmd := service.ExtendCommand{Reason: strings.TrimSpace(c.FormValue("reason"))}
	if v := strings.TrimSpace(c.FormValue("count")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return s.done(c, "extensions", service.Invalid(service.FieldError{Field: "count", Message: "must be a whole number"}))
		}
		cmd.Count = n
	}
	_, err := s.svc.Extend(c.Request().Context(), s.actor(c), c.Param("id"), cmd)
	return s.done(c, "extensions", err)
}

// postErasure records the erasure of a deletion: executed_at (a date and time in the request's policy's zone),
// systems (comma-separated names of the live systems).
func (s *Server) postErasure(c echo.Context) error {
	ctx, a, id := c.Request().Context(), s.actor(c), c.Param("id")
	v, err := s.svc.RequestView(ctx, a, id)
	if err != nil {
		return s.fail(c, err)
	}
	var cmd service.ErasureCommand
	if raw := strings.TrimSpace(c.FormValue("executed_at")); raw != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", raw, v.Location)
		if err != nil {
			return s.done(c, "erasure", service.Invalid(service.FieldError{Field: "executed_at", Message: "must be a date and time"}))
		}
		cmd.ExecutedAt = t
	}
	for _, sys := range strings.Split(c.FormValue("systems"), ",") {
		if sys = strings.TrimSpace(sys); sys != "" {
			cmd.Systems = append(cmd.Systems, sys)
		}
	}
	_, err = s.svc.RecordErasure(ctx, a, id, cmd)
	return s.done(c, "erasure", err)
}

// postQueue moves the request to another queue: queue_id.
func (s *Server) postQueue(c echo.Context) error {
	_, err := s.svc.MoveRequest(c.Request().Context(), s.actor(c), c.Param("id"),
		service.MoveCommand{QueueID: c.FormValue("queue_id")})
	return s.done(c, "queue", err)
}

// maxUploadBody bounds an export upload's body: the file and the multipart framing around it.
const maxUploadBody = service.MaxExportSize + 64<<10

// postExport attaches an export file (multipart part "file"), with the API's limits: the right to attach is
// checked before a byte of the body is read, only so many uploads are read at once, at most
// service.MaxExportSize bytes.
func (s *Server) postExport(c echo.Context) error {
	ctx, a, id := c.Request().Context(), s.actor(c), c.Param("id")
	if err := s.svc.CheckExportTarget(ctx, a, id); err != nil {
		return s.done(c, "exports", err)
	}
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		return s.fail(c, service.Errorf(service.EUNAVAILABLE, "too many uploads are being received"))
	}
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUploadBody)
	mr, err := req.MultipartReader()
	if err != nil {
		return s.done(c, "exports", service.Invalid(service.FieldError{Field: "file", Message: "is required"}))
	}
	for {
		part, err := mr.NextPart()
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return s.done(c, "exports", service.Invalid(service.FieldError{Field: "file", Message: "is required"}))
		case errors.As(err, &tooBig):
			return s.errorPage(c, http.StatusRequestEntityTooLarge, "error.too_large", "")
		case err != nil:
			return s.done(c, "exports", service.Invalid(service.FieldError{Field: "file", Message: "could not be read"}))
		}
		if part.FormName() != "file" {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, service.MaxExportSize+1))
		if errors.As(err, &tooBig) {
			return s.errorPage(c, http.StatusRequestEntityTooLarge, "error.too_large", "")
		} else if err != nil {
			return s.done(c, "exports", service.Invalid(service.FieldError{Field: "file", Message: "could not be read"}))
		}
		_, err = s.svc.AttachExport(ctx, a, id, part.FileName(), content)
		return s.done(c, "exports", err)
	}
}

// correctionRe finds a correction's index in a service field path.
var correctionRe = regexp.MustCompile(`^corrections\[(\d+)\](\.(outcome|reason|index))?$`)

// replyField turns a reply's service field path (corrections[1].reason) into the form's name
// (corrections.1.reason); a correction without an outcome is said beside its outcome.
func replyField(field string) string {
	m := correctionRe.FindStringSubmatch(field)
	if m == nil {
		return field
	}
	switch m[3] {
	case "", "index":
		return "corrections." + m[1] + ".outcome"
	}
	return "corrections." + m[1] + "." + m[3]
}
