package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/rightsdesk/rightsdesk/service"
)

// statusPage shows a request to its subject: where it stands, the due date, what has happened, and the one
// action that fits now.
type statusPage struct {
	base
	Token       string
	CSRF        string
	Reference   string
	TypeLabel   string
	State       string
	Due         string
	Paused      bool
	Closed      bool // no reply is due any more
	Provisional bool
	Received    string
	ForMinor    bool
	Timeline    []timelineItem
	Done        string // the outcome of the action just taken, in words
	// The actions.
	AwaitingAnswer bool
	Question       string
	CanWithdraw    bool
	CanDownload    bool
	DownloadUntil  string
	AnswerText     string
	Errors         map[string]string
	ErrorList      []fieldError
}

type timelineItem struct {
	Date, Text string
}

func (s *Server) statusView(w http.ResponseWriter, r *http.Request, token string) (statusPage, error) {
	v, err := s.svc.SubjectStatus(r.Context(), token)
	if err != nil {
		return statusPage{}, err
	}
	b := s.newBase(r, "status.title", "Reference", v.Reference)
	l := b.L
	state := string(v.Status)
	if v.AwaitingAnswer {
		state = "awaiting_information"
	}
	p := statusPage{base: b, Token: token, CSRF: s.tokens.issue(w, r), Reference: v.Reference,
		TypeLabel: l.T("type." + string(v.Type)), State: l.T("state." + state),
		Due: l.Date(v.DueDate.Year, v.DueDate.Month, v.DueDate.Day), Paused: v.ClockPaused,
		Closed: v.Status.Terminal(), Provisional: v.DueProvisional, ForMinor: v.ForMinor,
		Received:       l.Date(v.ReceivedAt.Year(), v.ReceivedAt.Month(), v.ReceivedAt.Day()),
		AwaitingAnswer: v.AwaitingAnswer, Question: v.Question, CanWithdraw: v.CanWithdraw,
		CanDownload: v.CanDownload, Errors: map[string]string{}}
	if v.CanDownload {
		p.DownloadUntil = l.Date(v.DownloadUntil.Year(), v.DownloadUntil.Month(), v.DownloadUntil.Day())
	}
	for _, e := range v.Timeline {
		p.Timeline = append(p.Timeline, timelineItem{Date: l.Date(e.At.Year(), e.At.Month(), e.At.Day()),
			Text: l.T("event." + e.Kind)})
	}
	switch r.URL.Query().Get("done") {
	case "answered":
		p.Done = l.T("status.answered")
	case "withdrawn":
		p.Done = l.T("status.withdrawn")
	}
	return p, nil
}

// linkRefusal answers the page for a status link the service refused.
func (s *Server) linkRefusal(w http.ResponseWriter, r *http.Request, err error) {
	switch service.ErrorCode(err) {
	case service.ENOTFOUND, service.EINVALID:
		s.refuse(w, r, http.StatusNotFound, "refused.link")
	case service.ECONFLICT:
		s.refuse(w, r, http.StatusConflict, "refused.conflict")
	default:
		s.log.Error().Err(err).Msg("status page")
		s.refuse(w, r, http.StatusInternalServerError, "refused.error")
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	p, err := s.statusView(w, r, r.PathValue("token"))
	if err != nil {
		s.linkRefusal(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "status", p)
}

func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	token := r.PathValue("token")
	if err := r.ParseForm(); err != nil {
		s.refuse(w, r, http.StatusBadRequest, "refused.csrf")
		return
	}
	if _, err := s.tokens.check(r, r.PostForm.Get("csrf")); err != nil {
		s.refuse(w, r, http.StatusForbidden, "refused.csrf")
		return
	}
	if _, err := s.svc.WithdrawByStatusLink(r.Context(), token); err != nil {
		s.linkRefusal(w, r, err)
		return
	}
	http.Redirect(w, r, "/privacy/status/"+token+"?done=withdrawn", http.StatusSeeOther)
}

// maxAnswerBody bounds an answer: its files, its text and the form's envelope.
const maxAnswerBody = service.MaxAnswerFiles*service.MaxAnswerFileSize + 1<<20

func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAnswerBody)
	token := r.PathValue("token")
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, "refused.too_large")
			return
		}
		s.refuse(w, r, http.StatusBadRequest, "refused.csrf")
		return
	}
	defer r.MultipartForm.RemoveAll()
	if _, err := s.tokens.check(r, r.FormValue("csrf")); err != nil {
		s.refuse(w, r, http.StatusForbidden, "refused.csrf")
		return
	}
	cmd := service.AnswerCommand{Text: r.FormValue("text")}
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the file field left empty
		}
		f, err := fh.Open()
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, "refused.too_large")
			return
		}
		content, err := io.ReadAll(io.LimitReader(f, service.MaxAnswerFileSize+1))
		f.Close()
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, "refused.too_large")
			return
		}
		cmd.Files = append(cmd.Files, service.AnswerFile{Name: fh.Filename, Content: content})
	}
	_, err := s.svc.AnswerBySubject(r.Context(), token, cmd)
	if service.ErrorCode(err) == service.EINVALID && len(service.ErrorFields(err)) > 0 {
		p, verr := s.statusView(w, r, token)
		if verr != nil {
			s.linkRefusal(w, r, verr)
			return
		}
		p.AnswerText = cmd.Text
		for _, fe := range service.ErrorFields(err) {
			field := "text"
			if fe.Field != "text" {
				field = "files"
			}
			if _, seen := p.Errors[field]; !seen {
				msg := p.L.T("error." + field)
				p.Errors[field] = msg
				p.ErrorList = append(p.ErrorList, fieldError{Field: field, ID: fieldID(field), Message: msg})
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "status", p)
		return
	}
	if err != nil {
		s.linkRefusal(w, r, err)
		return
	}
	http.Redirect(w, r, "/privacy/status/"+token+"?done=answered", http.StatusSeeOther)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.DownloadByStatusLink(r.Context(), r.PathValue("token"))
	if err != nil {
		s.linkRefusal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.FileName}))
	w.Header().Set("Content-Length", strconv.Itoa(len(d.Content)))
	w.Write(d.Content)
}
