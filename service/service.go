// Package service is the core of Rightsdesk: the domain types, their rules, the request state machine and the
// legal deadlines. It imports nothing internal but its calendar; adapters (api, store, scheduler) depend on it.
package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Service carries out every use case of Rightsdesk: it is the composition root of the areas, each a use-case
// type over the one shared core, and adapters call the areas' methods through it. Safe for concurrent use.
type Service struct {
	*core
	*Intake
	*Workflow
	*Fulfilment
	*Escalation
	*Admin
	*Reporting
	*Sessions
	*Accounts
}

// Config is what New needs.
type Config struct {
	Store Store
	// Now is the clock. Deadlines are law: every time the service reads comes from here.
	Now func() time.Time
	// NewID returns a new unique ID; default time-ordered UUIDs (version 7) by the service clock.
	NewID func() string
	// Keys are derived from the operator's master key; nil: a fixed key known to all, for tests (the program always
	// passes the operator's, so that keyed hashes survive restarts).
	Keys *Keys
	// PublicURL is the base of links in e-mails, e.g. https://privacy.example.com; default http://localhost:8080.
	PublicURL string
	// OrgName is the organisation answering requests (RIGHTSDESK_ORG_NAME): mails greet and sign in its name.
	// Default DefaultOrgName.
	OrgName string
	// Mailer delivers the outbox; nil: mail stays queued, visibly.
	Mailer Mailer
	// DPOEmail is the data protection officer, the last step of the escalation ladder.
	DPOEmail string
	// Transmitter sends portability copies to third parties; nil: transmissions wait, visibly.
	Transmitter Transmitter
	// Connector runs dataset maps on the company's databases (postgres, mysql data systems); nil: SQL data systems
	// cannot be registered or run.
	Connector DataSystemConnector
	// TransmitAllowHosts is the operator's fixed part of the transmit allow-list (RIGHTSDESK_TRANSMIT_ALLOW_HOSTS):
	// hostnames or IP addresses that may be private or loopback. The API shows them but cannot remove them.
	TransmitAllowHosts []string
	// Retention is how long after closure a request keeps its subject's personal data; default 3 years.
	Retention time.Duration
	// SubjectDailyCap bounds web-form filings per subject per 24 hours; default 5.
	SubjectDailyCap int
	// SessionIdle ends a console session unused this long; default DefaultSessionIdle. SessionMax ends one this long
	// after sign-in, used or not; default DefaultSessionMax.
	SessionIdle, SessionMax time.Duration
}

// DefaultOrgName signs mails when no organisation is configured.
const DefaultOrgName = "Rightsdesk"

// New returns a service over cfg.Store, with the calendars it has loaded.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Now == nil || cfg.Keys == nil {
		return nil, errors.New("service: Store, Now and Keys are required")
	}
	s := &core{store: cfg.Store, clock: cfg.Now, newID: cfg.NewID, keys: cfg.Keys,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"), mailer: cfg.Mailer, dpoEmail: cfg.DPOEmail,
		transmitter: cfg.Transmitter, connector: cfg.Connector, retention: cfg.Retention,
		policies: ShippedPolicies()}
	if s.newID == nil {
		s.newID = func() string { return newTimeOrderedID(s.now()) }
	}
	allowHosts, err := fixedAllowList(cfg.TransmitAllowHosts)
	if err != nil {
		return nil, err
	}
	s.allowHosts = allowHosts
	s.subjectDailyCap = cfg.SubjectDailyCap
	if s.subjectDailyCap <= 0 {
		s.subjectDailyCap = 5
	}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
	s.orgName = strings.TrimSpace(cfg.OrgName)
	if s.orgName == "" {
		s.orgName = DefaultOrgName
	}
	if s.publicURL == "" {
		s.publicURL = "http://localhost:8080"
	}
	intake := &Intake{core: s, db: s.store, begin: viewTx(s.store, asIntakeStore)}
	svc := &Service{core: s, Intake: intake, Workflow: newWorkflow(s, s.store, viewTx(s.store, asWorkflowStore), intake), Fulfilment: &Fulfilment{core: s, db: s.store, begin: viewTx(s.store, asFulfilmentStore)},
		Escalation: newEscalation(s, s.store, viewTx(s.store, asEscalationStore)), Admin: &Admin{core: s, db: s.store, begin: viewTx(s.store, asAdminStore)}, Reporting: &Reporting{core: s, db: s.store, begin: viewTx(s.store, asReportingStore)}}
	svc.Sessions = &Sessions{core: s, db: s.store, begin: viewTx(s.store, asSessionStore), idle: cfg.SessionIdle,
		max: cfg.SessionMax}
	svc.Accounts = &Accounts{core: s, db: s.store, begin: viewTx(s.store, asAccountsStore),
		hashing: make(chan struct{}, concurrentHashes)}
	if svc.Sessions.idle <= 0 {
		svc.Sessions.idle = DefaultSessionIdle
	}
	if svc.Sessions.max <= 0 {
		svc.Sessions.max = DefaultSessionMax
	}
	if err := svc.RefreshCalendars(ctx); err != nil {
		return nil, err
	}
	head, keyed, err := s.keyAuditHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("key the audit head: %w", err)
	}
	if keyed {
		s.headKeyedAtStart = head
	}
	return svc, nil
}

