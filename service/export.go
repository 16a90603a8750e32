package service

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Export is a file an officer attached as the answer to an access or portability request.
type Export struct {
	ID        string
	RequestID string
	Name      string
	Size      int64
	SHA256    string
	Content   []byte // loaded only to package it
	CreatedAt time.Time
	CreatedBy string
	DeletedAt *time.Time // retention removed its content
}

// Transmission is the direct delivery of a portability copy to the recipient the subject named.
type Transmission struct {
	ID            string
	RequestID     string
	Endpoint      string
	Status        MailStatus // pending, sent (delivered) or failed, as in the outbox
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// ExportStore keeps export files and transmissions.
type ExportStore interface {
	// CreateExport inserts an export with its content.
	CreateExport(ctx context.Context, e *Export) error
	// SealExport seals an export's name and content ahead of the transaction that creates it (a 10 MiB file is
	// sealed before, never inside, the writer's critical section).
	SealExport(e *Export) (*Sealed[*Export], error)
	// CreateSealedExport inserts the export SealExport sealed.
	CreateSealedExport(ctx context.Context, se *Sealed[*Export]) error
	// RequestExports returns a request's exports by name, with their content when asked.
	RequestExports(ctx context.Context, requestID string, withContent bool) ([]*Export, error)
	// CreateTransmission inserts a transmission; ECONFLICT if the request has one.
	CreateTransmission(ctx context.Context, t *Transmission) error
	// DueTransmissions returns pending transmissions due at now.
	DueTransmissions(ctx context.Context, now time.Time, limit int) ([]*Transmission, error)
	// SaveTransmission saves a transmission's delivery state.
	SaveTransmission(ctx context.Context, t *Transmission) error
}

// Limits on exports: per file, per request.
const (
	MaxExportSize  = 10 << 20
	maxExportTotal = 50 << 20
	maxExportFiles = 20
	downloadLife   = 7 * 24 * time.Hour
)

// CheckExportTarget reports whether a may attach a file to request id now, so that an upload is refused before
// its body is read: ENOTFOUND for a request the actor may not see (audited as access.denied), ECONFLICT for
// one that takes no export. AttachExport checks again in its transaction.
func (s *Fulfilment) CheckExportTarget(ctx context.Context, a Actor, id string) error {
	if err := authorize(a, permWorkRequests); err != nil {
		return err
	}
	return s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		_, err := s.exportTarget(ctx, tx, id)
		return err
	})
}

// exportTarget finds a request the transaction's actor may attach exports to: visible, of a type and in a status that takes them.
func (s *Fulfilment) exportTarget(ctx context.Context, tx *fulfilmentTx, id string) (*Request, error) {
	r, err := s.workable(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := takesExport(r); err != nil {
		return nil, err
	}
	return r, nil
}

// AttachExport adds a file to the answer of an access or portability request.
func (s *Fulfilment) AttachExport(ctx context.Context, a Actor, id, name string, content []byte) (*Export, error) {
	if err := authorize(a, permWorkRequests); err != nil {
		return nil, err
	}
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var f fieldErrors
	switch {
	case name == "" || name == "." || name == ".." || name == "/" || !utf8.ValidString(name) || len([]rune(name)) > 200 ||
		hasControl(name, false):
		f.add("file", "needs a file name of at most 200 printable characters")
	case hasFormatCharacter(name):
		f.add("file", "must not contain bidirectional or other invisible formatting characters (such as U+202E), which disguise a file's type")
	case strings.EqualFold(name, "manifest.json"):
		f.add("file", "manifest.json is the package's own list of files; rename the file")
	case len(content) == 0:
		f.add("file", "is empty")
	case len(content) > MaxExportSize:
		f.add("file", "is over %d MiB", MaxExportSize>>20)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	e := &Export{ID: s.newID(), RequestID: id, Name: name, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]),
		Content: content, CreatedAt: s.now(), CreatedBy: a.UserID}
	sealed, err := s.db.SealExport(e)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		r, err := s.exportTarget(ctx, tx, id)
		if err != nil {
			return err
		}
		existing, err := tx.RequestExports(ctx, r.ID, false)
		if err != nil {
			return err
		}
		total := e.Size
		for _, x := range existing {
			total += x.Size
			if x.Name == e.Name {
				return Errorf(ECONFLICT, "the request has a file named %q already", e.Name)
			}
		}
		if len(existing) >= maxExportFiles || total > maxExportTotal {
			return Errorf(ECONFLICT, "a request takes at most %d files and %d MiB in all", maxExportFiles, maxExportTotal>>20)
		}
		if err := tx.CreateSealedExport(ctx, sealed); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, a, "export.attached", r.ID, map[string]string{"export_id": e.ID,
			"size": fmt.Sprint(e.Size), "sha256": e.SHA256})
	})
	if err != nil {
		return nil, err
	}
	e.Content = nil
	return e, nil
}

