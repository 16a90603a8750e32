package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DataSystem is one of the company's own systems that holds personal data, where Rightsdesk collects and erases a
// subject's data from the system's dataset map: a PostgreSQL or MySQL/MariaDB database, or an http service that
// receives a signed job and calls back.
type DataSystem struct {
	ID   string
	Name string
	Kind DataSystemKind
	// DSN connects the collector (SQL kinds): a read-only role is enough. Sealed at rest, never answered.
	DSN string
	// EraseDSN connects the eraser, a role that may update and delete; empty: DSN.
	EraseDSN string
	// Endpoint receives jobs (http kind).
	Endpoint string
	// OwnerEmail is chased when an http system does not call back in time.
	OwnerEmail string
	Map        DatasetMap
	// RowCap bounds the rows a run reaches per table; a subject with more fails the run, never truncates it.
	RowCap int
	// StatementTimeout bounds each statement (SQL kinds).
	StatementTimeout time.Duration
	// CallbackTimeout is how long an http system has to call back before its part of a run is overdue.
	CallbackTimeout time.Duration
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CreatedBy       string
}

// DataSystemKind says how Rightsdesk reaches a data system.
type DataSystemKind string

// The kinds of data system.
const (
	KindPostgres DataSystemKind = "postgres"
	KindMySQL    DataSystemKind = "mysql" // MySQL and MariaDB
	KindHTTP     DataSystemKind = "http"
)

// SQL reports whether Rightsdesk runs the system's map itself.
func (k DataSystemKind) SQL() bool { return k == KindPostgres || k == KindMySQL }

// Defaults and limits of a data system.
const (
	DefaultRowCap           = 1000
	maxRowCap               = 100000
	DefaultStatementTimeout = 5 * time.Second
	maxStatementTimeout     = 5 * time.Minute
	DefaultCallbackTimeout  = 72 * time.Hour
	maxCallbackTimeout      = 90 * 24 * time.Hour
	maxDSNLen               = 2000
	maxDataSystems          = 100
)

// DataSystemStore keeps data systems and the runs on them.
type DataSystemStore interface {
	// CreateDataSystem inserts d. ECONFLICT if its name is taken.
	CreateDataSystem(ctx context.Context, d *DataSystem) error
	// UpdateDataSystem saves every field of d. ENOTFOUND if none; ECONFLICT if its new name is taken.
	UpdateDataSystem(ctx context.Context, d *DataSystem) error
	// DeleteDataSystem removes a data system. ENOTFOUND if none.
	DeleteDataSystem(ctx context.Context, id string) error
	// FindDataSystem returns a data system with its DSNs opened. ENOTFOUND if none.
	FindDataSystem(ctx context.Context, id string) (*DataSystem, error)
	// ListDataSystems returns every data system by name, with its DSNs opened.
	ListDataSystems(ctx context.Context) ([]*DataSystem, error)
	// CreateRun inserts a run.
	CreateRun(ctx context.Context, r *Run) error
	// SaveRun saves a run's status, systems and finish time.
	SaveRun(ctx context.Context, r *Run) error
	// FindRun returns a run of a request. ENOTFOUND if none.
	FindRun(ctx context.Context, requestID, runID string) (*Run, error)
	// ListRuns returns a request's runs, newest first.
	ListRuns(ctx context.Context, requestID string) ([]*Run, error)
	// UnfinishedRuns returns the runs still waiting for an http system, oldest first.
	UnfinishedRuns(ctx context.Context, limit int) ([]*Run, error)
}

// DataSystemConnector runs dataset maps on company databases; the datasys package is one. Every method answers
// errors a caller may read: they name tables and columns, never values.
type DataSystemConnector interface {
	// CheckMap checks the system's map against its live schema. EINVALID naming the path under "map" of each
	// table or column the schema does not have; EUNAVAILABLE when the database cannot be reached.
	CheckMap(ctx context.Context, d *DataSystem) error
	// Collect returns every row the map reaches from the subject's identities, by table.
	Collect(ctx context.Context, d *DataSystem, job SubjectJob) (*Collected, error)
	// Erase applies the map's erasure to the rows reached, in one transaction; with preview it counts what it
	// would do and changes nothing.
	Erase(ctx context.Context, d *DataSystem, job SubjectJob, preview bool) (map[string]TableCounts, error)
}

// SubjectJob is what a connector needs to find one subject.
type SubjectJob struct {
	Email, Phone, AccountID string
	// HashKey keys the hashes that mask columns with hash: true; one per data system, never rotated, so that a
	// second run recognises values it masked.
	HashKey []byte
}

// Identities returns the subject's identities by the names a map uses.
func (j SubjectJob) Identities() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"email": j.Email, "phone": j.Phone, "account_id": j.AccountID} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// Collected is what a collection found: rows by table, each row a column -> value map.
type Collected struct {
	Tables map[string][]map[string]any
}

// TableCounts is what a run found and did in one table.
type TableCounts struct {
	Rows     int `json:"rows"`
	Deleted  int `json:"deleted"`
	Updated  int `json:"updated"`
	Retained int `json:"retained"`
}

// MaskHash is the keyed hash that masks a value: recognisable by its prefix, so that masking again changes nothing.
func MaskHash(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return MaskHashPrefix + fmt.Sprintf("%x", m.Sum(nil)[:12])
}