// Policies returns the policies a request may name, the default first.
func (s *core) Policies(ctx context.Context, a Actor) ([]*Policy, error) {
	if err := authorize(a, permReadReference); err != nil {
		return nil, err
	}
	return s.policies, nil
}

// policy returns the named policy. EINVALID naming "policy" if there is none.
func (s *core) policy(name string) (*Policy, error) {
	for _, p := range s.policies {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, Invalid(FieldError{"policy", "is not a policy (GET /api/v1/policies lists them)"})
}

// Ready reports whether the service can serve: the database answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// permission is one thing a role may do.
type permission string

const (
	permFileRequest   permission = "file_request"
	permReadRequests  permission = "read_requests"
	permReadReference permission = "read_reference" // policies, calendars, deadline previews
	permLoadCalendar  permission = "load_calendar"
	permManageUsers   permission = "manage_users"
	permVerifyAudit   permission = "verify_audit"
	permReadReports   permission = "read_reports"
	permReadUsers     permission = "read_users"
	permManageQueues  permission = "manage_queues"
	permWorkRequests  permission = "work_requests" // transitions, assignment, replies, notes, extensions
	permRunJobs       permission = "run_jobs"
	permReadJobs      permission = "read_jobs"
	permManageOutbox  permission = "manage_outbox"
	permManageBackups permission = "manage_backups"
	permReadBackups   permission = "read_backups"
	permRecordBackups permission = "record_backups" // refreshes and restores: backup tooling
	permSuppressions  permission = "check_suppressions"
	permReadAllowList permission = "read_allow_list" // the hosts transmissions may reach on private addresses
	permEditAllowList permission = "edit_allow_list"
	permDataSystems   permission = "manage_data_systems" // the company databases runs reach, and their DSNs
	permReadAudit     permission = "read_audit"          // the events that concern no request: users, tokens, queues...
)

// grants is the one table of who may do what; object-level checks (queues) come on top.
var grants = map[permission][]Role{
	permFileRequest:   {RoleIntake, RoleOfficer, RoleAdmin},
	permReadRequests:  {RoleOfficer, RoleAuditor, RoleAdmin},
	permReadReference: {RoleOfficer, RoleAuditor, RoleAdmin},
	permLoadCalendar:  {RoleAdmin},
	permManageUsers:   {RoleAdmin},
	permVerifyAudit:   {RoleAuditor, RoleAdmin},
	permReadAudit:     {RoleAuditor, RoleAdmin},
	permReadReports:   {RoleAuditor, RoleAdmin, RoleOfficer},
	permReadUsers:     {RoleAuditor, RoleAdmin},
	permManageQueues:  {RoleAdmin},
	permWorkRequests:  {RoleOfficer, RoleAdmin},
	permRunJobs:       {RoleAdmin},
	permReadJobs:      {RoleAuditor, RoleAdmin},
	permManageOutbox:  {RoleAdmin},
	permManageBackups: {RoleAdmin},
	permReadBackups:   {RoleOfficer, RoleAuditor, RoleAdmin, RoleIntegration},
	permRecordBackups: {RoleIntegration, RoleAdmin},
	permSuppressions:  {RoleIntegration, RoleOfficer, RoleAdmin},
	permReadAllowList: {RoleAuditor, RoleAdmin},
	permEditAllowList: {RoleAdmin},
	permDataSystems:   {RoleAdmin},
}

// authorize answers EFORBIDDEN unless a's role holds p.
func authorize(a Actor, p permission) error {
	for _, r := range grants[p] {
		if a.Role == r {
			return nil
		}
	}
	return Forbidden(a.Role, grants[p])
}

// Capability is something a page may offer a person: each is the permission its use case checks, so that a
// page shows an action exactly when the service would allow it (and the service still checks the action).
type Capability permission

// The capabilities the console asks about.
const (
	CanManageUsers   = Capability(permManageUsers)
	CanManageQueues  = Capability(permManageQueues)
	CanRunJobs       = Capability(permRunJobs)
	CanManageOutbox  = Capability(permManageOutbox)
	CanManageBackups = Capability(permManageBackups)
	CanEditAllowList = Capability(permEditAllowList)
	CanLoadCalendar  = Capability(permLoadCalendar)
	CanReadAudit     = Capability(permReadAudit)
	CanReadReports   = Capability(permReadReports)
	CanReadUsers     = Capability(permReadUsers)
	CanReadRequests  = Capability(permReadRequests)
)

// Can reports whether the actor's role grants c.
func (a Actor) Can(c Capability) bool { return authorize(a, permission(c)) == nil }
