package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FileRequestCommand is a new request as a web form, an officer or an admin files it.
type FileRequestCommand struct {
	Type       RequestType `json:"type"`
	Subject    Subject     `json:"subject"`
	Details    Details     `json:"details"`
	Channel    Channel     `json:"channel"`
	ReceivedAt *time.Time  `json:"received_at,omitempty"` // officers and admins only; default now
	Policy     string      `json:"policy,omitempty"`      // default DefaultPolicy
	ExternalID string      `json:"external_id,omitempty"`
	Locale     string      `json:"locale,omitempty"` // of e-mails to the subject; default the queue's`
	// IdempotencyKey makes retries safe: the same key and command file one request.
	IdempotencyKey string `json:"-"`
}

// fingerprint identifies the command's content, so that a retried key can be told from a reused one.
func (cmd *FileRequestCommand) fingerprint() string {
	b, err := json.Marshal(cmd)
	if err != nil {
		panic(fmt.Sprintf("marshal filing command: %v", err)) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// maxIdempotencyKeyLen bounds Idempotency-Key.
const maxIdempotencyKeyLen = 200

// FileRequest files a request, computing its reference and legal due date. It answers the existing request and
// replayed true when cmd.IdempotencyKey was used before with the same command; ECONFLICT when with another.
func (s *Intake) FileRequest(ctx context.Context, a Actor, cmd FileRequestCommand) (r *Request, replayed bool, err error) {
	if err := authorize(a, permFileRequest); err != nil {
		return nil, false, err
	}
	if err := validateIdempotencyKey(cmd.IdempotencyKey); err != nil {
		return nil, false, err
	}
	now := s.now()
	if err := validateFiling(&cmd, a, now); err != nil {
		return nil, false, err
	}
	if cmd.Policy == "" {
		cmd.Policy = DefaultPolicy
	}
	p, err := s.policy(cmd.Policy)
	if err != nil {
		return nil, false, err
	}
	received := now
	if cmd.ReceivedAt != nil {
		received = cmd.ReceivedAt.UTC().Truncate(time.Microsecond)
	}
	fp := cmd.fingerprint()
	if cmd.IdempotencyKey != "" { // a retry is answered before any limit could refuse it
		prior, found, err := s.replay(ctx, s.db, a, cmd.IdempotencyKey, fp)
		if err != nil || found {
			prior, err = s.withDuplicateHint(ctx, a, prior, err)
			return prior, found, err
		}
	}
	prepared, err := s.prepareRequest(ctx, s.db, a, &cmd, p, received, now)
	if err != nil {
		return nil, false, err
	}
	ack, err := s.prepareAcknowledgement(s.db, prepared)
	if err != nil {
		return nil, false, err
	}
	sealed, err := s.db.SealRequest(prepared)
	if err != nil {
		return nil, false, err
	}
	// A retry racing this one is caught by the idempotency record's unique key: its insert fails, its
	// transaction changes nothing, and it answers with what this one filed (below).
	var idem *IdempotencyRecord
	if cmd.IdempotencyKey != "" {
		idem = &IdempotencyRecord{Scope: a.UserID, Key: cmd.IdempotencyKey, Fingerprint: fp, RequestID: prepared.ID,
			CreatedAt: now}
	}
	err = s.begin(ctx, func(tx intakeStore) error {
		r = prepared
		if err := s.storeRequest(ctx, tx, sealed, ack, idem); err != nil {
			return err
		}
		return s.filedEvent(ctx, tx, a, r)
	})
	if ErrorCode(err) == ECONFLICT && cmd.IdempotencyKey != "" {
		// A concurrent retry with the same key committed first: answer as that retry would have.
		r, replayed, err = s.replayCommitted(ctx, a, cmd.IdempotencyKey, fp)
	}
	if err != nil {
		return nil, false, err
	}
	r, err = s.withDuplicateHint(ctx, a, r, nil)
	return r, replayed, err
}

// replay finds the request a key filed before. ECONFLICT if the key came with another command.
func (s *Intake) replay(ctx context.Context, tx intakeStore, a Actor, key, fp string) (*Request, bool, error) {
	rec, err := tx.FindIdempotencyKey(ctx, a.UserID, key)
	if ErrorCode(err) == ENOTFOUND {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if rec.Fingerprint != fp {
		return nil, false, Errorf(ECONFLICT, "Idempotency-Key was already used with a different body")
	}
	r, err := tx.FindRequest(ctx, rec.RequestID)
	if err != nil {
		return nil, false, fmt.Errorf("find request %s of idempotency key: %w", rec.RequestID, err)
	}
	// The answer carries the subject's personal data again: a read like any other, audited as one.
	if err := s.begin(ctx, func(tx intakeStore) error {
		return s.appendEvent(ctx, tx, a, "request.read", r.ID, map[string]string{"via": "idempotent_replay"})
	}); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

func (s *Intake) replayCommitted(ctx context.Context, a Actor, key, fp string) (*Request, bool, error) {
	r, found, err := s.replay(ctx, s.db, a, key, fp)
	if err == nil && !found {
		err = Errorf(ECONFLICT, "the request conflicts with one filed at the same time; retry")
	}
	return r, found, err
}

func validateIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKeyLen {
		return Invalid(FieldError{"Idempotency-Key", fmt.Sprintf("must be at most %d characters", maxIdempotencyKeyLen)})
	}
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return Invalid(FieldError{"Idempotency-Key", "must be printable ASCII without spaces"})
		}
	}
	return nil
}

// subjectCapWindow is the window of the per-subject filing cap.
const subjectCapWindow = 24 * time.Hour

// prepareRequest builds a request and does every read its filing needs (routing, the duplicate flag, the per-
// subject cap) through st, before the filing's transaction takes its locks.
func (s *Intake) prepareRequest(ctx context.Context, st filingStore, a Actor, cmd *FileRequestCommand, p *Policy, received, now time.Time) (*Request, error) {
	clock := p.startClock(received)
	due, err := p.due(s.cals.Load(), clock)
	if err != nil {
		return nil, err
	}
	status := StatusOpen
	if a.Role == RoleIntake {
		status = StatusUnverified
	}
	r := &Request{
		ID: s.newID(), Type: cmd.Type, Status: status,
		Subject: cmd.Subject, Details: cmd.Details, Channel: cmd.Channel, Policy: p.Name,
		ExternalID: cmd.ExternalID, ReceivedAt: received, Due: due, Clock: clock, Locale: cmd.Locale,
		SubjectIndex: s.keys.SubjectIndex(cmd.Subject), PhoneIndex: s.keys.PhoneIndex(cmd.Subject.Phone), CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now,
	}
	if r.SubjectIndex != "" && a.Role == RoleIntake {
		recent, err := st.RecentSubjectFilings(ctx, r.SubjectIndex, now.Add(-subjectCapWindow), s.subjectDailyCap)
		if err != nil {
			return nil, err
		}
		if len(recent) >= s.subjectDailyCap {
			// One more fits when the oldest of the cap's newest filings leaves the window.
			return nil, &Error{Code: ETOOMANY, Limit: LimitSubject,
				RetryAfter: recent[len(recent)-1].Add(subjectCapWindow).Sub(now),
				Message:    fmt.Sprintf("%d requests for this subject were filed in the last 24 hours, the most a web form may file; the limit guards people against mail sent in their name", len(recent))}
		}
	}
	queues, err := st.ListQueues(ctx)
	if err != nil {
		return nil, err
	}
	if q := routeQueue(queues, r.Type, r.Channel); q != nil {
		r.QueueID = q.ID
		if r.Locale == "" {
			r.Locale = q.Locale
		}
	}
	if r.Locale == "" {
		r.Locale = "en"
	}
	if r.SubjectIndex != "" {
		dup, err := st.OpenDuplicateID(ctx, r.SubjectIndex, r.Type, r.ID)
		if err == nil {
			r.PossibleDuplicateOf = dup
		} else if ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
	}
	return r, nil
}

// storeRequest numbers and stores a prepared request inside tx, sealed and with its acknowledgement made before
// the transaction, and the record of its idempotency key (nil: none). The rows every filing contends for, the
// year's reference counter and the audit head, are taken as late as the transaction allows.
func (s *Intake) storeRequest(ctx context.Context, tx filingStore, sr *Sealed[*Request], ack *acknowledgement, idem *IdempotencyRecord) error {
	r := sr.Value
	year := r.Clock.Start.Year
	seq, err := tx.NextReferenceSeq(ctx, year)
	if err != nil {
		return fmt.Errorf("next reference for %d: %w", year, err)
	}
	r.Reference = fmt.Sprintf("DSR-%d-%06d", year, seq)
	f := &NewFiling{Request: sr, Idempotency: idem}
	if ack.mail != nil {
		f.Links, f.Mail = ack.links, ack.mail
	}
	if err := tx.CreateFiling(ctx, f); err != nil {
		return fmt.Errorf("create request %s: %w", r.Reference, err)
	}
	return nil
}

// filedEvent is the audit event of a filing, appended last in its transaction.
func (s *Intake) filedEvent(ctx context.Context, tx filingStore, a Actor, r *Request) error {
	return s.appendEvent(ctx, tx, a, "request.filed", r.ID, map[string]string{
		"reference": r.Reference, "type": string(r.Type), "status": string(r.Status),
		"channel": string(r.Channel), "policy": r.Policy, "due_date": r.Due.Date.String(), "queue_id": r.QueueID,
		"possible_duplicate_of": r.PossibleDuplicateOf,
	})
}

// newRequest prepares and stores a request inside tx, with its audit event.
func (s *Intake) newRequest(ctx context.Context, tx filingStore, a Actor, cmd *FileRequestCommand, p *Policy, received, now time.Time) (*Request, error) {
	r, err := s.prepareRequest(ctx, tx, a, cmd, p, received, now)
	if err != nil {
		return nil, err
	}
	ack, err := s.prepareAcknowledgement(tx, r)
	if err != nil {
		return nil, err
	}
	sealed, err := tx.SealRequest(r)
	if err != nil {
		return nil, err
	}
	if err := s.storeRequest(ctx, tx, sealed, ack, nil); err != nil {
		return nil, err
	}
	return r, s.filedEvent(ctx, tx, a, r)
}

// RequestPage is one page of a listing.
type RequestPage struct {
	Items      []*Request
	NextCursor string // "" on the last page
}

// ListRequestsQuery is a listing as a caller asks for it.
type ListRequestsQuery struct {
	Status    *Status // or StatusActive: every status not closed
	Reference *string // DSR-2026-000042: that one request
	// SubjectEmail and SubjectPhone find a subject's requests through the keyed hash kept for them (an
	// audited search); the phone finds requests filed with a phone and no e-mail, whose hash is the phone's.
	SubjectEmail *string
	SubjectPhone *string
	Type         *RequestType
	QueueID      *string
	AssigneeID   *string // a user ID, "me", or AssigneeNone
	Overdue      bool
	DueBefore    *string // a date, YYYY-MM-DD
	DueWithin    *int    // open requests due within this many working days of today (cn calendar)
	Limit        int     // 0: the default
	Cursor       string
}

// Page sizes of listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// AssigneeNone, as a listing's assignee, selects the requests assigned to no one.
const AssigneeNone = "unassigned"

// StatusActive, as a listing's status, selects every status not closed.
const StatusActive Status = "active"

// subjectSearch names the parameter a listing searches a subject by, or "".
func subjectSearch(q ListRequestsQuery) string {
	switch {
	case q.SubjectEmail != nil:
		return "subject_email"
	case q.SubjectPhone != nil:
		return "subject_phone"
	}
	return ""
}

// encodeCursor makes an opaque page position.
func encodeCursor(c RequestCursor) string {
	b, _ := json.Marshal(struct {
		T int64  `json:"t"`
		I string `json:"i"`
	}{c.DueAt.UnixMicro(), c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Due times of a cursor lie within years 1 to 9999, which every database can compare.
var (
	minCursorTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxCursorTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro()
)

// isUUID reports whether s is a UUID in its canonical 36-character form, as every ID here is.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}

// decodeCursor reverses encodeCursor; any other string is an error.
func decodeCursor(s string) (RequestCursor, error) {
	if len(s) > 200 {
		return RequestCursor{}, errors.New("cursor too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return RequestCursor{}, err
	}
	var v struct {
		T *int64  `json:"t"`
		I *string `json:"i"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return RequestCursor{}, err
	}
	if v.T == nil || v.I == nil || !isUUID(*v.I) || *v.T < minCursorTime || *v.T > maxCursorTime {
		return RequestCursor{}, errors.New("cursor incomplete or out of range")
	}
	return RequestCursor{DueAt: time.UnixMicro(*v.T).UTC(), ID: *v.I}, nil
}
