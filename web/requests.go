package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"

	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/service"
)

// homePage offers the six rights.
type homePage struct {
	base
	Types []option
}

type option struct {
	Value, Label, Lead string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	b := s.newBase(r, "site.title")
	p := homePage{base: b}
	for _, t := range service.RequestTypes {
		p.Types = append(p.Types, option{Value: string(t), Label: b.L.T("type." + string(t)), Lead: b.L.T("type." + string(t) + ".lead")})
	}
	s.render(w, r, http.StatusOK, "home", p)
}

// formPage is the form of one right, blank or with what the person sent and what was wrong with it.
type formPage struct {
	base
	Type      string
	CSRF      string
	Notice    string // a refusal that did not lose the person's input (form expired, sent too fast)
	Values    map[string]string
	Checked   map[string]bool
	Errors    map[string]string // field (the API's path, dotted) -> message
	ErrorList []fieldError
	Grounds   []option
	Purposes  []option
	// Corrections are the indexes of the correction rows a rectification offers.
	Corrections []int
}

type fieldError struct {
	Field, ID, Message string
}

// correctionRows is how many corrections the form offers; a person who needs more files a second request.
const correctionRows = CorrectionRows

// CorrectionRows is how many correction rows a filing form offers (details.corrections.0 to .2).
const CorrectionRows = 3

func (s *Server) formFor(w http.ResponseWriter, r *http.Request, typ string) (formPage, bool) {
	if !slices.Contains(service.RequestTypes, service.RequestType(typ)) {
		return formPage{}, false
	}
	b := s.newBase(r, "form.heading", "Type", "")
	b.Title = b.L.T("form.heading", "Type", b.L.T("type."+typ))
	p := formPage{base: b, Type: typ, CSRF: s.tokens.issue(w, r), Values: map[string]string{},
		Checked: map[string]bool{}, Errors: map[string]string{}}
	for _, g := range service.DeletionGrounds {
		p.Grounds = append(p.Grounds, option{Value: string(g), Label: b.L.T("ground." + string(g))})
	}
	for _, pu := range s.brand.ConsentPurposes {
		label := pu.Labels[b.L.Lang]
		if label == "" {
			label = pu.Code
		}
		p.Purposes = append(p.Purposes, option{Value: pu.Code, Label: label})
	}
	for i := range correctionRows {
		p.Corrections = append(p.Corrections, i)
	}
	return p, true
}

func (s *Server) newRequest(w http.ResponseWriter, r *http.Request) {
	p, ok := s.formFor(w, r, r.URL.Query().Get("type"))
	if !ok {
		http.Redirect(w, r, "/privacy/", http.StatusSeeOther)
		return
	}
	p.Values["details.format"] = "json"
	s.render(w, r, http.StatusOK, "form", p)
}

// maxFormBody bounds a filing form (the API's own limit for a filing's JSON).
const maxFormBody = 64 << 10

// honeypotField is a field people never see (hidden by the style sheet) and programs fill in.
const honeypotField = "website"

