// Command crash proves that an acknowledged filing survives kill -9: it starts the real rightsdesk binary on
// 127.0.0.1, files requests from several clients at once recording every ID answered 201, kills the server with
// SIGKILL at a random moment, restarts it, and repeats for -rounds rounds. Then every recorded ID must read back
// (GET /api/v1/requests/{id} -> 200), the audit chain must verify after every restart (GET /api/v1/audit/verify
// -> ok: true), and a SQLite file must pass PRAGMA integrity_check and foreign_key_check. It prints one PASS or
// FAIL line and exits 0 or 1.
//
//	go run ./bench/crash -rounds 3 -duration 3s                  # the short form CI runs (SQLite)
//	go run ./bench/crash -rounds 20 -duration 10s -concurrency 16
//	go run ./bench/crash -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'   # a fresh schema, dropped after
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Fixed secrets of the throwaway servers this driver starts; never used anywhere else.
const (
	adminToken    = "rd_crash_test_admin_token_not_a_secret"
	encryptionKey = "Y3Jhc2gtdGVzdC1rZXktbm90LWEtc2VjcmV0LTMyYiE=" // base64 of 32 bytes
)

type config struct {
	bin         string
	db          string
	rounds      int
	duration    time.Duration
	concurrency int
	seed        uint64
	keep        bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "the rightsdesk binary (default: go build ./cmd/rightsdesk into a temporary directory)")
	flag.StringVar(&cfg.db, "db", "", "a postgres:// server DSN to test PostgreSQL in a fresh schema (default: a new SQLite file)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "kill -9 rounds (1 to 100)")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "longest filing load of a round; the kill falls between a quarter of it and all of it")
	flag.IntVar(&cfg.concurrency, "concurrency", 8, "clients filing at once (1 to 64)")
	flag.Uint64Var(&cfg.seed, "seed", 0, "random seed of the kill moments (default: from the clock; printed)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory (database, server logs)")
	flag.Parse()
	if cfg.rounds < 1 || cfg.rounds > 100 || cfg.duration <= 0 || cfg.duration > 5*time.Minute ||
		cfg.concurrency < 1 || cfg.concurrency > 64 {
		fmt.Fprintln(os.Stderr, "crash: -rounds 1-100, -duration up to 5m, -concurrency 1-64")
		os.Exit(2)
	}
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	summary, err := run(ctx, cfg)
	if err != nil {
		fmt.Printf("FAIL crash test (seed %d): %v\n", cfg.seed, err)
		os.Exit(1)
	}
	fmt.Printf("PASS crash test (seed %d): %s\n", cfg.seed, summary)
}

func run(ctx context.Context, cfg config) (string, error) {
	dir, err := os.MkdirTemp("", "rightsdesk-crash-")
	if err != nil {
		return "", err
	}
	if cfg.keep {
		fmt.Fprintln(os.Stderr, "crash: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "rightsdesk")
		build := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "./cmd/rightsdesk")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return "", fmt.Errorf("build rightsdesk (run from the repository root, or pass -bin): %w", err)
		}
	}
	db := filepath.Join(dir, "rightsdesk.db")
	if cfg.db != "" {
		var drop func() error
		if db, drop, err = freshSchema(ctx, cfg.db); err != nil {
			return "", err
		}
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, "crash: drop schema:", err)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 0xc7a5))
	acked := newLedger()
	for round := 1; round <= cfg.rounds; round++ {
		srv, err := start(ctx, cfg.bin, db, dir, round)
		if err != nil {
			return "", fmt.Errorf("round %d: %w", round, err)
		}
		// A restart after a kill must find the chain whole before more is filed.
		if _, err := srv.verifyAudit(ctx); err != nil {
			srv.kill()
			return "", fmt.Errorf("round %d, after restart: %w", round, err)
		}
		killAt := cfg.duration/4 + time.Duration(rng.Int64N(int64(cfg.duration-cfg.duration/4)+1))
		before := acked.len()
		stats := srv.fileUntilKilled(ctx, cfg.concurrency, killAt, acked)
		fmt.Fprintf(os.Stderr, "crash: round %d: kill -9 after %s: %d filings acknowledged (%d in flight or refused at the kill)\n",
			round, killAt.Round(time.Millisecond), acked.len()-before, stats.failed)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	srv, err := start(ctx, cfg.bin, db, dir, cfg.rounds+1)
	if err != nil {
		return "", fmt.Errorf("final restart: %w", err)
	}
	defer srv.kill()
	if acked.len() == 0 {
		return "", errors.New("no filing was acknowledged: the test proved nothing")
	}
	if missing, err := srv.readAll(ctx, acked.ids(), cfg.concurrency); err != nil {
		return "", err
	} else if len(missing) > 0 {
		return "", fmt.Errorf("%d of %d acknowledged requests are missing after kill -9, e.g. %s",
			len(missing), acked.len(), strings.Join(missing[:min(3, len(missing))], ", "))
	}
	checked, err := srv.verifyAudit(ctx)
	if err != nil {
		return "", fmt.Errorf("after the last restart: %w", err)
	}
	if err := srv.stop(); err != nil {
		return "", fmt.Errorf("stop: %w", err)
	}
	integrity := "PostgreSQL (no file check)"
	if cfg.db == "" {
		if err := checkSQLite(ctx, db); err != nil {
			return "", err
		}
		integrity = "integrity_check ok, foreign_key_check clean"
	}
	return fmt.Sprintf("%d rounds, %d acknowledged filings all readable, %s, audit chain verified (%d events)",
		cfg.rounds, acked.len(), integrity, checked), nil
}

// server is one run of the binary under test.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// start runs the binary on a free loopback port and waits until it is ready.
func start(ctx context.Context, bin, db, dir string, round int) (*server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("server-%d.log", round)))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "RIGHTSDESK_DB="+db, "RIGHTSDESK_ADDR="+addr, "RIGHTSDESK_SCHEDULER=off",
		"RIGHTSDESK_BOOTSTRAP_TOKEN="+adminToken, "RIGHTSDESK_ENCRYPTION_KEY="+encryptionKey,
		"RIGHTSDESK_LOG_LEVEL=warn", "RIGHTSDESK_SMTP_URL=",
		// Every client here is one loopback address with one token: lift the filing rate limits, or the test
		// would prove only that 429s are durable.
		"RIGHTSDESK_FILINGS_PER_MINUTE=10000000", "RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS=10000000")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.kill()
		return nil, fmt.Errorf("server did not become ready (log %s): %w", logf.Name(), err)
	}
	return s, nil
}

// kill sends SIGKILL to the server (only to it, by its PID) and waits for it to die.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.done <- errors.New("killed")
}

// stop asks the server to finish (SIGTERM) and waits, killing it after 30 s.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- errors.New("stopped")
		return err
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("did not stop within 30 s of SIGTERM")
	}
}
