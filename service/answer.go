package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// The officer's question to a subject and the subject's answer are messages of the request. They may hold
// personal data: stored sealed, removed by retention, never in the audit trail.
const (
	MessageQuestion = "question" // the officer's, sent when a request is put on hold awaiting the subject
	MessageAnswer   = "answer"   // the subject's, from the status page
)

// SubjectMessage is a question to the subject or their answer, with the answer's files.
type SubjectMessage struct {
	ID        string
	RequestID string
	Kind      string
	Body      string
	CreatedBy string
	CreatedAt time.Time
	Files     []*SubjectFile
}

// SubjectFile is a file a subject sent with an answer.
type SubjectFile struct {
	ID          string
	RequestID   string
	MessageID   string
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Content     []byte // loaded only when the file is read
	CreatedAt   time.Time
}

// SubjectMessageStore keeps questions, answers and their files.
type SubjectMessageStore interface {
	// CreateSubjectMessage inserts a message with its files.
	CreateSubjectMessage(ctx context.Context, m *SubjectMessage) error
	// LatestSubjectMessage returns the newest message of a kind on a request. ENOTFOUND if none.
	LatestSubjectMessage(ctx context.Context, requestID, kind string) (*SubjectMessage, error)
	// SubjectMessages returns a request's messages, oldest first, with their files' descriptions (no content).
	SubjectMessages(ctx context.Context, requestID string) ([]*SubjectMessage, error)
	// SubjectFile returns one of a request's files with its content. ENOTFOUND if none.
	SubjectFile(ctx context.Context, requestID, fileID string) (*SubjectFile, error)
}

// Limits on an answer from the subject.
const (
	MaxAnswerFiles    = 3
	MaxAnswerFileSize = 10 << 20
	maxAnswerLen      = 10000
	maxQuestionLen    = 4000
)

// AnswerFile is a file as the subject uploads it.
type AnswerFile struct {
	Name    string
	Content []byte
}

// AnswerCommand is the subject's answer to the officer's question.
type AnswerCommand struct {
	Text  string
	Files []AnswerFile
}

// answerTypes are the files a subject may send: what a phone or a scanner makes, recognised by their content.
var answerTypes = []struct {
	ext   []string
	ctype string
	magic []byte
}{
	{[]string{".pdf"}, "application/pdf", []byte("%PDF-")},
	{[]string{".png"}, "image/png", []byte("\x89PNG\r\n\x1a\n")},
	{[]string{".jpg", ".jpeg"}, "image/jpeg", []byte("\xff\xd8\xff")},
	{[]string{".txt"}, "text/plain; charset=utf-8", nil},
}

// answerFileType checks a file's name and content agree on one of answerTypes, and answers its media type.
func answerFileType(name string, content []byte) (string, bool) {
	ext := strings.ToLower(path.Ext(name))
	for _, t := range answerTypes {
		if !oneOf(ext, t.ext) {
			continue
		}
		if t.magic == nil {
			return t.ctype, utf8.Valid(content) && !bytes.ContainsRune(content, 0)
		}
		return t.ctype, bytes.HasPrefix(content, t.magic)
	}
	return "", false
}

// validateAnswer checks an answer; fields are named as the status page's form names them.
func validateAnswer(cmd *AnswerCommand) ([]*SubjectFile, error) {
	var f fieldErrors
	text(&f, "text", cmd.Text, maxAnswerLen, len(cmd.Files) == 0)
	if len(cmd.Files) > MaxAnswerFiles {
		f.add("files", "at most %d files", MaxAnswerFiles)
	}
	var files []*SubjectFile
	for i, af := range cmd.Files {
		field := fmt.Sprintf("files[%d]", i)
		name := path.Base(strings.ReplaceAll(af.Name, "\\", "/"))
		ctype, ok := answerFileType(name, af.Content)
		switch {
		case name == "" || name == "." || name == "/" || !utf8.ValidString(name) || len([]rune(name)) > 200 || hasControl(name, false):
			f.add(field, "needs a file name of at most 200 printable characters")
		case len(af.Content) == 0:
			f.add(field, "is empty")
		case len(af.Content) > MaxAnswerFileSize:
			f.add(field, "is over %d MiB", MaxAnswerFileSize>>20)
		case !ok:
			f.add(field, "must be a PDF, PNG, JPEG or text file whose content matches its name")
		}
		sum := sha256.Sum256(af.Content)
		files = append(files, &SubjectFile{Name: name, ContentType: ctype, Size: int64(len(af.Content)),
			SHA256: hex.EncodeToString(sum[:]), Content: af.Content})
	}
	return files, f.err()
}

