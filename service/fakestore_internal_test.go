package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// fakeStore is an in-memory store implementing just the views Workflow and Escalation use (workflowStore,
// escalationStore), so that their rules are tested without a database. Transactions run one at a time and roll
// back by restoring a snapshot. The store's own behaviour is tested on real SQLite and PostgreSQL in store/.
type fakeStore struct {
	txMu sync.Mutex // one transaction at a time
	mu   sync.Mutex // the data

	requests   map[string]Request
	users      map[string]User
	queues     map[string]Queue
	events     []Event
	head       AuditHead
	mails      []Mail
	notes      []Note
	extensions []Extension
	links      int
	questions  []SubjectMessage
	seq        int64

	txs, userReads, queueReads int // transactions begun, FindUser and FindQueue calls
}

var (
	_ workflowStore   = (*fakeStore)(nil)
	_ escalationStore = (*fakeStore)(nil)
)

func newFakeStore() *fakeStore {
	return &fakeStore{requests: map[string]Request{}, users: map[string]User{}, queues: map[string]Queue{},
		head: testKeys.keyed(AuditHead{})}
}

// keyed returns h with its MAC, as the store keeps it.
func (k *Keys) keyed(h AuditHead) AuditHead {
	h.MAC = k.HeadMAC(h)
	return h
}

type fakeSnapshot struct {
	requests   map[string]Request
	events     []Event
	head       AuditHead
	mails      []Mail
	notes      []Note
	extensions []Extension
	links      int
	seq        int64
}

// begin runs fn in a transaction over f: all or nothing.
func (f *fakeStore) begin(ctx context.Context, fn func(tx *fakeStore) error) error {
	f.txMu.Lock()
	defer f.txMu.Unlock()
	f.txs++
	f.mu.Lock()
	snap := fakeSnapshot{maps.Clone(f.requests), slices.Clone(f.events), f.head, slices.Clone(f.mails),
		slices.Clone(f.notes), slices.Clone(f.extensions), f.links, f.seq}
	f.mu.Unlock()
	if err := fn(f); err != nil {
		f.mu.Lock()
		f.requests, f.events, f.head, f.mails = snap.requests, snap.events, snap.head, snap.mails
		f.notes, f.extensions, f.links, f.seq = snap.notes, snap.extensions, snap.links, snap.seq
		f.mu.Unlock()
		return err
	}
	return nil
}

func (f *fakeStore) workflowTx() txRunner[workflowStore] {
	return func(ctx context.Context, fn func(workflowStore) error) error {
		return f.begin(ctx, func(tx *fakeStore) error { return fn(tx) })
	}
}

func (f *fakeStore) escalationTx() txRunner[escalationStore] {
	return func(ctx context.Context, fn func(escalationStore) error) error {
		return f.begin(ctx, func(tx *fakeStore) error { return fn(tx) })
	}
}

func (f *fakeStore) lock() func() { f.mu.Lock(); return f.mu.Unlock }

func (f *fakeStore) FindRequest(_ context.Context, id string) (*Request, error) {
	defer f.lock()()
	r, ok := f.requests[id]
	if !ok {
		return nil, Errorf(ENOTFOUND, "no request %s", id)
	}
	return &r, nil
}

func (f *fakeStore) CreateRequest(_ context.Context, r *Request) error {
	defer f.lock()()
	if _, ok := f.requests[r.ID]; ok {
		return Errorf(ECONFLICT, "request %s exists", r.ID)
	}
	f.requests[r.ID] = *r
	return nil
}

func (f *fakeStore) SealRequest(r *Request) (*Sealed[*Request], error) {
	return &Sealed[*Request]{Value: r}, nil
}

// CreateFiling keeps the acknowledgement as the real store reads it back: the reference in place of the mark.
func (f *fakeStore) CreateFiling(ctx context.Context, nf *NewFiling) error {
	if err := f.CreateRequest(ctx, nf.Request.Value); err != nil {
		return err
	}
	if err := f.CreateSubjectLinks(ctx, nf.Links); err != nil {
		return err
	}
	if nf.Mail != nil {
		m, ref := *nf.Mail.Value, nf.Request.Value.Reference
		m.Subject = strings.ReplaceAll(m.Subject, ReferenceMark, ref)
		m.Text = strings.ReplaceAll(m.Text, ReferenceMark, ref)
		if _, err := f.EnqueueMail(ctx, &m); err != nil {
			return err
		}
	}
	if nf.Idempotency != nil {
		return Errorf(EINTERNAL, "fake: no idempotency keys")
	}
	return nil
}