// createRequest files the form's request: the same command, validation and limits as the API's intake.
func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		s.refuse(w, r, status, "refused.csrf")
		return
	}
	if !s.filings.allow(s.realIP(r)) {
		w.Header().Set("Retry-After", "60")
		s.refuse(w, r, http.StatusTooManyRequests, "refused.rate")
		return
	}
	typ := r.PostForm.Get("type")
	p, ok := s.formFor(w, r, typ)
	if !ok {
		s.refuse(w, r, http.StatusUnprocessableEntity, "refused.csrf")
		return
	}
	for k, v := range r.PostForm {
		if k != "csrf" && k != honeypotField && len(v) > 0 {
			p.Values[k] = v[0]
			for _, one := range v {
				p.Checked[k+"="+one] = true
			}
		}
	}
	if r.PostForm.Get(honeypotField) != "" {
		s.refuse(w, r, http.StatusUnprocessableEntity, "refused.honeypot")
		return
	}
	issued, err := s.tokens.check(r, r.PostForm.Get("csrf"))
	if err != nil {
		p.Notice = p.L.T("refused.csrf")
		s.render(w, r, http.StatusForbidden, "form", p)
		return
	}
	if s.now().Sub(issued) < s.minFill {
		p.Notice = p.L.T("refused.too_fast")
		s.render(w, r, http.StatusUnprocessableEntity, "form", p)
		return
	}
	cmd, rows := commandFromForm(r, p.L.Lang)
	// The form's token names this served form: sent twice (a double click, the back button), it files once.
	formKey := sha256.Sum256([]byte(r.PostForm.Get("csrf")))
	req, err := s.svc.FileFromPrivacyCenter(r.Context(), cmd, "form-"+hex.EncodeToString(formKey[:16]))
	switch service.ErrorCode(err) {
	case "":
	case service.EINVALID:
		for _, fe := range service.ErrorFields(err) {
			field := formField(fe.Field, rows)
			key := errorKey(field, s.cat)
			if field == "subject.guardian" { // a minor without a guardian, or a guardian without a minor
				field = "subject.guardian.name"
				if !cmd.Subject.IsMinor {
					field = "subject.is_minor"
				}
			}
			if _, seen := p.Errors[field]; seen {
				continue
			}
			if field == "subject.is_minor" {
				key = "error.subject.is_minor"
			}
			msg := p.L.T(key)
			p.Errors[field] = msg
			p.ErrorList = append(p.ErrorList, fieldError{Field: field, ID: fieldID(field), Message: msg})
		}
		s.render(w, r, http.StatusUnprocessableEntity, "form", p)
		return
	case service.ETOOMANY:
		s.refuse(w, r, http.StatusTooManyRequests, "refused.subject_cap")
		return
	case service.ECONFLICT: // this served form filed a request already, with other content
		s.refuse(w, r, http.StatusConflict, "refused.form_used")
		return
	default:
		s.log.Error().Err(err).Msg("file request from the privacy center")
		s.refuse(w, r, http.StatusInternalServerError, "refused.error")
		return
	}
	span := s.svc.DueSpanOf(req)
	receipt, _ := json.Marshal(receipt{Reference: req.Reference, Type: string(req.Type), Year: req.Due.Date.Year,
		Month: int(req.Due.Date.Month), Day: req.Due.Date.Day, Count: span.Count, Unit: string(span.Unit),
		Provisional: req.Due.Provisional, Minor: req.Subject.IsMinor, At: s.now().Unix()})
	http.Redirect(w, r, "/privacy/requests/received?r="+s.tokens.signed(receipt), http.StatusSeeOther)
}

// receipt is what the confirmation page shows after the redirect, signed so that it cannot be made up; it
// holds no personal data.
type receipt struct {
	Reference   string `json:"ref"`
	Type        string `json:"type"`
	Year        int    `json:"y"`
	Month       int    `json:"m"`
	Day         int    `json:"d"`
	Count       int    `json:"n"`
	Unit        string `json:"unit"`
	Provisional bool   `json:"prov,omitempty"`
	Minor       bool   `json:"minor,omitempty"`
	At          int64  `json:"at"`
}

// receivedPage confirms a filing: the reference, the date by which the organisation replies, what follows.
type receivedPage struct {
	base
	Reference   string
	TypeLabel   string
	Due         string
	Provisional bool
	Minor       bool
}

func (s *Server) received(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.tokens.unsign(r.URL.Query().Get("r"))
	var rc receipt
	if !ok || json.Unmarshal(raw, &rc) != nil || s.now().Sub(time.Unix(rc.At, 0)) > formTokenLife {
		s.refuse(w, r, http.StatusNotFound, "refused.not_found")
		return
	}
	b := s.newBase(r, "received.title")
	span := b.L.T("span."+rc.Unit, "N", rc.Count)
	s.render(w, r, http.StatusOK, "received", receivedPage{base: b, Reference: rc.Reference,
		TypeLabel:   b.L.T("type." + rc.Type),
		Due:         b.L.T("received.due", "Date", b.L.Date(rc.Year, time.Month(rc.Month), rc.Day), "Span", span),
		Provisional: rc.Provisional, Minor: rc.Minor})
}

// commandFromForm reads the form's fields, named by the API's JSON paths, into a filing command. It answers
// which form row each correction came from, to name the row of an error.
func commandFromForm(r *http.Request, lang string) (service.FileRequestCommand, []int) {
	return FilingFromForm(r.PostForm, lang)
}