// AnswerBySubject records the subject's answer to the officer's question, through the status link: the
// working-day clock resumes at once, the request moves back to in_progress, its assignee is told, and the
// audit trail records the subject as the actor. ECONFLICT unless the request is on hold awaiting the subject.
func (s *Intake) AnswerBySubject(ctx context.Context, token string, cmd AnswerCommand) (*Request, error) {
	if err := validLinkToken(token); err != nil {
		return nil, err
	}
	files, err := validateAnswer(&cmd)
	if err != nil {
		return nil, err
	}
	var out *Request
	err = s.begin(ctx, func(tx intakeStore) error {
		r, err := s.statusLink(ctx, tx, token)
		if err != nil {
			return err
		}
		events, err := tx.RequestEvents(ctx, r.ID)
		if err != nil {
			return err
		}
		if r.Status != StatusOnHold || holdReason(events) != PauseAwaitingSubjectInformation {
			return Errorf(ECONFLICT, "the request is not waiting for your information")
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.resumeClock(p, r, now); err != nil {
			return err
		}
		r.setStatus(StatusInProgress, now)
		if err := tx.UpdateRequestParts(ctx, r, PartStatus, PartClock); err != nil {
			return err
		}
		m := &SubjectMessage{ID: s.newID(), RequestID: r.ID, Kind: MessageAnswer, Body: cmd.Text,
			CreatedBy: SubjectActor.UserID, CreatedAt: now, Files: files}
		for _, f := range files {
			f.ID, f.RequestID, f.MessageID, f.CreatedAt = s.newID(), r.ID, m.ID, now
		}
		if err := tx.CreateSubjectMessage(ctx, m); err != nil {
			return err
		}
		if err := s.notifyAssigneeOfAnswer(ctx, tx, r, m); err != nil {
			return err
		}
		out = r
		return s.appendEvent(ctx, tx, SubjectActor, "request.answered", r.ID, map[string]string{
			"message_id": m.ID, "files": fmt.Sprint(len(files)), "due_date": r.Due.Date.String(),
			"by": "status_link"})
	})
	return out, err
}

// notifyAssigneeOfAnswer e-mails the request's assignee that the subject answered; nothing when unassigned.
func (s *Intake) notifyAssigneeOfAnswer(ctx context.Context, tx intakeStore, r *Request, m *SubjectMessage) error {
	if r.AssigneeID == "" {
		return nil
	}
	u, err := tx.FindUser(ctx, r.AssigneeID)
	if err != nil {
		return fmt.Errorf("find assignee of %s: %w", r.Reference, err)
	}
	if u.Email == "" {
		return nil
	}
	data := map[string]string{"Reference": r.Reference, "DueDate": r.Due.Date.String(),
		"Files": fmt.Sprint(len(m.Files)), "Org": s.orgName, "Link": s.consoleLink(r)}
	subject, body, err := renderMail("subject_answered", "en", data)
	if err != nil {
		return err
	}
	now := s.now()
	_, err = tx.EnqueueMail(ctx, &Mail{ID: s.newID(), DedupeKey: "subject_answered:" + m.ID, Kind: "subject_answered",
		RequestID: r.ID, To: u.Email, Subject: subject, Text: body, Status: MailPending,
		NextAttemptAt: now, CreatedAt: now})
	return err
}

// questionAsker is what asking the subject a question writes: the question, and the mail with its status link.
type questionAsker interface {
	subjectMailer
	CreateSubjectMessage(ctx context.Context, m *SubjectMessage) error
}

// askSubject records the officer's question when a request goes on hold awaiting the subject's information,
// and e-mails it to the subject with the status link.
func (s *Workflow) askSubject(ctx context.Context, tx questionAsker, a Actor, r *Request, question string, now time.Time) error {
	m := &SubjectMessage{ID: s.newID(), RequestID: r.ID, Kind: MessageQuestion, Body: question,
		CreatedBy: a.UserID, CreatedAt: now}
	if err := tx.CreateSubjectMessage(ctx, m); err != nil {
		return err
	}
	return s.enqueueSubjectMail(ctx, tx, r, mailQuestion, map[string]string{"Question": question, "Key": m.ID})
}

// SubjectMessages reads a request's questions and answers (with their files' descriptions): an audited read.
func (s *Workflow) SubjectMessages(ctx context.Context, a Actor, id string) ([]*SubjectMessage, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out []*SubjectMessage
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if out, err = tx.SubjectMessages(ctx, r.ID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.messages_read", r.ID, nil)
	})
	return out, err
}

// SubjectFileOf reads one file a subject sent: an audited read.
func (s *Workflow) SubjectFileOf(ctx context.Context, a Actor, id, fileID string) (*SubjectFile, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out *SubjectFile
	err := s.inTx(ctx, a, func(tx *workflowTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		if out, err = tx.SubjectFile(ctx, r.ID, fileID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.subject_file_read", r.ID, map[string]string{"file_id": fileID})
	})
	return out, err
}