// MaskHashPrefix starts every masking hash.
const MaskHashPrefix = "h:"

// dataSystemHashKey is a data system's masking key, derived from the index secret, which never rotates.
func (s *core) dataSystemHashKey(systemID string) []byte {
	return derive(s.keys.index, "rightsdesk mask v1 "+systemID)
}

// DataSystemInput is what an admin registers or replaces. Pointer fields left nil take their defaults (on
// update: keep their value).
type DataSystemInput struct {
	Name                    string
	Kind                    DataSystemKind
	DSN, EraseDSN, Endpoint string
	OwnerEmail              string
	Map                     *DatasetMap
	// MapYAML is the map as YAML text, instead of Map.
	MapYAML            string
	RowCap             *int
	StatementTimeoutMS *int
	CallbackTimeoutH   *int
}

// validateDataSystem fills d from in and checks it, naming each bad field.
func validateDataSystem(in DataSystemInput, d *DataSystem, update bool) error {
	var f fieldErrors
	validName(&f, "name", in.Name)
	if strings.ContainsAny(in.Name, "/\\") {
		f.add("name", "must not contain / or \\: it names the system's export file")
	}
	switch {
	case update && in.Kind != d.Kind:
		f.add("kind", "cannot change; register a new system instead")
	case !oneOf(in.Kind, []DataSystemKind{KindPostgres, KindMySQL, KindHTTP}):
		f.add("kind", "must be one of postgres, mysql, http")
	}
	d.Name, d.Kind = in.Name, in.Kind
	if in.Kind.SQL() {
		if in.Endpoint != "" {
			f.add("endpoint", "is for http systems; a SQL system takes dsn")
		}
		switch {
		case in.DSN == "" && (!update || d.DSN == ""):
			f.add("dsn", "is required")
		case len(in.DSN) > maxDSNLen || hasControl(in.DSN, false):
			f.add("dsn", "must be at most %d printable characters", maxDSNLen)
		case in.DSN != "":
			d.DSN = in.DSN
		}
		if len(in.EraseDSN) > maxDSNLen || hasControl(in.EraseDSN, false) {
			f.add("erase_dsn", "must be at most %d printable characters", maxDSNLen)
		} else if in.EraseDSN != "" {
			d.EraseDSN = in.EraseDSN
		}
	}
	if in.Kind == KindHTTP {
		if in.DSN != "" || in.EraseDSN != "" {
			f.add("dsn", "is for SQL systems; an http system takes endpoint")
		}
		u, err := url.Parse(in.Endpoint)
		switch {
		case in.Endpoint == "":
			f.add("endpoint", "is required")
		case len(in.Endpoint) > maxURLLen || err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil:
			f.add("endpoint", "must be an https URL without user info, at most %d characters", maxURLLen)
		}
		d.Endpoint = in.Endpoint
		email(&f, "owner_email", in.OwnerEmail)
		if in.OwnerEmail == "" {
			f.add("owner_email", "is required: it is chased when the system does not call back")
		}
	} else if in.OwnerEmail != "" {
		email(&f, "owner_email", in.OwnerEmail)
	}
	d.OwnerEmail = in.OwnerEmail
	if in.RowCap != nil {
		if *in.RowCap < 1 || *in.RowCap > maxRowCap {
			f.add("row_cap", "must be 1 to %d", maxRowCap)
		}
		d.RowCap = *in.RowCap
	} else if d.RowCap == 0 {
		d.RowCap = DefaultRowCap
	}
	if in.StatementTimeoutMS != nil {
		if *in.StatementTimeoutMS < 1 || time.Duration(*in.StatementTimeoutMS)*time.Millisecond > maxStatementTimeout {
			f.add("statement_timeout_ms", "must be 1 to %d", maxStatementTimeout.Milliseconds())
		}
		d.StatementTimeout = time.Duration(*in.StatementTimeoutMS) * time.Millisecond
	} else if d.StatementTimeout == 0 {
		d.StatementTimeout = DefaultStatementTimeout
	}
	if in.CallbackTimeoutH != nil {
		if *in.CallbackTimeoutH < 1 || time.Duration(*in.CallbackTimeoutH)*time.Hour > maxCallbackTimeout {
			f.add("callback_timeout_hours", "must be 1 to %d", int(maxCallbackTimeout.Hours()))
		}
		d.CallbackTimeout = time.Duration(*in.CallbackTimeoutH) * time.Hour
	} else if d.CallbackTimeout == 0 {
		d.CallbackTimeout = DefaultCallbackTimeout
	}
	switch {
	case in.Map != nil && in.MapYAML != "":
		f.add("map", "give map or map_yaml, not both")
	case in.Map != nil:
		for _, e := range in.Map.Validate("map") {
			f = append(f, e)
		}
		d.Map = *in.Map
	case in.MapYAML != "":
		m, err := ParseDatasetMapYAML("map_yaml", []byte(in.MapYAML))
		if err != nil {
			f = append(f, ErrorFields(err)...)
		} else {
			d.Map = *m
		}
	default:
		f.add("map", "is required (or map_yaml)")
	}
	return f.err()
}
