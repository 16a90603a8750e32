package console

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/web"
)

// newRequestPage is the form of a request received by letter, phone, e-mail or in person, filed by an officer:
// the privacy center's fields (the API's JSON paths), plus the channel, the receipt date and the policy.
type newRequestPage struct {
	Page
	Types, Channels, Grounds, Policies, Locales []option
	Corrections                                 []int
	formState
}

// CorrectionFields are the inputs of each correction row.
func (p *newRequestPage) CorrectionFields() []string {
	return []string{"field", "current_value", "corrected_value"}
}

// formIDRe is a served filing form's ID: 16 random bytes in hex.
var formIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// officeChannels are the channels an officer files for; web forms file themselves.
var officeChannels = []service.Channel{service.ChannelLetter, service.ChannelPhone, service.ChannelEmail, service.ChannelInPerson}

func (s *Server) newRequestForm(c echo.Context, fs formState) (*newRequestPage, error) {
	l := s.cat.Localizer(s.lang(c))
	if fs.Values == nil {
		fs.Values = map[string]string{"channel": string(service.ChannelLetter)}
	}
	if !formIDRe.MatchString(fs.Values["form_id"]) {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		fs.Values["form_id"] = hex.EncodeToString(b)
	}
	p := &newRequestPage{formState: fs}
	for _, t := range service.RequestTypes {
		p.Types = append(p.Types, option{Value: string(t), Label: l.T("work.type." + string(t)), Selected: fs.Values["type"] == string(t)})
	}
	for _, ch := range officeChannels {
		p.Channels = append(p.Channels, option{Value: string(ch), Label: l.T("work.channel." + string(ch)), Selected: fs.Values["channel"] == string(ch)})
	}
	for _, g := range service.DeletionGrounds {
		p.Grounds = append(p.Grounds, option{Value: string(g), Label: l.T("work.ground." + string(g)), Selected: fs.Values["details.ground"] == string(g)})
	}
	policies, err := s.svc.Policies(c.Request().Context(), s.actor(c))
	if err != nil {
		return nil, err
	}
	for _, pol := range policies {
		p.Policies = append(p.Policies, option{Value: pol.Name, Label: pol.Name, Selected: fs.Values["policy"] == pol.Name})
	}
	for _, lang := range web.Languages {
		p.Locales = append(p.Locales, option{Value: lang, Label: l.T("work.locale." + lang), Selected: fs.Values["locale"] == lang})
	}
	for i := range web.CorrectionRows {
		p.Corrections = append(p.Corrections, i)
	}
	return p, nil
}

// newRequestPage shows the blank form.
func (s *Server) newRequestPage(c echo.Context) error {
	p, err := s.newRequestForm(c, formState{})
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "work_new", p)
}

// fileRequest files the form's request through the same use case and validation as POST /api/v1/requests,
// and shows it; a broken rule shows the form again with the message beside the field.
func (s *Server) fileRequest(c echo.Context) error {
	ctx, a := c.Request().Context(), s.actor(c)
	form, err := c.FormParams()
	if err != nil {
		return s.fail(c, service.Invalid(service.FieldError{Field: "type", Message: "the form could not be read"}))
	}
	l := s.cat.Localizer(s.lang(c))
	cmd, rows := web.FilingFromForm(form, l.Lang)
	cmd.Channel = service.Channel(form.Get("channel"))
	cmd.Policy = form.Get("policy")
	cmd.Locale = form.Get("locale")
	var bad []service.FieldError
	if raw := strings.TrimSpace(form.Get("received_at")); raw != "" {
		policy := cmd.Policy
		if policy == "" {
			policy = service.DefaultPolicy
		}
		loc := s.svc.Location(policy)
		t, err := time.ParseInLocation("2006-01-02T15:04", raw, loc)
		if err != nil {
			bad = append(bad, service.FieldError{Field: "received_at", Message: "must be a date and time"})
		} else {
			cmd.ReceivedAt = &t
		}
	}
	if cmd.Channel == service.ChannelWebForm {
		bad = append(bad, service.FieldError{Field: "channel", Message: "web forms file themselves"})
	}
	// The served form's ID makes its filing idempotent: sent twice (a double click, the back button), it files once.
	if id := form.Get("form_id"); formIDRe.MatchString(id) {
		cmd.IdempotencyKey = "console-form-" + id
	}
	var r *service.Request
	if len(bad) > 0 {
		err = service.Invalid(bad...)
	} else {
		r, _, err = s.svc.FileRequest(ctx, a, cmd)
	}
	switch service.ErrorCode(err) {
	case "":
		return s.redirect(c, "/console/requests/"+r.ID)
	case service.EINVALID:
		rename := func(f string) string { return web.FormField(f, rows) }
		fs := formState{Values: valuesOf(form), Errors: fieldMessages(l, s.cat, err, "work", rename)}
		p, perr := s.newRequestForm(c, fs)
		if perr != nil {
			return s.fail(c, perr)
		}
		return s.render(c, http.StatusUnprocessableEntity, "work_new", p)
	}
	return s.fail(c, err)
}