// Exports lists a request's export files (without content).
func (s *Fulfilment) Exports(ctx context.Context, a Actor, id string) ([]*Export, error) {
	if err := authorize(a, permReadRequests); err != nil {
		return nil, err
	}
	var out []*Export
	err := s.inTx(ctx, a, func(tx *fulfilmentTx) error {
		r, err := s.workable(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = tx.RequestExports(ctx, r.ID, false)
		return err
	})
	return out, err
}

// manifest describes a package: what it answers and the SHA-256 of every file, so the subject (or recipient)
// can check what they received.
type manifest struct {
	Reference   string         `json:"reference"`
	RequestType RequestType    `json:"request_type"`
	GeneratedAt string         `json:"generated_at"`
	Files       []manifestFile `json:"files"`
}

type manifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// packageExports zips a request's exports with manifest.json.
func packageExports(r *Request, exports []*Export, at time.Time) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	m := manifest{Reference: r.Reference, RequestType: r.Type, GeneratedAt: at.UTC().Format(time.RFC3339)}
	for _, e := range exports {
		if e.DeletedAt != nil {
			return nil, Errorf(ECONFLICT, "the export files of %s were deleted at the end of their retention", r.Reference)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: e.CreatedAt})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.Content); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, manifestFile{Name: e.Name, Size: e.Size, SHA256: e.SHA256})
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: at})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(mb); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Download is a package the subject fetches with the link in the reply.
type Download struct {
	FileName string
	Content  []byte
}

// DownloadExport answers the package behind a download link, and audits the download. ENOTFOUND for an unknown
// link; ECONFLICT for an expired one or deleted files.
func (s *Fulfilment) DownloadExport(ctx context.Context, token string) (*Download, error) {
	if err := validLinkToken(token); err != nil {
		return nil, err
	}
	var out *Download
	err := s.begin(ctx, func(tx fulfilmentStore) error {
		l, err := tx.FindSubjectLink(ctx, HashTokenSecret(token))
		if ErrorCode(err) == ENOTFOUND || (err == nil && l.Purpose != linkDownload) {
			return Errorf(ENOTFOUND, "this link is not valid")
		} else if err != nil {
			return err
		}
		now := s.now()
		if now.After(l.ExpiresAt) {
			return Errorf(ECONFLICT, "this download link has expired")
		}
		r, err := tx.FindRequest(ctx, l.RequestID)
		if err != nil {
			return err
		}
		exports, err := tx.RequestExports(ctx, r.ID, true)
		if err != nil {
			return err
		}
		zipped, err := packageExports(r, exports, now)
		if err != nil {
			return err
		}
		out = &Download{FileName: r.Reference + ".zip", Content: zipped}
		return s.appendEvent(ctx, tx, SubjectActor, "export.downloaded", r.ID, map[string]string{"size": fmt.Sprint(len(zipped))})
	})
	return out, err
}

// TransmissionsResult counts what a transmission run did.
type TransmissionsResult struct {
	Delivered, Retrying, Failed, Waiting int
	NotConfigured                        bool
}

func (r TransmissionsResult) String() string {
	if r.NotConfigured {
		return fmt.Sprintf("no transmitter configured: %d waiting", r.Waiting)
	}
	return fmt.Sprintf("%d delivered, %d to retry, %d failed", r.Delivered, r.Retrying, r.Failed)
}

// Transmit delivers due portability copies to their recipients, with the outbox's retry schedule.
func (s *Fulfilment) Transmit(ctx context.Context) (TransmissionsResult, error) {
	var res TransmissionsResult
	due, err := s.db.DueTransmissions(ctx, s.now(), 20)
	if err != nil || len(due) == 0 {
		return res, err
	}
	if s.transmitter == nil {
		res.NotConfigured, res.Waiting = true, len(due)
		return res, nil
	}
	for _, t := range due {
		r, err := s.db.FindRequest(ctx, t.RequestID)
		if err != nil {
			return res, err
		}
		exports, err := s.db.RequestExports(ctx, r.ID, true)
		if err != nil {
			return res, err
		}
		allowed, err := s.transmitAllowList(ctx)
		if err != nil {
			return res, err
		}
		body, err := packageExports(r, exports, t.CreatedAt)
		if err == nil {
			err = s.transmitter.Transmit(ctx, t.Endpoint, Delivery{ID: t.ID, Reference: r.Reference,
				ContentType: "application/zip", Body: body, AllowedHosts: allowed})
		}
		now := s.now()
		t.Attempts++
		var perm *PermanentError
		action := "export.transmitted"
		switch {
		case err == nil:
			t.Status, t.DeliveredAt, t.LastError = MailSent, &now, ""
			res.Delivered++
		case ErrorCode(err) == ECONFLICT || errors.As(err, &perm) || t.Attempts >= MaxMailAttempts:
			t.Status, t.LastError, action = MailFailed, failureText(err), "export.transmission_failed"
			res.Failed++
		default:
			t.NextAttemptAt, t.LastError, action = now.Add(retryBackoff(t.Attempts)), failureText(err), ""
			res.Retrying++
		}
		err = s.begin(ctx, func(tx fulfilmentStore) error {
			if err := tx.SaveTransmission(ctx, t); err != nil || action == "" {
				return err
			}
			return s.appendEvent(ctx, tx, SystemActor, action, r.ID, map[string]string{"transmission_id": t.ID,
				"attempts": fmt.Sprint(t.Attempts)})
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}
