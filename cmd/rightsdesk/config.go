package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rightsdesk/rightsdesk/service"
)

// config is the service's configuration: environment variables, which flags may override.
type config struct {
	Addr           string
	DB             string
	BootstrapToken string
	TLSCert        string
	TLSKey         string
	CORSOrigins    []string
	LogLevel       string
	PublicURL      string
	EncryptionKey  string
	SMTPURL        string
	MailFrom       string
	OrgName        string
	DPOEmail       string
	Scheduler      bool
	Schedules      map[string]string
	TransmitSecret string
	PreviousKeys   string
	Production     bool
	FilingsPerMin  int
	FilingsPerIP   int
	SubjectCap     int
	TrustedProxies []*net.IPNet
	TransmitAllow  []string
	RetentionDays  int
	// The privacy center's branding and embedding (/privacy/).
	LogoURL          string
	LogoFile         string
	AccentColor      string
	PrivacyPolicyURL string
	ContactEmail     string
	ConsentPurposes  string
	FrameAncestors   []string
	// The console (/console/): sessions, the first admin, single sign-on.
	SessionIdle      time.Duration
	SessionMax       time.Duration
	AdminEmail       string
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCCreateUsers  string
}

// parseConfig reads the environment, then the flags of args.
func parseConfig(name string, args []string, getenv func(string) string) (config, *flag.FlagSet, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var cfg config
	var cors string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller reports errors, and prints the flags on -h
	fs.StringVar(&cfg.Addr, "addr", env("RIGHTSDESK_ADDR", "127.0.0.1:8080"), "listen address (RIGHTSDESK_ADDR)")
	fs.StringVar(&cfg.DB, "db", env("RIGHTSDESK_DB", "./rightsdesk.db"), "SQLite file path or postgres:// URL (RIGHTSDESK_DB)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("RIGHTSDESK_TLS_CERT", ""), "TLS certificate file (RIGHTSDESK_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("RIGHTSDESK_TLS_KEY", ""), "TLS key file (RIGHTSDESK_TLS_KEY)")
	fs.StringVar(&cors, "cors-origins", env("RIGHTSDESK_CORS_ORIGINS", ""), "comma-separated origins allowed to call the API from a browser (RIGHTSDESK_CORS_ORIGINS)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("RIGHTSDESK_LOG_LEVEL", "info"), "debug, info, warn or error (RIGHTSDESK_LOG_LEVEL)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("RIGHTSDESK_PUBLIC_URL", ""), "base URL of links in e-mails (RIGHTSDESK_PUBLIC_URL; default http://ADDR)")
	fs.StringVar(&cfg.MailFrom, "mail-from", env("RIGHTSDESK_MAIL_FROM", "rightsdesk@localhost"), "sender address (RIGHTSDESK_MAIL_FROM)")
	fs.StringVar(&cfg.OrgName, "org-name", env("RIGHTSDESK_ORG_NAME", service.DefaultOrgName), "the organisation answering requests: mails greet, sign and send in its name (RIGHTSDESK_ORG_NAME)")
	fs.StringVar(&cfg.DPOEmail, "dpo-email", env("RIGHTSDESK_DPO_EMAIL", ""), "the data protection officer's address, last step of the escalation ladder (RIGHTSDESK_DPO_EMAIL)")
	fs.BoolVar(&cfg.Scheduler, "scheduler", env("RIGHTSDESK_SCHEDULER", "on") != "off", "run the scheduled jobs on this replica (RIGHTSDESK_SCHEDULER=off to disable)")
	cfg.Schedules = map[string]string{}
	for _, job := range service.JobTable {
		cfg.Schedules[job.Name] = getenv(job.EnvVar())
	}
	var allow string
	fs.StringVar(&allow, "transmit-allow-hosts", env("RIGHTSDESK_TRANSMIT_ALLOW_HOSTS", ""), "comma-separated hosts portability copies may reach on private or loopback addresses: the operator's fixed part of the allow-list, which admins extend through the API (RIGHTSDESK_TRANSMIT_ALLOW_HOSTS)")
	fs.IntVar(&cfg.RetentionDays, "retention-days", envInt(getenv, "RIGHTSDESK_RETENTION_DAYS", 1095), "days a closed request keeps its subject's personal data (RIGHTSDESK_RETENTION_DAYS)")
	fs.IntVar(&cfg.FilingsPerMin, "filings-per-minute", envInt(getenv, "RIGHTSDESK_FILINGS_PER_MINUTE", 600), "filings a minute per token (RIGHTSDESK_FILINGS_PER_MINUTE)")
	fs.IntVar(&cfg.FilingsPerIP, "filings-per-minute-per-address", envInt(getenv, "RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS", 30), "intake-token (web-form) filings a minute per client address (RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS)")
	fs.IntVar(&cfg.SubjectCap, "subject-daily-cap", envInt(getenv, "RIGHTSDESK_SUBJECT_DAILY_CAP", 5), "web-form filings per subject per 24 hours (RIGHTSDESK_SUBJECT_DAILY_CAP)")
	var proxies string
	fs.StringVar(&proxies, "trusted-proxies", env("RIGHTSDESK_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (RIGHTSDESK_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.LogoURL, "logo-url", env("RIGHTSDESK_LOGO_URL", ""), "https URL (or path on this site) of the organisation's logo on the privacy center (RIGHTSDESK_LOGO_URL)")
	fs.StringVar(&cfg.LogoFile, "logo-file", env("RIGHTSDESK_LOGO_FILE", ""), "a PNG, JPEG, GIF or WebP file (at most 256 KiB) the privacy center serves as the organisation's logo, instead of a URL (RIGHTSDESK_LOGO_FILE)")
	fs.StringVar(&cfg.AccentColor, "accent-color", env("RIGHTSDESK_ACCENT_COLOR", "#1a56db"), "the privacy center's accent colour, #rrggbb (RIGHTSDESK_ACCENT_COLOR)")
	fs.StringVar(&cfg.PrivacyPolicyURL, "privacy-policy-url", env("RIGHTSDESK_PRIVACY_POLICY_URL", ""), "link to the organisation's privacy policy (RIGHTSDESK_PRIVACY_POLICY_URL)")
	fs.StringVar(&cfg.ContactEmail, "contact-email", env("RIGHTSDESK_CONTACT_EMAIL", ""), "the address subjects may write to, shown on the privacy center (RIGHTSDESK_CONTACT_EMAIL)")
	fs.StringVar(&cfg.ConsentPurposes, "consent-purposes", env("RIGHTSDESK_CONSENT_PURPOSES", ""), "consent purposes a subject may withdraw: code|English label|中文标签, comma-separated (RIGHTSDESK_CONSENT_PURPOSES)")
	var frames string
	fs.StringVar(&frames, "frame-ancestors", env("RIGHTSDESK_FRAME_ANCESTORS", ""), "space- or comma-separated origins that may show the privacy center in an iframe (RIGHTSDESK_FRAME_ANCESTORS)")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", envDuration(getenv, "RIGHTSDESK_SESSION_IDLE", service.DefaultSessionIdle), "a console session unused this long ends, e.g. 30m (RIGHTSDESK_SESSION_IDLE)")
	fs.DurationVar(&cfg.SessionMax, "session-max", envDuration(getenv, "RIGHTSDESK_SESSION_MAX", service.DefaultSessionMax), "a console session ends this long after sign-in, used or not, e.g. 12h (RIGHTSDESK_SESSION_MAX)")
	fs.StringVar(&cfg.AdminEmail, "admin-email", env("RIGHTSDESK_ADMIN_EMAIL", ""), "while no admin can sign in to the console, invite this address as the first admin at start (RIGHTSDESK_ADMIN_EMAIL)")
	fs.StringVar(&cfg.OIDCIssuer, "oidc-issuer", env("RIGHTSDESK_OIDC_ISSUER", ""), "OpenID Connect provider for single sign-on to the console, e.g. https://accounts.example.com (RIGHTSDESK_OIDC_ISSUER)")
	fs.StringVar(&cfg.OIDCClientID, "oidc-client-id", env("RIGHTSDESK_OIDC_CLIENT_ID", ""), "the console's client ID at the provider (RIGHTSDESK_OIDC_CLIENT_ID)")
	fs.StringVar(&cfg.OIDCCreateUsers, "oidc-create-users", env("RIGHTSDESK_OIDC_CREATE_USERS", ""), "create a user of this role (officer, auditor, admin) for a verified address no user has; default never (RIGHTSDESK_OIDC_CREATE_USERS)")
	// Secrets: never flags, which ps would show.
	cfg.OIDCClientSecret = getenv("RIGHTSDESK_OIDC_CLIENT_SECRET")
	cfg.SMTPURL = getenv("RIGHTSDESK_SMTP_URL")
	cfg.TransmitSecret = getenv("RIGHTSDESK_TRANSMIT_SECRET")
	cfg.PreviousKeys = getenv("RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS")
	cfg.Production = getenv("RIGHTSDESK_ENV") == "production"
	cfg.BootstrapToken = getenv("RIGHTSDESK_BOOTSTRAP_TOKEN")
	cfg.EncryptionKey = getenv("RIGHTSDESK_ENCRYPTION_KEY")
	if file := getenv("RIGHTSDESK_ENCRYPTION_KEY_FILE"); file != "" {
		if cfg.EncryptionKey != "" {
			return cfg, fs, fmt.Errorf("set RIGHTSDESK_ENCRYPTION_KEY or RIGHTSDESK_ENCRYPTION_KEY_FILE, not both")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, fs, fmt.Errorf("RIGHTSDESK_ENCRYPTION_KEY_FILE: %w", err)
		}
		cfg.EncryptionKey = strings.TrimSpace(string(data))
	}
	if err := fs.Parse(args); err != nil {
		return cfg, fs, err
	}
	cfg.FrameAncestors = strings.FieldsFunc(frames, func(r rune) bool { return r == ',' || r == ' ' })
	if fs.NArg() > 0 { // "rightsdesk serve help" asks for help, not for a server that ignores the word
		return cfg, fs, fmt.Errorf("%s: unexpected argument %q (rightsdesk %s --help lists the flags)", name, fs.Arg(0), name)
	}
	for _, h := range strings.Split(allow, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.TransmitAllow = append(cfg.TransmitAllow, h)
		}
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return cfg, fs, fmt.Errorf("RIGHTSDESK_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", p)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	if cfg.FilingsPerMin < 1 || cfg.FilingsPerIP < 1 || cfg.SubjectCap < 1 {
		return cfg, fs, fmt.Errorf("RIGHTSDESK_FILINGS_PER_MINUTE, _PER_ADDRESS and RIGHTSDESK_SUBJECT_DAILY_CAP must be positive numbers")
	}
	if cfg.OrgName = strings.TrimSpace(cfg.OrgName); cfg.OrgName == "" || len(cfg.OrgName) > 200 ||
		strings.ContainsFunc(cfg.OrgName, unicode.IsControl) {
		return cfg, fs, fmt.Errorf("RIGHTSDESK_ORG_NAME must be the organisation's name: 1 to 200 characters on one line")
	}
	if cfg.SessionIdle < time.Minute || cfg.SessionMax < cfg.SessionIdle {
		return cfg, fs, fmt.Errorf("RIGHTSDESK_SESSION_IDLE must be at least 1m, and RIGHTSDESK_SESSION_MAX at least as long")
	}
	if cfg.RetentionDays < 1 {
		return cfg, fs, fmt.Errorf("RIGHTSDESK_RETENTION_DAYS must be a positive number of days")
	}
	for _, o := range strings.Split(cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	if cfg.PublicURL == "" {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		cfg.PublicURL = scheme + "://" + cfg.Addr
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, fs, fmt.Errorf("RIGHTSDESK_TLS_CERT and RIGHTSDESK_TLS_KEY go together")
	}
	return cfg, fs, nil
}

// envInt reads an integer variable; a malformed value becomes -1, which validation refuses with a message.
func envInt(getenv func(string) string, key string, def int) int {
	v := getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// envDuration reads a duration variable such as 30m; a malformed value becomes -1, which validation refuses.
func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	v := getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}
