package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestMain lets the test binary stand in for `go run ./cmd/rightsdesk` in the README tour: with
// RIGHTSDESK_TOUR_SHIM=1 it is the program itself.
func TestMain(m *testing.M) {
	if os.Getenv("RIGHTSDESK_TOUR_SHIM") == "1" {
		if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "rightsdesk:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tourPrelude runs before the README's blocks. `go run ./cmd/rightsdesk ARGS` becomes this test binary, and curl
// becomes a function that keeps the answer's body on standard output as curl would, records each status, and
// fails the tour on anything but 2xx (a validating proxy answers 422 or 500 for a violation).
const tourPrelude = `set -euo pipefail
go() {
  if [ "${1-}" = run ] && [ "${2-}" = ./cmd/rightsdesk ]; then
    shift 2; RIGHTSDESK_TOUR_SHIM=1 "$RIGHTSDESK_TOUR_BIN" "$@"
  else
    echo "tour: only go run ./cmd/rightsdesk is provided, not: go $*" >&2; return 1
  fi
}
curl() {
  local body code method=GET url= prev= a
  for a in "$@"; do
    case "$prev" in -X) method=$a ;; esac
    case "$a" in http://*|https://*) url=$a ;; esac
    prev=$a
  done
  body=$(mktemp)
  code=$(command curl -o "$body" -w '%{http_code}' "$@") || { echo "tour: curl could not reach $url" >&2; rm -f "$body"; return 1; }
  printf '%s %s %s\n' "$code" "$method" "$url" >> "$RIGHTSDESK_TOUR_LOG"
  if [ "$code" -lt 200 ] || [ "$code" -ge 300 ]; then
    echo "tour: $method $url answered $code:" >&2; cat "$body" >&2; echo >&2; rm -f "$body"; return 1
  fi
  cat "$body"; echo; rm -f "$body"
}
`

// tourBlocks returns the shell blocks of the README between <!-- tour:begin and <!-- tour:end -->.
func tourBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin, end := strings.Index(text, "<!-- tour:begin"), strings.Index(text, "<!-- tour:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md marks no tour (<!-- tour:begin ... --> ... <!-- tour:end -->)")
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n```sh\n(.*?)\n```\n").FindAllStringSubmatch(text[begin:end], -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestREADMETour runs the README's tour, every block in order and as written, with bash against a real server
// on a fresh SQLite database, and fails on any answer that is not 2xx or that openapi.yaml does not allow. With RIGHTSDESK_TOUR_URL it runs against
// that address instead (a validating proxy in front of a server on RIGHTSDESK_DB: .ci/prism).
func TestREADMETour(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README tour needs %s, which is not installed", tool)
		}
	}
	blocks := tourBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("found %d tour blocks in README.md, want the whole tour", len(blocks))
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "statuses")
	vars := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "RIGHTSDESK_TOUR_BIN=" + self, "RIGHTSDESK_TOUR_LOG=" + log}
	if url := os.Getenv("RIGHTSDESK_TOUR_URL"); url != "" {
		// The server behind the proxy was started by the caller; the CLI shares its database and key.
		vars = append(vars, "RD="+url, "RIGHTSDESK_DB="+os.Getenv("RIGHTSDESK_DB"),
			"RIGHTSDESK_ENCRYPTION_KEY="+os.Getenv("RIGHTSDESK_ENCRYPTION_KEY"))
	} else {
		db := storetest.SQLite(t).DSN
		p := start(t, map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey})
		vars = append(vars, "RD="+checkingProxy(t, p.url), "RIGHTSDESK_DB="+db, "RIGHTSDESK_ENCRYPTION_KEY="+testKey)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", tourPrelude+strings.Join(blocks, "\n"))
	cmd.Dir, cmd.Env = dir, vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the tour stopped: %v\n--- stderr:\n%s\n--- stdout:\n%s", err, stderr.String(), stdout.String())
	}
	statuses, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSpace(string(statuses)), "\n")
	want := 0
	for _, b := range blocks {
		want += len(regexp.MustCompile(`(^|[\s(])curl `).FindAllString(b, -1))
	}
	if len(calls) != want {
		t.Errorf("the tour made %d HTTP calls, want the %d curl commands of the README:\n%s", len(calls), want, statuses)
	}
	for _, c := range calls {
		if !strings.HasPrefix(c, "2") {
			t.Errorf("not a success: %s", c)
		}
	}
	t.Logf("%d calls:\n%s", len(calls), statuses)
}

// checkingProxy forwards every request to upstream and checks every answer against openapi.yaml (apitest),
// failing the test on one the document does not allow.
func checkingProxy(t *testing.T, upstream string) string {
	c := apitest.New(t, upstream)
	c.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		res, err := c.Send(t, out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.Status)
		w.Write(res.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
