package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
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
func (s *Service) FileRequest(ctx context.Context, a Actor, cmd FileRequestCommand) (r *Request, replayed bool, err error) {
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
		prior, found, err := s.replay(ctx, s.store, a, cmd.IdempotencyKey, fp)
		if err != nil || found {
			prior, err = s.withDuplicateHint(ctx, a, prior, err)
			return prior, found, err
		}
	}
	prepared, err := s.prepareRequest(ctx, s.store, a, &cmd, p, received, now)
	if err != nil {
		return nil, false, err
	}
	// A retry racing this one is caught by the idempotency record's unique key: its insert fails, its
	// transaction changes nothing, and it answers with what this one filed (below).
	err = s.store.WithTx(ctx, func(tx Store) error {
		r = prepared
		if err := s.storeRequest(ctx, tx, r); err != nil {
			return err
		}
		if cmd.IdempotencyKey != "" {
			if err := tx.CreateIdempotencyKey(ctx, &IdempotencyRecord{
				Scope: a.UserID, Key: cmd.IdempotencyKey, Fingerprint: fp, RequestID: r.ID, CreatedAt: now,
			}); err != nil {
				return err
			}
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
func (s *Service) replay(ctx context.Context, tx Store, a Actor, key, fp string) (*Request, bool, error) {
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
	if err := s.store.WithTx(ctx, func(tx Store) error {
		return s.appendEvent(ctx, tx, a, "request.read", r.ID, map[string]string{"via": "idempotent_replay"})
	}); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

func (s *Service) replayCommitted(ctx context.Context, a Actor, key, fp string) (*Request, bool, error) {
	r, found, err := s.replay(ctx, s.store, a, key, fp)
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
func (s *Service) prepareRequest(ctx context.Context, st Store, a Actor, cmd *FileRequestCommand, p *Policy, received, now time.Time) (*Request, error) {
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
		dup, err := st.OpenRequestBySubject(ctx, r.SubjectIndex, r.Type, r.ID)
		if err == nil {
			r.PossibleDuplicateOf = dup.ID
		} else if ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
	}
	return r, nil
}

// storeRequest numbers and stores a prepared request inside tx, with its acknowledgement. The rows every filing
// contends for, the year's reference counter and the audit head, are taken as late as the transaction allows.
func (s *Service) storeRequest(ctx context.Context, tx Store, r *Request) error {
	year := r.Clock.Start.Year
	seq, err := tx.NextReferenceSeq(ctx, year)
	if err != nil {
		return fmt.Errorf("next reference for %d: %w", year, err)
	}
	r.Reference = fmt.Sprintf("DSR-%d-%06d", year, seq)
	if err := tx.CreateRequest(ctx, r); err != nil {
		return fmt.Errorf("create request %s: %w", r.Reference, err)
	}
	return s.acknowledge(ctx, tx, r)
}

// filedEvent is the audit event of a filing, appended last in its transaction.
func (s *Service) filedEvent(ctx context.Context, tx Store, a Actor, r *Request) error {
	return s.appendEvent(ctx, tx, a, "request.filed", r.ID, map[string]string{
		"reference": r.Reference, "type": string(r.Type), "status": string(r.Status),
		"channel": string(r.Channel), "policy": r.Policy, "due_date": r.Due.Date.String(), "queue_id": r.QueueID,
		"possible_duplicate_of": r.PossibleDuplicateOf,
	})
}

// newRequest prepares and stores a request inside tx, with its audit event.
func (s *Service) newRequest(ctx context.Context, tx Store, a Actor, cmd *FileRequestCommand, p *Policy, received, now time.Time) (*Request, error) {
	r, err := s.prepareRequest(ctx, tx, a, cmd, p, received, now)
	if err != nil {
		return nil, err
	}
	if err := s.storeRequest(ctx, tx, r); err != nil {
		return nil, err
	}
	return r, s.filedEvent(ctx, tx, a, r)
}

// Request reads one request with the subject's personal data; the read is an audit event.
// ENOTFOUND also when the caller may not see it, so that existence does not leak.
func (s *Service) Request(ctx context.Context, a Actor, id string) (*Request, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var r *Request
	err := s.withTx(ctx, a, func(tx *actorTx) error {
		var err error
		if r, err = s.workableRequest(ctx, tx, id); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "request.read", r.ID, nil)
	})
	return s.withDuplicateHint(ctx, a, r, err)
}

// canSee reports whether a may see r: admins and auditors see all; officers see their queues' requests. Every
// refusal is logged in the audit trail.
func (s *Service) canSee(ctx context.Context, st Store, a Actor, r *Request) (bool, error) {
	switch a.Role {
	case RoleAdmin, RoleAuditor:
		return true, nil
	case RoleOfficer:
		if r.QueueID != "" {
			queues, err := st.UserQueueIDs(ctx, a.UserID)
			if err != nil {
				return false, err
			}
			if oneOf(r.QueueID, queues) {
				return true, nil
			}
		}
	}
	return false, nil
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
	AssigneeID   *string // a user ID, or "me"
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

// ListRequests lists requests by due time, soonest first, without their subjects' personal data.
func (s *Service) ListRequests(ctx context.Context, a Actor, q ListRequestsQuery) (RequestPage, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return RequestPage{}, err
	}
	f, err := s.requestFilter(a, q)
	if err != nil {
		return RequestPage{}, err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	var items []*Request
	if by := subjectSearch(q); by != "" {
		// Who looked for whose requests is recorded (by which parameter, never the value), as a read is.
		err = s.store.WithTx(ctx, func(tx Store) error {
			var err error
			if items, err = tx.ListRequests(ctx, f); err != nil {
				return err
			}
			return s.appendEvent(ctx, tx, a, "request.searched", "", map[string]string{"by": by,
				"found": strconv.Itoa(min(len(items), limit))})
		})
	} else {
		items, err = s.store.ListRequests(ctx, f)
	}
	if err != nil {
		return RequestPage{}, fmt.Errorf("list requests: %w", err)
	}
	if err := s.withDuplicateHints(ctx, a, items); err != nil {
		return RequestPage{}, err
	}
	page := RequestPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(RequestCursor{DueAt: last.Due.At, ID: last.ID})
	}
	return page, nil
}

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

func (s *Service) requestFilter(a Actor, q ListRequestsQuery) (RequestFilter, error) {
	var fe fieldErrors
	f := RequestFilter{Status: q.Status, Type: q.Type, QueueID: q.QueueID, AssigneeID: q.AssigneeID, Limit: q.Limit,
		Reference: q.Reference}
	switch {
	case q.Status == nil:
	case *q.Status == StatusActive:
		f.Status, f.NotClosed = nil, true
	case !oneOf(*q.Status, Statuses):
		fe.add("status", "is not a status, nor active")
	}
	if q.Reference != nil && (*q.Reference == "" || len(*q.Reference) > 40) {
		fe.add("reference", "must be a reference such as DSR-2026-000042")
	}
	switch {
	case q.SubjectEmail != nil && q.SubjectPhone != nil:
		fe.add("subject_phone", "search by subject_email or by subject_phone, not both")
	case q.SubjectEmail != nil:
		email(&fe, "subject_email", *q.SubjectEmail)
		if *q.SubjectEmail == "" {
			fe.add("subject_email", "must be an e-mail address such as name@example.com")
		}
		f.SubjectIndex = s.keys.SubjectIndex(Subject{Email: *q.SubjectEmail})
	case q.SubjectPhone != nil:
		phone(&fe, "subject_phone", *q.SubjectPhone)
		if *q.SubjectPhone == "" {
			fe.add("subject_phone", "must be a phone number with at least 5 digits")
		}
		f.PhoneIndex = s.keys.PhoneIndex(*q.SubjectPhone)
	}
	if q.Type != nil && !oneOf(*q.Type, RequestTypes) {
		fe.add("type", "is not a request type")
	}
	if q.AssigneeID != nil {
		switch {
		case *q.AssigneeID == "me":
			f.AssigneeID = &a.UserID
		case !isUUID(*q.AssigneeID):
			fe.add("assignee", "must be a user ID or me")
		}
	}
	if q.Overdue {
		now := s.now()
		f.OverdueAt = &now
	}
	if q.DueWithin != nil {
		if *q.DueWithin < 0 || *q.DueWithin > 60 {
			fe.add("due_within", "must be between 0 and 60 working days")
		}
		p, _ := s.policy(DefaultPolicy)
		cutoff, _ := calendar.AddWorkingDays(s.cals.Load().cn, today(p, s.now()), *q.DueWithin)
		end := cutoff.AddDays(1).Start(p.Location)
		if f.OverdueAt == nil || end.Before(*f.OverdueAt) {
			f.OverdueAt = &end // open and due before the end of the cutoff day
		}
	}
	if q.DueBefore != nil {
		d, err := calendar.ParseDate(*q.DueBefore)
		if err != nil {
			fe.add("due_before", "must be a date, YYYY-MM-DD")
		}
		f.DueBefore = &d
	}
	switch {
	case q.Limit == 0:
		f.Limit = DefaultPageSize
	case q.Limit < 1 || q.Limit > MaxPageSize:
		fe.add("limit", "must be between 1 and %d", MaxPageSize)
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			fe.add("cursor", "is not a cursor this server issued")
		}
		f.After = &c
	}
	if a.Role == RoleOfficer {
		f.VisibleTo = &a.UserID
	}
	return f, fe.err()
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

// RequestEvents returns a request's audit trail, oldest first.
func (s *Service) RequestEvents(ctx context.Context, a Actor, id string) ([]*Event, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var events []*Event
	err := s.withTx(ctx, a, func(tx *actorTx) error {
		if _, err := s.workableRequest(ctx, tx, id); err != nil {
			return err
		}
		var err error
		events, err = tx.RequestEvents(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return events, s.withoutUnseenDuplicates(ctx, a, events)
}