// FilingFromForm reads a filing form's fields, named by the API's JSON paths (subject.email,
// details.corrections.0.field...), into a filing command in language lang: the privacy center's form and the
// console's share it. It answers which form row each correction came from, for FormField.
func FilingFromForm(form url.Values, lang string) (service.FileRequestCommand, []int) {
	v := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	cmd := service.FileRequestCommand{Type: service.RequestType(v("type")), Locale: lang,
		Subject: service.Subject{Name: v("subject.name"), Email: v("subject.email"), Phone: v("subject.phone"),
			AccountID: v("subject.account_id"), IsMinor: v("subject.is_minor") == "true"}}
	g := service.Guardian{Name: v("subject.guardian.name"), Email: v("subject.guardian.email"),
		Relationship: v("subject.guardian.relationship")}
	if g != (service.Guardian{}) || cmd.Subject.IsMinor {
		cmd.Subject.Guardian = &g
	}
	d := &cmd.Details
	d.Ground = service.DeletionGround(v("details.ground"))
	d.Explanation = v("details.explanation")
	d.AccountID = v("details.account_id")
	d.Format = v("details.format")
	if ps := form["details.purposes"]; len(ps) > 0 {
		d.Purposes = ps
	}
	if name, endpoint := v("details.recipient.name"), v("details.recipient.endpoint"); name != "" || endpoint != "" {
		d.Recipient = &service.Recipient{Name: name, Endpoint: endpoint}
	}
	var rows []int
	for i := range correctionRows {
		p := "details.corrections." + strconv.Itoa(i) + "."
		c := service.Correction{Field: v(p + "field"), CurrentValue: v(p + "current_value"), CorrectedValue: v(p + "corrected_value")}
		if c != (service.Correction{}) {
			d.Corrections = append(d.Corrections, c)
			rows = append(rows, i)
		}
	}
	if cmd.Type == service.TypeRectification && d.Corrections == nil {
		d.Corrections = []service.Correction{}
	}
	if cmd.Type != service.TypePortability {
		d.Format = "" // the form preselects a format only for portability
	}
	return cmd, rows
}

var indexRe = regexp.MustCompile(`\[(\d+)\]`)

func formField(path string, rows []int) string { return FormField(path, rows) }

// FormField turns a service field path (details.corrections[1].field) into the form's dotted name, with the
// correction's index mapped back to the row (of FilingFromForm) the person filled in.
func FormField(path string, rows []int) string {
	out := indexRe.ReplaceAllStringFunc(path, func(m string) string {
		i, _ := strconv.Atoi(m[1 : len(m)-1])
		if strings.HasPrefix(path, "details.corrections[") && i < len(rows) {
			i = rows[i]
		}
		return "." + strconv.Itoa(i)
	})
	if out == "details.corrections" {
		return "details.corrections.0.field" // no correction at all: point at the first row
	}
	return out
}

var numberRe = regexp.MustCompile(`\.\d+`)

// errorKey is the catalogue's message for a field: its own, or a general one.
func errorKey(field string, c *Catalogue) string {
	key := "error." + numberRe.ReplaceAllString(field, "")
	if c.Has(key) {
		return key
	}
	return "error.invalid"
}

// fieldView is one labelled input of a form, with its value and error.
type fieldView struct {
	Name, ID, Type, Label, Hint, Value, Error, Autocomplete, RequiredText string
	Required                                                              bool
}

// autocomplete helps browsers fill in a person's own details.
var autocomplete = map[string]string{"subject.name": "name", "subject.email": "email", "subject.phone": "tel"}

// field describes an input of the form p for a template: its label and hint from the catalogue.
func field(p formPage, name, typ, labelKey, hintKey string, required bool) fieldView {
	f := fieldView{Name: name, ID: fieldID(name), Type: typ, Label: p.L.T(labelKey), Value: p.Values[name],
		Error: p.Errors[name], Autocomplete: autocomplete[name], Required: required}
	if hintKey != "" {
		f.Hint = p.L.T(hintKey)
	}
	if required {
		f.RequiredText = p.L.T("form.required")
	} else {
		f.RequiredText = p.L.T("form.optional")
	}
	return f
}