// UpdateRequestParts copies the named parts only, as the real store writes their columns only.
func (f *fakeStore) UpdateRequestParts(_ context.Context, r *Request, parts ...RequestPart) error {
	defer f.lock()()
	old, ok := f.requests[r.ID]
	if !ok {
		return Errorf(ENOTFOUND, "no request %s", r.ID)
	}
	old.UpdatedAt = r.UpdatedAt
	for _, p := range parts {
		switch p {
		case PartStatus:
			old.Status, old.ClosedAt = r.Status, r.ClosedAt
		case PartClock:
			old.Clock, old.Due = r.Clock, r.Due
		case PartAssignee:
			old.AssigneeID = r.AssigneeID
		case PartVerified:
			old.VerifiedAt = r.VerifiedAt
		case PartQueue:
			old.QueueID, old.AssigneeID = r.QueueID, r.AssigneeID
		case PartReply:
			old.Outcome, old.DenialReason, old.ReplyMessage = r.Outcome, r.DenialReason, r.ReplyMessage
			old.CorrectionOutcomes, old.RepliedAt = r.CorrectionOutcomes, r.RepliedAt
		case PartMerge:
			old.DuplicateOf = r.DuplicateOf
		case PartLink:
			old.LinkedRequestID = r.LinkedRequestID
		default:
			return fmt.Errorf("unknown part %q", p)
		}
	}
	f.requests[r.ID] = old
	return nil
}

func (f *fakeStore) ListRequests(_ context.Context, rf RequestFilter) ([]*Request, error) {
	defer f.lock()()
	var out []*Request
	for _, r := range f.requests {
		if (rf.Status == nil || r.Status == *rf.Status) && (!rf.NotClosed || r.ClosedAt == nil) &&
			(rf.QueueID == nil || r.QueueID == *rf.QueueID) {
			out = append(out, &r)
		}
	}
	sortByDue(out)
	return out[:min(len(out), max(rf.Limit, 0))], nil
}

func sortByDue(rs []*Request) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].Due.At.Equal(rs[j].Due.At) {
			return rs[i].Due.At.Before(rs[j].Due.At)
		}
		return rs[i].ID < rs[j].ID
	})
}

func (f *fakeStore) EscalationCandidates(_ context.Context, dueBefore time.Time, after *RequestCursor, limit int) ([]*Request, error) {
	defer f.lock()()
	var out []*Request
	for _, r := range f.requests {
		if r.ClosedAt != nil || r.Clock.Paused != nil || r.EscalationLevel == LevelDPO || !r.Due.At.Before(dueBefore) {
			continue
		}
		if after != nil && (r.Due.At.Before(after.DueAt) || r.Due.At.Equal(after.DueAt) && r.ID <= after.ID) {
			continue
		}
		out = append(out, &r)
	}
	sortByDue(out)
	return out[:min(len(out), limit)], nil
}

func (f *fakeStore) RaiseEscalationLevels(_ context.Context, raises []EscalationRaise) ([]bool, error) {
	defer f.lock()()
	raised := make([]bool, len(raises))
	for i, x := range raises {
		seen := x.Seen
		r, ok := f.requests[seen.ID]
		if !ok || r.ClosedAt != nil || r.Clock.Paused != nil || r.EscalationLevel != seen.EscalationLevel ||
			!r.Due.At.Equal(seen.Due.At) || r.QueueID != seen.QueueID || r.AssigneeID != seen.AssigneeID {
			continue
		}
		r.EscalationLevel = x.Level
		f.requests[r.ID] = r
		raised[i] = true
	}
	return raised, nil
}

