package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver the product links, for the integrity check

	"github.com/rightsdesk/rightsdesk/bench/internal/filing"
)

var client = &http.Client{Timeout: 15 * time.Second}

// ledger holds the IDs the server acknowledged with 201.
type ledger struct {
	mu  sync.Mutex
	set map[string]bool
}

func newLedger() *ledger { return &ledger{set: map[string]bool{}} }

func (l *ledger) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set[id] = true
}

func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.set)
}

func (l *ledger) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.set))
	for id := range l.set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

type fileStats struct{ failed int64 }

// fileUntilKilled files from n clients until killAt, then kills the server mid-load and waits for the clients.
func (s *server) fileUntilKilled(ctx context.Context, n int, killAt time.Duration, acked *ledger) fileStats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				id, err := s.file(ctx, w, seq)
				if err != nil {
					failed.Add(1)
					if ctx.Err() == nil {
						time.Sleep(10 * time.Millisecond) // the server is dying: do not spin
					}
					continue
				}
				acked.add(id)
			}
		}()
	}
	select {
	case <-time.After(killAt):
	case <-ctx.Done():
	}
	s.kill()
	cancel()
	wg.Wait()
	return fileStats{failed: failed.Load()}
}

// file posts one filing and answers its ID only when the whole 201 answer arrived.
func (s *server) file(ctx context.Context, worker, seq int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/api/v1/requests",
		strings.NewReader(filing.Body(worker, seq)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("crash-%d-%d-%d-%d", os.Getpid(), s.cmd.Process.Pid, worker, seq))
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("201 without an id: %v", err)
	}
	return r.ID, nil
}

// readAll reads every ID back with n clients and answers those that did not answer 200 with themselves.
func (s *server) readAll(ctx context.Context, ids []string, n int) ([]string, error) {
	work := make(chan string)
	var mu sync.Mutex
	var missing []string
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				ok, err := s.readOne(ctx, id)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if !ok {
					missing = append(missing, id)
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if firstErr != nil && len(missing) == len(ids) {
		return missing, fmt.Errorf("read back: %w", firstErr)
	}
	return missing, nil
}

func (s *server) readOne(ctx context.Context, id string) (bool, error) {
	var r struct {
		ID string `json:"id"`
	}
	status, err := s.getJSON(ctx, "/api/v1/requests/"+url.PathEscape(id), &r)
	return err == nil && status == http.StatusOK && r.ID == id, err
}

// verifyAudit asks the server to verify the audit chain and answers how many events it checked.
func (s *server) verifyAudit(ctx context.Context) (int, error) {
	var v struct {
		OK      bool `json:"ok"`
		Checked int  `json:"checked"`
	}
	status, err := s.getJSON(ctx, "/api/v1/audit/verify", &v)
	if err != nil {
		return 0, fmt.Errorf("audit verify: %w", err)
	}
	if status != http.StatusOK || !v.OK {
		return v.Checked, fmt.Errorf("audit chain does not verify (status %d, ok %v, %d events checked)", status, v.OK, v.Checked)
	}
	return v.Checked, nil
}

func (s *server) getJSON(ctx context.Context, path string, into any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, into); err != nil {
			return resp.StatusCode, fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// waitReady polls /readyz until it answers 200, the server exits, or the wait times out.
func (s *server) waitReady(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("not ready after %s", wait)
}

// freeLoopbackAddr finds a port free on 127.0.0.1.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// checkSQLite runs SQLite's own consistency checks on the file, the server stopped.
func checkSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	rows.Close()
	if len(problems) > 0 {
		return fmt.Errorf("integrity_check: %s", strings.Join(problems[:min(5, len(problems))], "; "))
	}
	fk, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer fk.Close()
	if fk.Next() {
		return fmt.Errorf("foreign_key_check found dangling references")
	}
	return fk.Err()
}

// freshSchema makes a new schema on the server of base and answers a DSN using it and a func dropping it.
func freshSchema(ctx context.Context, base string) (string, func() error, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rdcrash_" + hex.EncodeToString(b[:])
	exec := func(ctx context.Context, q string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, q)
		return err
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	u, err := url.Parse(base)
	if err != nil {
		_ = drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
