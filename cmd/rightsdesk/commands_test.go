package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/api/apitest"
	"github.com/rightsdesk/rightsdesk/store/storetest"
)

// TestHelp: every way of asking for help succeeds and prints what was asked for: the commands, or one
// command's own flags and no other command's.
func TestHelp(t *testing.T) {
	for _, sc := range []struct {
		args        []string
		want, never []string
	}{
		{args: []string{"--help"}, want: []string{"migrate", "token create", "keys rotate", "version"}},
		{args: []string{"-h"}, want: []string{"migrate", "token create"}},
		{args: []string{"help"}, want: []string{"migrate", "token create"}},
		{args: []string{"migrate", "--help"}, want: []string{"rightsdesk migrate", "-db"}, never: []string{"tls", "cors", "-addr"}},
		{args: []string{"help", "migrate"}, want: []string{"rightsdesk migrate", "-db"}, never: []string{"tls", "cors"}},
		{args: []string{"token", "create", "--help"}, want: []string{"-role", "-name", "-email", "-db"}, never: []string{"tls", "cors", "-addr"}},
		{args: []string{"token", "--help"}, want: []string{"-role", "-email"}, never: []string{"tls"}},
		{args: []string{"users", "invite", "--help"}, want: []string{"users invite", "-email", "-role", "-name", "-db"}, never: []string{"tls", "-addr"}},
		{args: []string{"keys", "rotate", "-h"}, want: []string{"keys rotate", "-db"}, never: []string{"tls", "cors", "-addr"}},
		{args: []string{"version", "--help"}, want: []string{"rightsdesk version"}, never: []string{"-db"}},
		{args: []string{"serve", "--help"}, want: []string{"-addr", "-tls-cert", "-cors-origins"}, never: []string{"-role"}},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), sc.args, env(nil), &out); err != nil {
			t.Errorf("%v: %v, want a clean exit", sc.args, err)
			continue
		}
		for _, w := range sc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v printed no %q:\n%s", sc.args, w, out.String())
			}
		}
		for _, n := range sc.never {
			if strings.Contains(out.String(), n) {
				t.Errorf("%v printed %q, another command's flag:\n%s", sc.args, n, out.String())
			}
		}
	}
	// Every command the usage lists answers both ways of asking for its help with its own usage.
	commands := 0
	for _, line := range strings.Split(usage, "\n") {
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		synopsis, _, _ := strings.Cut(strings.TrimSpace(line), "  ") // the description follows two spaces
		var name []string
		for _, w := range strings.Fields(synopsis) {
			if w[0] < 'a' || w[0] > 'z' {
				break
			}
			name = append(name, w)
		}
		if len(name) == 0 || name[0] == "help" {
			continue
		}
		commands++
		for _, args := range [][]string{append(append([]string{}, name...), "--help"), append([]string{"help"}, name...)} {
			var out bytes.Buffer
			if err := run(context.Background(), args, env(nil), &out); err != nil {
				t.Errorf("%v: %v, want a clean exit", args, err)
			} else if want := "usage: rightsdesk " + strings.Join(name, " "); !strings.HasPrefix(out.String(), want) {
				t.Errorf("%v printed %q, want it to start %q", args, out.String(), want)
			}
		}
	}
	if commands != 6 {
		t.Errorf("the usage lists %d commands, want 6 (serve, migrate, token create, users invite, keys rotate, version)", commands)
	}

	// A flag the command does not have is still an error, and says where the flags are listed.
	err := run(context.Background(), []string{"migrate", "-tls-cert", "x"}, env(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "migrate --help") {
		t.Errorf("migrate -tls-cert: %v, want an error pointing at migrate --help", err)
	}
	// So is a word the command does not take: serve does not start a server that ignores it.
	err = run(context.Background(), []string{"serve", "help"}, env(map[string]string{"RIGHTSDESK_DB": storetest.SQLite(t).DSN}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "serve --help") {
		t.Errorf("serve help: %v, want an error pointing at serve --help", err)
	}
}

// TestTokenCreateForExistingUser: `token create --email` gives the token to the user who has that address (in
// any case), through the API or an earlier token create; a new user only when none has it; a different role
// with that address is refused; an officer without an e-mail address is refused as the API refuses it.
func TestTokenCreateForExistingUser(t *testing.T) {
	db := storetest.SQLite(t).DSN
	secret := "bootstrap-secret-for-tests-0123456789"
	vars := map[string]string{"RIGHTSDESK_DB": db, "RIGHTSDESK_ENCRYPTION_KEY": testKey, "RIGHTSDESK_BOOTSTRAP_TOKEN": secret}
	p := start(t, vars)
	c := apitest.New(t, p.url)
	created := c.Do(t, http.MethodPost, "/api/v1/users", secret,
		map[string]any{"name": "Olivia Chen", "email": "olivia@example.com", "role": "officer"})
	if created.Status != http.StatusCreated {
		t.Fatalf("create Olivia: %d %s", created.Status, created.Body)
	}
	olivia := created.Map(t)["id"].(string)
	users := func() int { return len(c.Do(t, http.MethodGet, "/api/v1/users", secret, nil).Map(t)["items"].([]any)) }
	n := users()

	tokenCreate := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"token", "create"}, args...), env(vars), &out)
		return out.String(), err
	}
	out, err := tokenCreate("--role", "officer", "--name", "Olivia Chen", "--email", "Olivia@Example.com")
	if err != nil {
		t.Fatalf("token create for Olivia: %v", err)
	}
	if !strings.Contains(out, olivia) || !strings.Contains(out, "existing user") {
		t.Errorf("token create printed %q, want Olivia's existing user %s", out, olivia)
	}
	tok := strings.Fields(out)[0]
	if me := c.Do(t, http.MethodGet, "/api/v1/me", tok, nil).Map(t); me["user_id"] != olivia {
		t.Errorf("the CLI's token is %v, want Olivia %s", me, olivia)
	}
	if got := users(); got != n {
		t.Errorf("%d users after token create for an existing address, want %d", got, n)
	}

	// Nobody has this address: a new user, and a second token create finds that one.
	out, err = tokenCreate("--role", "officer", "--name", "Wang Fang", "--email", "wang.fang@example.com")
	if err != nil || !strings.Contains(out, "new user") {
		t.Fatalf("token create for a new officer: %q, %v", out, err)
	}
	if out2, err := tokenCreate("--role", "officer", "--name", "Wang Fang", "--email", "wang.fang@example.com"); err != nil || !strings.Contains(out2, "existing user") {
		t.Errorf("second token create for Wang Fang: %q, %v", out2, err)
	}
	if got := users(); got != n+1 {
		t.Errorf("%d users, want %d", got, n+1)
	}

	// The address belongs to an officer: an auditor's token for it is refused, not given to her.
	if _, err := tokenCreate("--role", "auditor", "--name", "Olivia", "--email", "olivia@example.com"); err == nil || !strings.Contains(err.Error(), olivia) {
		t.Errorf("auditor token for an officer's address: %v, want a conflict naming %s", err, olivia)
	}
	// An officer needs an e-mail address, as through the API.
	if _, err := tokenCreate("--role", "officer", "--name", "Nobody"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Errorf("officer without e-mail: %v, want an error naming --email", err)
	}
	// The API refuses the same address again, whatever its case.
	if res := c.Do(t, http.MethodPost, "/api/v1/users", secret,
		map[string]any{"name": "W. Fang", "email": "WANG.FANG@example.com", "role": "officer"}); res.Status != http.StatusConflict {
		t.Errorf("API user with Wang Fang's address: %d %s, want 409", res.Status, res.Body)
	}
}
