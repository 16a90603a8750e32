package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/api"
	"github.com/rightsdesk/rightsdesk/datasys"
	"github.com/rightsdesk/rightsdesk/mail"
	"github.com/rightsdesk/rightsdesk/scheduler"
	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
	"github.com/rightsdesk/rightsdesk/transmit"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// replicaName names this process in job leases and run records.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

func newLogger(w io.Writer, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("RIGHTSDESK_LOG_LEVEL: %w", err)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// app is the wired program: store and service.
type app struct {
	cfg   config
	log   zerolog.Logger
	store *store.Store
	svc   *service.Service
}

// open wires config -> store (migrated) -> service.
func open(ctx context.Context, name string, args []string, getenv func(string) string, stdout io.Writer) (*app, *flag.FlagSet, error) {
	cfg, fs, err := parseConfig(name, args, getenv)
	if err != nil {
		return nil, fs, err
	}
	log, err := newLogger(stdout, cfg.LogLevel)
	if err != nil {
		return nil, fs, err
	}
	keys, err := loadKeys(cfg, log)
	if err != nil {
		return nil, fs, err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{Now: time.Now, Sealer: keys})
	if err != nil {
		return nil, fs, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fs, err
	}
	if err := service.LoadKeys(ctx, st, keys); err != nil {
		st.Close()
		return nil, fs, fmt.Errorf("keys: %w", err)
	}
	// Text an older version kept in clear is sealed now, as part of migrating.
	if n, err := st.SealClearText(ctx, 500); err != nil {
		st.Close()
		return nil, fs, fmt.Errorf("seal text kept in clear: %w (after %d values)", err, n)
	} else if n > 0 {
		log.Info().Int("values", n).Msg("sealed text an older version kept in clear")
	}
	// Requests an older version filed get the phone's keyed hash a search by phone uses.
	if n, err := st.BackfillPhoneIndex(ctx, 500, keys.PhoneIndex); err != nil {
		st.Close()
		return nil, fs, fmt.Errorf("index the phones of older requests: %w (after %d requests)", err, n)
	} else if n > 0 {
		log.Info().Int("requests", n).Msg("indexed the phones of requests an older version filed")
	}
	var mailer service.Mailer
	if cfg.SMTPURL != "" {
		smtpCfg, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			st.Close()
			return nil, fs, fmt.Errorf("RIGHTSDESK_SMTP_URL: %w", err)
		}
		smtpCfg.FromName = cfg.OrgName
		if mailer, err = mail.NewSender(smtpCfg, cfg.MailFrom); err != nil {
			st.Close()
			return nil, fs, fmt.Errorf("RIGHTSDESK_MAIL_FROM: %w", err)
		}
	}
	var transmitter service.Transmitter
	if cfg.TransmitSecret != "" {
		secret, err := base64.StdEncoding.DecodeString(cfg.TransmitSecret)
		if err != nil {
			st.Close()
			return nil, fs, fmt.Errorf("RIGHTSDESK_TRANSMIT_SECRET must be base64 (openssl rand -base64 32)")
		}
		// The allow-list goes to the service, which hands each delivery the operator's and the admins' entries.
		if transmitter, err = transmit.New(transmit.Config{Secret: secret}); err != nil {
			st.Close()
			return nil, fs, fmt.Errorf("RIGHTSDESK_TRANSMIT_SECRET: %w", err)
		}
	}
	svc, err := service.New(ctx, service.Config{Store: st, Now: time.Now, Keys: keys, PublicURL: cfg.PublicURL,
		OrgName: cfg.OrgName, Mailer: mailer, DPOEmail: cfg.DPOEmail, Transmitter: transmitter, TransmitAllowHosts: cfg.TransmitAllow,
		Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour, SubjectDailyCap: cfg.SubjectCap,
		Connector:   datasys.New(log.With().Str("component", "datasys").Logger()),
		SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax})
	if err != nil {
		st.Close()
		return nil, fs, err
	}
	if head, ok := svc.HeadKeyedAtStart(); ok {
		log.Warn().Int64("seq", head.Seq).Msg("the audit head had no MAC and was keyed now: expected once, on the " +
			"first start after the upgrade that introduced it; at any later start someone removed the MAC " +
			"(compare the head with a recorded GET /api/v1/audit/verify)")
	}
	return &app{cfg: cfg, log: log, store: st, svc: svc}, fs, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	a, fs, err := open(ctx, "serve", args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout, fs, "serve [flags]", "Run the service (the default command). Every flag has an environment variable; see README.md.")
		return nil
	}
	if err != nil {
		return err
	}
	defer a.store.Close()
	secret, err := a.svc.EnsureAdmin(ctx, a.cfg.BootstrapToken)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if secret != "" && a.cfg.BootstrapToken == "" {
		fmt.Fprintf(stdout, "\nAdmin token (shown only this once; keep it safe):\n\n    %s\n\n", secret)
	}
	if err := firstAdmin(ctx, a, stdout); err != nil {
		return err
	}
	holder := replicaName()
	var sched *scheduler.Scheduler
	if a.cfg.Scheduler {
		if sched, err = scheduler.New(scheduler.Config{Service: a.svc, Logger: a.log, Holder: holder,
			Schedules: a.cfg.Schedules}); err != nil {
			return err
		}
	}
	apiCfg := api.Config{Service: a.svc, Logger: a.log, CORSOrigins: a.cfg.CORSOrigins, Holder: holder,
		FilingsPerMinute: a.cfg.FilingsPerMin, FilingsPerMinutePerAddress: a.cfg.FilingsPerIP,
		TrustedProxies: a.cfg.TrustedProxies, TLS: a.cfg.TLSCert != ""}
	if sched != nil {
		apiCfg.Schedules = sched
	}
	apiHandler, err := api.New(apiCfg)
	if err != nil {
		return err
	}
	handler, err := withPages(a, apiHandler)
	if err != nil {
		return err
	}
	if a.cfg.SMTPURL == "" {
		a.log.Warn().Msg("RIGHTSDESK_SMTP_URL is not set: e-mail stays queued in the outbox (GET /api/v1/outbox)")
	}
	if a.cfg.TransmitSecret == "" {
		a.log.Warn().Msg("RIGHTSDESK_TRANSMIT_SECRET is not set: portability copies to third parties wait (job transmissions)")
	}
	for _, w := range a.svc.Warnings() {
		a.log.Warn().Msg(w)
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	a.log.Info().Str("addr", ln.Addr().String()).Str("url", scheme+"://"+ln.Addr().String()).
		Str("db_dialect", a.store.Dialect()).Str("version", buildVersion()).Msg("listening")
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		if sched != nil {
			sched.Run(schedCtx)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		if a.cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.cfg.TLSCert, a.cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info().Msg("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	stopSched()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-schedDone
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	a.log.Info().Msg("stopped")
	return nil
}

// firstAdmin makes sure somebody can sign in to the console. While no admin can, RIGHTSDESK_ADMIN_EMAIL is
// invited as the first admin; without the variable, a setup link lets whoever opens it choose her name, e-mail
// address and password as the first admin. Either link is printed on stdout, once, like the bootstrap token:
// never in the structured log, where secrets must not go. A later start while the setup link is still good
// prints no new one; the log says so, and how to invite an admin instead.
func firstAdmin(ctx context.Context, a *app, stdout io.Writer) error {
	if a.cfg.AdminEmail == "" {
		ok, err := a.svc.AdminCanSignIn(ctx)
		if err != nil || ok {
			return err
		}
		issued, err := a.svc.IssueSetupLink(ctx)
		if err != nil {
			return fmt.Errorf("first admin: %w", err)
		}
		if issued == nil {
			a.log.Warn().Msg("no admin can sign in to the console yet: the setup link printed at the first start is " +
				"still valid (72 hours). For a new link, run: rightsdesk users invite --role admin --email ADDRESS " +
				"--name NAME (or set RIGHTSDESK_ADMIN_EMAIL and restart)")
			return nil
		}
		fmt.Fprintf(stdout, "\nFirst admin: open this link to choose your name, e-mail address and password, and sign in "+
			"to the console (valid for 72 hours; shown only this once):\n\n    %s\n\n", issued.Link)
		return nil
	}
	inv, err := a.svc.InviteFirstAdmin(ctx, a.cfg.AdminEmail)
	if err != nil {
		return fmt.Errorf("RIGHTSDESK_ADMIN_EMAIL: %w", err)
	}
	if inv != nil {
		fmt.Fprintf(stdout, "\nFirst admin: open this link to choose your password and sign in to the console (valid for "+
			"72 hours; shown only this once; also e-mailed to %s):\n\n    %s\n\n", inv.User.Email, inv.Link)
	}
	return nil
}
