// Package mail delivers the outbox's mail over SMTP: it is the adapter behind service.Mailer.
package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// urlForm is the accepted form, repeated in every error so that an operator can fix the setting at once.
const urlForm = "want smtp://[user:pass@]host:port (percent-encode special characters in user and password)"

// Config says where mail goes and how to log in; it comes from RIGHTSDESK_SMTP_URL through ParseURL.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string // sent only with AUTH PLAIN, and only over TLS or to localhost
	// FromName is the display name of the From header when the sender address names none: the organisation
	// answering (RIGHTSDESK_ORG_NAME), so that a subject sees who writes.
	FromName string
}

// ParseURL reads smtp://[user:pass@]host:port. Its errors never repeat the URL, which may hold a password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included: say what is wrong without it.
		return Config{}, errors.New("SMTP URL is malformed; " + urlForm)
	}
	if u.Scheme != "smtp" {
		if u.Scheme == "" {
			return Config{}, errors.New("SMTP URL has no scheme; " + urlForm)
		}
		return Config{}, fmt.Errorf("SMTP URL scheme %q is not supported; %s", u.Scheme, urlForm)
	}
	if u.Opaque != "" || u.Host == "" {
		return Config{}, errors.New("SMTP URL has no host; " + urlForm)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return Config{}, errors.New("SMTP URL must not have a path, query or fragment; " + urlForm)
	}
	host, portText := u.Hostname(), u.Port()
	if host == "" {
		return Config{}, errors.New("SMTP URL has no host; " + urlForm)
	}
	if portText == "" {
		return Config{}, errors.New("SMTP URL has no port (usually 587 or 25); " + urlForm)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return Config{}, fmt.Errorf("SMTP URL port %q is not a port number; %s", portText, urlForm)
	}
	cfg := Config{Host: host, Port: port}
	if u.User != nil {
		password, ok := u.User.Password()
		cfg.Username, cfg.Password = u.User.Username(), password
		if cfg.Username == "" || !ok {
			return Config{}, errors.New("SMTP URL credentials need both user and password; " + urlForm)
		}
	}
	return cfg, nil
}

// Addr is the host:port to dial.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String shows the configuration the way it was given, with the password masked, so it can be logged.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Addr()}
	if c.Username != "" || c.Password != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

// GoString keeps %#v from printing the password as well.
func (c Config) GoString() string { return "mail.Config(" + c.String() + ")" }
