package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rightsdesk/rightsdesk/service"
)

const usage = `usage: rightsdesk [command] [flags]

commands:
  serve                                   run the service (the default)
  migrate                                 create or upgrade the database schema, then exit
  token create --role ROLE --name NAME [--email EMAIL]
                                          print a new API token once: for the existing user with that
                                          e-mail address, or for a new user
  users invite --email EMAIL --name NAME --role ROLE
                                          invite a person to the console: mail her a link to choose her
                                          password, and print it once
  keys rotate                             re-seal personal data under RIGHTSDESK_ENCRYPTION_KEY (online)
  version                                 print the version
  help [command]                          print this, or a command's own flags

"rightsdesk COMMAND --help" lists a command's flags. Configuration comes from RIGHTSDESK_* environment
variables; see README.md.
`

// run is the whole program, testable: it returns when ctx is cancelled (serve) or the command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (isHelp(args[0]) || args[0] != "" && args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "serve":
		return serve(ctx, args, getenv, stdout)
	case cmd == "migrate":
		return migrate(ctx, args, getenv, stdout)
	case cmd == "token":
		return token(ctx, args, getenv, stdout)
	case cmd == "users":
		return usersCommand(ctx, args, getenv, stdout)
	case cmd == "keys":
		return keysCommand(ctx, args, getenv, stdout)
	case cmd == "version":
		fs := commandFlags("version")
		if err := parseFlags(fs, args, stdout, "version", "Print the version."); err != nil {
			return ignoreHelp(err)
		}
		fmt.Fprintln(stdout, "rightsdesk", buildVersion())
		return nil
	case cmd == "help" || isHelp(cmd):
		if len(args) > 0 && cmd == "help" && !isHelp(args[0]) {
			return run(ctx, append(args[:1:1], append(args[1:], "--help")...), getenv, stdout)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// commandFlags is a subcommand's own flag set. It prints nothing by itself: parseFlags reports.
func commandFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a subcommand's flags; on -h or --help it prints the command's usage and only its own flags,
// and answers flag.ErrHelp, which the command turns into a clean exit (ignoreHelp).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, synopsis, what string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout, fs, synopsis, what)
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w (rightsdesk %s --help lists the flags)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (rightsdesk %s --help lists the flags)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// printUsage prints a command's synopsis, what it does, and its flags.
func printUsage(stdout io.Writer, fs *flag.FlagSet, synopsis, what string) {
	fmt.Fprintf(stdout, "usage: rightsdesk %s\n\n%s\n", synopsis, what)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(stdout, "\nflags:")
	fs.SetOutput(stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// dbArgs passes a -db flag on to open, which otherwise reads RIGHTSDESK_DB.
func dbArgs(db string) []string {
	if db == "" {
		return nil
	}
	return []string{"-db", db}
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := commandFlags("migrate")
	db := fs.String("db", "", "SQLite file path or postgres:// URL (default RIGHTSDESK_DB, then ./rightsdesk.db)")
	if err := parseFlags(fs, args, stdout, "migrate [-db DSN]", "Create or upgrade the database schema, then exit."); err != nil {
		return ignoreHelp(err)
	}
	a, _, err := open(ctx, "migrate", dbArgs(*db), getenv, stdout)
	if err != nil {
		return err
	}
	defer a.store.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

const tokenSynopsis = "token create --role ROLE --name NAME [--email EMAIL] [--db DSN]"

func token(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := commandFlags("token create")
	role := fs.String("role", "", "admin, officer, auditor, intake or integration")
	name := fs.String("name", "", "who or what the token is for, e.g. website-form; a new user's name")
	email := fs.String("email", "", "the person's e-mail address (required for officers): the token goes to the user who has it, if one does")
	db := fs.String("db", "", "SQLite file path or postgres:// URL (default RIGHTSDESK_DB, then ./rightsdesk.db)")
	what := "Print a new API token once. With --email, the token goes to the existing user with that address\n" +
		"(of the same role); a new user is created only if none has it."
	if len(args) == 0 || isHelp(args[0]) {
		printUsage(stdout, fs, tokenSynopsis, what)
		if len(args) == 0 {
			return fmt.Errorf("usage: rightsdesk %s", tokenSynopsis)
		}
		return nil
	}
	if args[0] != "create" {
		return fmt.Errorf("unknown token command %q; usage: rightsdesk %s", args[0], tokenSynopsis)
	}
	if err := parseFlags(fs, args[1:], stdout, tokenSynopsis, what); err != nil {
		return ignoreHelp(err)
	}
	a, _, err := open(ctx, "token", dbArgs(*db), getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.store.Close()
	p, err := a.svc.TokenForPerson(ctx, service.SystemActor, service.NewPrincipal{
		Name: *name, Email: strings.TrimSpace(*email), Role: service.Role(*role), TokenName: *name,
	})
	if err != nil {
		if fields := service.ErrorFields(err); len(fields) > 0 {
			return fmt.Errorf("--%s %s", fields[0].Field, fields[0].Message)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s\n", p.Secret)
	whose := "new user"
	if p.Existing {
		whose = "existing user"
	}
	fmt.Fprintf(stdout, "# token %s for %s (role %s, %s %s); it is shown only this once\n", p.Token.ID, p.User.Name, p.User.Role, whose, p.User.ID)
	return nil
}

// keysCommand re-seals every value sealed under a previous key (or not yet sealed) under the current key. Run it
// after restarting the replicas with the new RIGHTSDESK_ENCRYPTION_KEY and the old one in
// RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS; then the old key can be dropped.
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const synopsis = "keys rotate [-db DSN]"
	fs := commandFlags("keys rotate")
	db := fs.String("db", "", "SQLite file path or postgres:// URL (default RIGHTSDESK_DB, then ./rightsdesk.db)")
	what := "Re-seal personal data under RIGHTSDESK_ENCRYPTION_KEY, while the service runs."
	if len(args) == 0 || isHelp(args[0]) {
		printUsage(stdout, fs, synopsis, what)
		if len(args) == 0 {
			return fmt.Errorf("usage: rightsdesk %s", synopsis)
		}
		return nil
	}
	if args[0] != "rotate" {
		return fmt.Errorf("unknown keys command %q; usage: rightsdesk %s", args[0], synopsis)
	}
	if err := parseFlags(fs, args[1:], stdout, synopsis, what); err != nil {
		return ignoreHelp(err)
	}
	a, _, err := open(ctx, "keys rotate", dbArgs(*db), getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.store.Close()
	keys, err := loadKeys(a.cfg, a.log)
	if err != nil {
		return err
	}
	if err := service.LoadKeys(ctx, a.store, keys); err != nil {
		return err
	}
	n, err := a.store.RotateSealed(ctx, 500)
	if err != nil {
		return fmt.Errorf("rotate: %w (after %d values)", err, n)
	}
	fmt.Fprintf(stdout, "re-sealed %d value(s) under key %s\n", n, keys.KeyID())
	// The service of open was made with the same keys: it moves the audit head's MAC to the current key.
	if _, err := a.svc.RekeyAuditHead(ctx); err != nil {
		return fmt.Errorf("rotate the audit head's MAC: %w", err)
	}
	return nil
}

const usersSynopsis = "users invite --email EMAIL --name NAME --role ROLE [--db DSN]"

// usersCommand invites a person to the console: the user with the address, or a new one. The link is mailed
// through the outbox and printed once, for the operator to hand over when mail is not set up yet.
func usersCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := commandFlags("users invite")
	email := fs.String("email", "", "the person's e-mail address: she signs in with it, and the invitation goes there")
	name := fs.String("name", "", "her name, for a new user")
	role := fs.String("role", "", "admin, officer or auditor")
	db := fs.String("db", "", "SQLite file path or postgres:// URL (default RIGHTSDESK_DB, then ./rightsdesk.db)")
	what := "Invite a person to the console at /console/: a link to choose her password, valid 72 hours and usable\n" +
		"once, is e-mailed to her through the outbox and printed here once. The user with that address is invited\n" +
		"(she must have the role); a new user is created when nobody has it. A new invitation replaces older ones."
	if len(args) == 0 || isHelp(args[0]) {
		printUsage(stdout, fs, usersSynopsis, what)
		if len(args) == 0 {
			return fmt.Errorf("usage: rightsdesk %s", usersSynopsis)
		}
		return nil
	}
	if args[0] != "invite" {
		return fmt.Errorf("unknown users command %q; usage: rightsdesk %s", args[0], usersSynopsis)
	}
	if err := parseFlags(fs, args[1:], stdout, usersSynopsis, what); err != nil {
		return ignoreHelp(err)
	}
	a, _, err := open(ctx, "users invite", dbArgs(*db), getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.store.Close()
	inv, err := a.svc.InvitePerson(ctx, service.SystemActor, service.NewUser{Name: strings.TrimSpace(*name),
		Email: strings.TrimSpace(*email), Role: service.Role(*role)})
	if err != nil {
		if fields := service.ErrorFields(err); len(fields) > 0 {
			return fmt.Errorf("--%s %s", fields[0].Field, fields[0].Message)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s\n", inv.Link)
	fmt.Fprintf(stdout, "# invitation for %s (role %s, user %s), valid until %s; also e-mailed to %s through the outbox.\n"+
		"# The link is a secret: it is shown only this once.\n", inv.User.Name, inv.User.Role, inv.User.ID,
		inv.Invitation.ExpiresAt.Format("2006-01-02 15:04 MST"), inv.User.Email)
	return nil
}