func (f *fakeStore) UserQueueIDs(_ context.Context, userID string) ([]string, error) {
	defer f.lock()()
	var out []string
	for _, q := range f.queues {
		if oneOf(userID, q.Members) {
			out = append(out, q.ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (f *fakeStore) FindUser(_ context.Context, id string) (*User, error) {
	defer f.lock()()
	return fakeFind(f.users, &f.userReads, "user", id)
}

func (f *fakeStore) ListUsers(context.Context) ([]*User, error) {
	defer f.lock()()
	return fakeList(f.users), nil
}

func (f *fakeStore) FindQueue(_ context.Context, id string) (*Queue, error) {
	defer f.lock()()
	return fakeFind(f.queues, &f.queueReads, "queue", id)
}

func (f *fakeStore) ListQueues(context.Context) ([]*Queue, error) {
	defer f.lock()()
	out := fakeList(f.queues)
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out, nil
}

// fakeFind answers a copy of the row with the id, counting the read; ENOTFOUND names what is missing.
func fakeFind[T any](rows map[string]T, reads *int, what, id string) (*T, error) {
	*reads++
	row, ok := rows[id]
	if !ok {
		return nil, Errorf(ENOTFOUND, "no %s %s", what, id)
	}
	return &row, nil
}

// fakeList answers copies of all the rows, in no order.
func fakeList[T any](rows map[string]T) []*T {
	var out []*T
	for _, row := range rows {
		out = append(out, &row)
	}
	return out
}

func (f *fakeStore) LockAuditHead(context.Context) (AuditHead, error) {
	defer f.lock()()
	return f.head, nil
}

func (f *fakeStore) AppendEvent(_ context.Context, e *Event, headMAC string) error {
	defer f.lock()()
	if e.Seq != f.head.Seq+1 {
		return fmt.Errorf("event %d after head %d", e.Seq, f.head.Seq)
	}
	f.events = append(f.events, *e)
	f.head = AuditHead{Seq: e.Seq, Hash: e.Hash, MAC: headMAC}
	return nil
}

func (f *fakeStore) AppendEvents(_ context.Context, events []*Event, headMAC string) error {
	defer f.lock()()
	for i, e := range events {
		if e.Seq != f.head.Seq+int64(i)+1 {
			return fmt.Errorf("event %d after head %d", e.Seq, f.head.Seq)
		}
	}
	for _, e := range events {
		f.events = append(f.events, *e)
	}
	last := events[len(events)-1]
	f.head = AuditHead{Seq: last.Seq, Hash: last.Hash, MAC: headMAC}
	return nil
}

func (f *fakeStore) RequestEvents(_ context.Context, requestID string) ([]*Event, error) {
	defer f.lock()()
	var out []*Event
	for _, e := range f.events {
		if e.RequestID == requestID {
			out = append(out, &e)
		}
	}
	return out, nil
}

func (f *fakeStore) EnqueueMail(_ context.Context, m *Mail) (bool, error) {
	defer f.lock()()
	for _, o := range f.mails {
		if m.DedupeKey != "" && o.DedupeKey == m.DedupeKey {
			return false, nil
		}
	}
	f.mails = append(f.mails, *m)
	return true, nil
}

func (f *fakeStore) EnqueueMails(ctx context.Context, ms []*Mail) (int, error) {
	n := 0
	for _, m := range ms {
		ok, err := f.EnqueueMail(ctx, m)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (f *fakeStore) SealMail(m *Mail) (*Sealed[*Mail], error) {
	return &Sealed[*Mail]{Value: m}, nil
}

func (f *fakeStore) mailsOf(kind string) []Mail {
	defer f.lock()()
	var out []Mail
	for _, m := range f.mails {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func (f *fakeStore) actions(requestID string) []string {
	defer f.lock()()
	var out []string
	for _, e := range f.events {
		if e.RequestID == requestID {
			out = append(out, e.Action)
		}
	}
	return out
}

func (f *fakeStore) CountMail(context.Context) (map[MailStatus]int, error) {
	defer f.lock()()
	out := map[MailStatus]int{}
	for _, m := range f.mails {
		out[m.Status]++
	}
	return out, nil
}

func (f *fakeStore) DueMail(_ context.Context, now time.Time, limit int) ([]*Mail, error) {
	return f.ListMail(context.Background(), MailPending, limit)
}

func (f *fakeStore) ListMail(_ context.Context, status MailStatus, limit int) ([]*Mail, error) {
	defer f.lock()()
	var out []*Mail
	for _, m := range f.mails {
		if status == "" || m.Status == status {
			out = append(out, &m)
		}
	}
	return out[:min(len(out), limit)], nil
}

func (f *fakeStore) FindMail(_ context.Context, id string) (*Mail, error) {
	defer f.lock()()
	for _, m := range f.mails {
		if m.ID == id {
			return &m, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "no mail %s", id)
}

func (f *fakeStore) SaveMailDelivery(_ context.Context, m *Mail) error {
	defer f.lock()()
	for i := range f.mails {
		if f.mails[i].ID == m.ID {
			f.mails[i] = *m
			return nil
		}
	}
	return Errorf(ENOTFOUND, "no mail %s", m.ID)
}

func (f *fakeStore) CreateNote(_ context.Context, n *Note) error {
	defer f.lock()()
	f.notes = append(f.notes, *n)
	return nil
}

func (f *fakeStore) RequestNotes(_ context.Context, requestID string) ([]*Note, error) {
	defer f.lock()()
	var out []*Note
	for _, n := range f.notes {
		if n.RequestID == requestID {
			out = append(out, &n)
		}
	}
	return out, nil
}

func (f *fakeStore) CreateExtension(_ context.Context, e *Extension) error {
	defer f.lock()()
	f.extensions = append(f.extensions, *e)
	return nil
}

func (f *fakeStore) RequestExtensions(_ context.Context, requestID string) ([]*Extension, error) {
	defer f.lock()()
	var out []*Extension
	for _, e := range f.extensions {
		if e.RequestID == requestID {
			out = append(out, &e)
		}
	}
	return out, nil
}

func (f *fakeStore) CreateSubjectLink(context.Context, *SubjectLink) error {
	defer f.lock()()
	f.links++
	return nil
}

func (f *fakeStore) CreateSubjectLinks(_ context.Context, links []*SubjectLink) error {
	defer f.lock()()
	f.links += len(links)
	return nil
}

func (f *fakeStore) CreateSubjectMessage(_ context.Context, m *SubjectMessage) error {
	defer f.lock()()
	f.questions = append(f.questions, *m)
	return nil
}

func (f *fakeStore) SubjectMessages(_ context.Context, requestID string) ([]*SubjectMessage, error) {
	defer f.lock()()
	var out []*SubjectMessage
	for _, m := range f.questions {
		if m.RequestID == requestID {
			out = append(out, &m)
		}
	}
	return out, nil
}

func (f *fakeStore) SubjectFile(_ context.Context, requestID, fileID string) (*SubjectFile, error) {
	defer f.lock()()
	for _, m := range f.questions {
		for _, file := range m.Files {
			if m.RequestID == requestID && file.ID == fileID {
				return file, nil
			}
		}
	}
	return nil, Errorf(ENOTFOUND, "no file %s", fileID)
}

// What the unit tests do not reach: answered plainly, so that a test that does reach them sees it.

func (f *fakeStore) OpenDuplicateID(context.Context, string, RequestType, string) (string, error) {
	return "", Errorf(ENOTFOUND, "fake: no duplicate look-up")
}

func (f *fakeStore) RecentSubjectFilings(context.Context, string, time.Time, int) ([]time.Time, error) {
	return nil, nil
}

func (f *fakeStore) NextReferenceSeq(context.Context, int) (int64, error) {
	defer f.lock()()
	f.seq++
	return f.seq, nil
}

func (f *fakeStore) AddSuppression(context.Context, *Suppression) error { return nil }

func (f *fakeStore) CreateTransmission(context.Context, *Transmission) error { return nil }

func (f *fakeStore) RequestExports(context.Context, string, bool) ([]*Export, error) { return nil, nil }

// fakeWorld is a Workflow and an Escalation over one fakeStore, with a settable clock and no database: the
// core's own store is nil, so any use of the whole store panics.
type fakeWorld struct {
	st  *fakeStore
	now time.Time
	c   *core
	wf  *Workflow
	esc *Escalation
	ids int
}

func newFakeWorld(t *testing.T, now time.Time) *fakeWorld {
	t.Helper()
	w := &fakeWorld{st: newFakeStore(), now: now}
	w.c = &core{clock: func() time.Time { return w.now }, keys: testKeys, policies: ShippedPolicies(),
		publicURL: "https://privacy.example.com", orgName: DefaultOrgName, dpoEmail: "dpo@example.com"}
	w.c.newID = func() string { w.ids++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", w.ids) }
	w.c.cals.Store(&calendarSet{cn: calendar.NewCN(calendar.ShippedSchedules()...)})
	w.wf = newWorkflow(w.c, w.st, w.st.workflowTx(), &Intake{core: w.c})
	w.esc = newEscalation(w.c, w.st, w.st.escalationTx())
	return w
}

// addQueue adds a queue with members and an escalation address.
func (w *fakeWorld) addQueue(id, email string, members ...string) {
	w.st.queues[id] = Queue{ID: id, Name: id, EscalationEmail: email, Members: members, Locale: "en"}
}

func (w *fakeWorld) addUser(id string, role Role) Actor {
	w.st.users[id] = User{ID: id, Name: id, Email: id + "@staff.example", Role: role}
	return Actor{UserID: id, Role: role}
}

// addRequest stores a request received at received under the default policy, in queue, with status.
func (w *fakeWorld) addRequest(t *testing.T, id string, typ RequestType, status Status, queue string, received time.Time) *Request {
	t.Helper()
	p, err := w.c.policy(DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	clock := p.startClock(received)
	due, err := p.due(w.c.cals.Load(), clock)
	if err != nil {
		t.Fatal(err)
	}
	r := Request{ID: id, Reference: "DSR-2026-" + id, Type: typ, Status: status, Policy: DefaultPolicy, QueueID: queue,
		Channel: ChannelEmail, ReceivedAt: received, Clock: clock, Due: due, Locale: "en",
		Subject: Subject{Name: "Li Wei", Email: "li.wei@example.com"}, CreatedAt: received, UpdatedAt: received}
	if err := w.st.CreateRequest(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func (w *fakeWorld) request(t *testing.T, id string) Request {
	t.Helper()
	r, err := w.st.FindRequest(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return *r
}

// testKeys are the keys of the in-memory fake's world.
var testKeys = func() *Keys {
	k, err := NewKeys(derive([]byte("rightsdesk"), "keys of tests, never of a deployment"))
	if err != nil {
		panic(err)
	}
	return k
}()
