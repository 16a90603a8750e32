package service

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// Mail is one e-mail in the durable outbox. It is written in the transaction of the decision that causes it and
// sent later by the outbox job, so a crash between deciding and sending loses nothing.
type Mail struct {
	ID        string
	DedupeKey string // one mail per decision: a second enqueue with the same key is ignored
	Kind      string
	RequestID string
	To        string
	Subject   string
	Text      string
	// HTML is the HTML alternative as earlier versions stored it with each mail. Mails are queued with their
	// text only, and HTMLPart renders the alternative from it when the mail is sent: half the bytes sealed and
	// written per mail, in the transaction that decides it.
	HTML          string
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// HTMLPart is the mail's HTML alternative: the stored one of an older mail, else the text rendered as HTML.
func (m *Mail) HTMLPart() string {
	if m.HTML != "" {
		return m.HTML
	}
	return htmlFromText(m.Text)
}

// MailStatus is where a mail is in the outbox.
type MailStatus string

// The outbox statuses.
const (
	MailPending MailStatus = "pending" // waiting to be sent, or to be retried
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed" // gave up after the last retry; visible and retried by hand
)

// OutboxStore keeps the outbox.
type OutboxStore interface {
	// EnqueueMail inserts m; false, nil when a mail with its DedupeKey exists (the decision was made before).
	EnqueueMail(ctx context.Context, m *Mail) (bool, error)
	// EnqueueMails inserts each of ms as EnqueueMail would, in as few statements as it can, and answers how many
	// it inserted.
	EnqueueMails(ctx context.Context, ms []*Mail) (int, error)
	// SealMail seals m's recipient and text ahead of the transaction that enqueues it (CreateFiling), which
	// stores it with its request's reference beside it: the reference is put in place of ReferenceMark in its
	// subject and text whenever the mail is read.
	SealMail(m *Mail) (*Sealed[*Mail], error)
	// ListMail returns up to limit mails, newest first, of one status (all when status is "").
	ListMail(ctx context.Context, status MailStatus, limit int) ([]*Mail, error)
}

// The kinds of mail to subjects.
const (
	mailAcknowledgement = "acknowledgement"
	mailReply           = "reply"
	mailExtended        = "extended"
	mailWithdrawn       = "withdrawn"
	mailExpired         = "expired"
	mailQuestion        = "question" // the officer's question when a request waits for the subject's information
)

//go:embed templates
var templateFS embed.FS

// templates holds every mail template, named locale/kind.txt: text/template, the first line "Subject: ...".
var templates = parseTemplates()

func parseTemplates() *template.Template {
	root := template.New("")
	paths, err := fs.Glob(templateFS, "templates/*/*.txt")
	if err != nil {
		panic(err)
	}
	for _, p := range paths {
		src, err := templateFS.ReadFile(p)
		if err != nil {
			panic(err)
		}
		template.Must(root.New(strings.TrimPrefix(p, "templates/")).Parse(string(src)))
	}
	return root
}

// renderMail renders a mail of kind in locale (English when the locale has none).
func renderMail(kind, locale string, data any) (subject, body string, err error) {
	t := templates.Lookup(locale + "/" + kind + ".txt")
	if t == nil {
		t = templates.Lookup("en/" + kind + ".txt")
	}
	if t == nil {
		return "", "", fmt.Errorf("no mail template %s", kind)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("render mail %s/%s: %w", locale, kind, err)
	}
	first, rest, _ := strings.Cut(b.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return "", "", fmt.Errorf("mail template %s/%s lacks its Subject line", locale, kind)
	}
	return subject, strings.TrimLeft(rest, "\n"), nil
}

// subjectAddress is where mail to the subject goes: the guardian of a minor, else the subject; "" when the
// request has no e-mail address (it reached us by phone or letter).
func subjectAddress(r *Request) string {
	if r.Subject.IsMinor && r.Subject.Guardian != nil {
		return r.Subject.Guardian.Email
	}
	return r.Subject.Email
}

// subjectMail is the data of templates to the subject: words and dates as the subject reads them in the mail's
// language, never codes.
type subjectMail struct {
	Org       string // the organisation answering (RIGHTSDESK_ORG_NAME)
	Reference string
	Right     string // completes "your request to ...": "delete your data", "删除个人信息"
	Ground    string // a deletion's ground, in the words the form offered the subject
	Received  string // the receipt date
	DueDate   string
	// Overdue and DueToday tell the truth about a due date already reached, e.g. of a letter keyed in late.
	Overdue, DueToday bool
	// ForChild marks mail to the parent or guardian of a child under 14: it concerns the child's request.
	ForChild     bool
	Fulfilled    bool
	Message      string
	DenialReason string // the reason of a denial, in words
	// Corrections lists, in a rectification's reply, each correction asked for and what became of it.
	Corrections []mailCorrection
	VerifyURL   string
	WithdrawURL string
	DownloadURL string
	StatusURL   string // the request's status page in the privacy center; every mail to the subject has one
	Expires     string // the last day of the download link
	Reason      string // why an extension was needed
	Question    string // what an officer asks the subject while the request waits for them
}

// mailCorrection is one correction in a rectification's reply.
type mailCorrection struct {
	Field   string // the field the subject named
	Value   string // the corrected value the subject asked for
	Outcome string // in words: "corrected", "not corrected"
	Applied bool
	Reason  string // why a correction was refused
}

// enqueueSubjectMail writes a mail of kind to the subject into the outbox, once per request and kind (or per
// extra "Key"), inside tx. Nothing is queued when the subject has no e-mail address.
func (s *core) enqueueSubjectMail(ctx context.Context, tx subjectMailer, r *Request, kind string, extra map[string]string) error {
	m, status, err := s.composeSubjectMail(r, kind, extra)
	if err != nil || m == nil {
		return err
	}
	if err := tx.CreateSubjectLink(ctx, status); err != nil {
		return fmt.Errorf("create status link: %w", err)
	}
	_, err = tx.EnqueueMail(ctx, m)
	return err
}

// composeSubjectMail renders a mail of kind to r's subject with a new status link, storing neither: nil when the
// subject has no e-mail address. The caller stores the link, then the mail.
func (s *core) composeSubjectMail(r *Request, kind string, extra map[string]string) (*Mail, *SubjectLink, error) {
	to := subjectAddress(r)
	if to == "" {
		return nil, nil, nil
	}
	data, err := s.subjectMailData(r, extra)
	if err != nil {
		return nil, nil, err
	}
	status, statusURL := s.newStatusLink(r)
	data.StatusURL = statusURL
	subject, body, err := renderMail(kind, r.Locale, data)
	if err != nil {
		return nil, nil, err
	}
	key := kind + ":" + r.ID
	if extra != nil && extra["Key"] != "" {
		key += ":" + extra["Key"]
	}
	now := s.now()
	return &Mail{ID: s.newID(), DedupeKey: key, Kind: kind, RequestID: r.ID, To: to, Subject: subject, Text: body,
		Status: MailPending, NextAttemptAt: now, CreatedAt: now}, status, nil
}

// subjectMailData turns r (and the extra facts of one mail: links, an extension's reason) into the words of a
// mail in r's language, judging its due date by the service clock in the policy's time zone.
func (s *core) subjectMailData(r *Request, extra map[string]string) (subjectMail, error) {
	l := r.Locale
	p, err := s.policy(r.Policy)
	if err != nil {
		return subjectMail{}, err
	}
	day := today(p, s.now())
	d := subjectMail{Org: s.orgName, Reference: r.Reference, DueDate: longDate(l, r.Due.Date),
		Received: longDate(l, p.ReceiptDate(r.ReceivedAt)), Overdue: r.Due.Date.Before(day), DueToday: r.Due.Date == day,
		ForChild: r.Subject.IsMinor && r.Subject.Guardian != nil, Fulfilled: r.Outcome == StatusFulfilled,
		Message: r.ReplyMessage, VerifyURL: extra["VerifyURL"], WithdrawURL: extra["WithdrawURL"],
		DownloadURL: extra["DownloadURL"], Reason: extra["Reason"], Question: extra["Question"]}
	if exp, err := calendar.ParseDate(extra["Expires"]); err == nil {
		d.Expires = longDate(l, exp)
	}
	if d.Right, err = word(l, "right", string(r.Type)); err != nil {
		return d, err
	}
	if d.Ground, err = word(l, "ground", string(r.Details.Ground)); err != nil {
		return d, err
	}
	if r.Outcome == StatusDenied {
		if d.DenialReason, err = word(l, "denial", string(r.DenialReason)); err != nil {
			return d, err
		}
	}
	for _, o := range r.CorrectionOutcomes {
		c := mailCorrection{Applied: o.Outcome == "applied", Reason: o.Reason}
		if o.Index >= 0 && o.Index < len(r.Details.Corrections) {
			c.Field, c.Value = r.Details.Corrections[o.Index].Field, r.Details.Corrections[o.Index].CorrectedValue
		}
		if c.Outcome, err = word(l, "correction", o.Outcome); err != nil {
			return d, err
		}
		d.Corrections = append(d.Corrections, c)
	}
	return d, nil
}

// OutgoingMail is a message as the outbox hands it to a Mailer.
type OutgoingMail struct {
	ID      string // unique: the Message-ID is made from it, so a resend after a crash can be recognised
	To      string
	Subject string
	Text    string
	HTML    string // optional alternative part
}

// Mailer delivers mail. The outbox job is its only caller.
type Mailer interface {
	// Send delivers one message; a *PermanentError means retrying cannot help (the address was refused).
	Send(ctx context.Context, m OutgoingMail) error
}

// PermanentError marks a delivery failure that retrying cannot mend.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent delivery failure: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }
