package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/service/calendar"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

var (
	shanghai   = mustLocation("Asia/Shanghai")
	brussels   = mustLocation("Europe/Brussels")
	losAngeles = mustLocation("America/Los_Angeles")
	saoPaulo   = mustLocation("America/Sao_Paulo")
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// testNow is where every test clock starts: 2027-03-01 10:00 in Shanghai, after every receipt the tests file.
var testNow = time.Date(2027, 3, 1, 10, 0, 0, 0, shanghai)

// Actors of each role. Filing and reading need no user row, only an ID.
var (
	admin       = service.Actor{UserID: "u-admin", Name: "admin", Role: service.RoleAdmin}
	officer     = service.Actor{UserID: "u-officer", Name: "officer", Role: service.RoleOfficer} // of no queue
	auditor     = service.Actor{UserID: "u-auditor", Name: "auditor", Role: service.RoleAuditor}
	intake      = service.Actor{UserID: "u-intake", Name: "web form", Role: service.RoleIntake}
	integration = service.Actor{UserID: "u-integration", Name: "backup", Role: service.RoleIntegration}
)

// env is a service on a real, migrated store, with its clock.
type env struct {
	svc   *service.Service
	store *store.Store
	clock *storetest.Clock
	db    storetest.DB
}

// forEachDB runs fn on a fresh env for every available dialect.
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, db := range storetest.Dialects(t) {
		t.Run(db.Dialect, func(t *testing.T) { fn(t, mustEnv(t, db)) })
	}
}

// mustEnv opens a store on db and a service over it, the clock at testNow.
func mustEnv(tb testing.TB, db storetest.DB) *env {
	tb.Helper()
	clk := storetest.NewClock(testNow)
	st := storetest.MustOpen(tb, db, clk.Now)
	return &env{svc: mustService(tb, st, clk), store: st, clock: clk, db: db}
}

func mustService(tb testing.TB, st *store.Store, clk *storetest.Clock) *service.Service {
	tb.Helper()
	svc, err := service.New(context.Background(), service.Config{Store: st, Keys: storetest.KeysOf(st), Now: clk.Now, SubjectDailyCap: 1000})
	if err != nil {
		tb.Fatalf("service.New: %v", err)
	}
	return svc
}

// mustFile files cmd as a and fails the test on any error.
func (e *env) mustFile(tb testing.TB, a service.Actor, cmd service.FileRequestCommand) *service.Request {
	tb.Helper()
	r, _, err := e.svc.FileRequest(context.Background(), a, cmd)
	if err != nil {
		tb.Fatalf("FileRequest: %v (fields %v)", err, service.ErrorFields(err))
	}
	return r
}

// mustRead reads a request as a.
func (e *env) mustRead(tb testing.TB, a service.Actor, id string) *service.Request {
	tb.Helper()
	r, err := e.svc.Request(context.Background(), a, id)
	if err != nil {
		tb.Fatalf("Request(%s): %v", id, err)
	}
	return r
}

// mustEvents reads a request's audit trail as a.
func (e *env) mustEvents(tb testing.TB, a service.Actor, id string) []*service.Event {
	tb.Helper()
	evs, err := e.svc.RequestEvents(context.Background(), a, id)
	if err != nil {
		tb.Fatalf("RequestEvents(%s): %v", id, err)
	}
	return evs
}

// mustQueueOfficers creates officers (real users) and a default queue they all belong to, so that every request
// filed afterwards is routed to that queue and visible to them. It returns the officers as actors.
func (e *env) mustQueueOfficers(tb testing.TB, names ...string) []service.Actor {
	tb.Helper()
	ctx := context.Background()
	var (
		actors []service.Actor
		ids    []string
	)
	for _, name := range names {
		p, err := e.svc.CreatePrincipal(ctx, service.SystemActor, service.NewPrincipal{Name: name, Role: service.RoleOfficer})
		if err != nil {
			tb.Fatalf("CreatePrincipal(%s): %v", name, err)
		}
		actors = append(actors, service.Actor{UserID: p.User.ID, Name: name, Role: service.RoleOfficer, TokenID: p.Token.ID})
		ids = append(ids, p.User.ID)
	}
	name, def := "privacy", true
	if _, err := e.svc.CreateQueue(ctx, admin, service.QueueInput{Name: &name, Members: &ids, Default: &def}); err != nil {
		tb.Fatalf("CreateQueue: %v", err)
	}
	return actors
}

// mustAssign assigns a request to an officer of its queue, as admin.
func (e *env) mustAssign(tb testing.TB, id, assignee string) {
	tb.Helper()
	if _, err := e.svc.Assign(context.Background(), admin, id, service.AssignCommand{AssigneeID: assignee}); err != nil {
		tb.Fatalf("Assign(%s, %s): %v", id, assignee, err)
	}
}

// deletionCmd is a valid deletion filing.
func deletionCmd() service.FileRequestCommand {
	return service.FileRequestCommand{
		Type: service.TypeDeletion,
		Subject: service.Subject{Name: "Li Wei", Email: "li.wei@example.com", Phone: "+86 138 0000 0000",
			AccountID: "emp-4411"},
		Details: service.Details{Ground: service.GroundNoLongerUsingService, Explanation: "I left."},
		Channel: service.ChannelWebForm,
	}
}

// receivedAt is a deletion filing received at t.
func receivedAt(t time.Time) service.FileRequestCommand {
	cmd := deletionCmd()
	cmd.ReceivedAt = &t
	return cmd
}

// actions lists the actions of events.
func actions(evs []*service.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action
	}
	return out
}

// wantError fails unless err is a service error with code naming exactly fields (none for other codes).
func wantError(tb testing.TB, err error, code string, fields ...string) {
	tb.Helper()
	if got := service.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	got := []string{}
	for _, f := range service.ErrorFields(err) {
		got = append(got, f.Field)
	}
	if fields == nil {
		fields = []string{}
	}
	if diff := cmp.Diff(fields, got); diff != "" {
		tb.Fatalf("error fields (-want +got):\n%s\nerror: %v", diff, err)
	}
}

func mustDate(tb testing.TB, s string) calendar.Date {
	tb.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
