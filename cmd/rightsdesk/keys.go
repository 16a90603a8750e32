package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/rightsdesk/rightsdesk/service"
	"github.com/rightsdesk/rightsdesk/store"
)

// loadKeys reads the master key from RIGHTSDESK_ENCRYPTION_KEY, or, for development, from a key file beside the
// database, made on first start with a loud warning. Losing that file loses the keyed hashes' meaning.
func loadKeys(cfg config, log zerolog.Logger) (*service.Keys, error) {
	var previous [][]byte
	for _, p := range strings.Split(cfg.PreviousKeys, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(key) != 32 {
			return nil, errors.New("RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS must list base64 keys of 32 bytes, comma-separated")
		}
		previous = append(previous, key)
	}
	if cfg.EncryptionKey != "" {
		master, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cfg.EncryptionKey))
		if err != nil || len(master) != 32 {
			return nil, errors.New("RIGHTSDESK_ENCRYPTION_KEY must be base64 of 32 random bytes: make one with `openssl rand -base64 32`")
		}
		return service.NewKeyring(master, previous...)
	}
	if cfg.Production {
		return nil, errors.New("RIGHTSDESK_ENV=production needs RIGHTSDESK_ENCRYPTION_KEY: make one with " +
			"`openssl rand -base64 32`, keep it in your secret store, and set it in the environment")
	}
	path := keyFilePath(cfg.DB)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		var master [32]byte
		if _, err := rand.Read(master[:]); err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(master[:])
		if err := os.WriteFile(path, []byte(enc+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write development key %s: %w", path, err)
		}
		data = []byte(enc)
		log.Warn().Str("key_file", path).Msg("RIGHTSDESK_ENCRYPTION_KEY is not set: generated a DEVELOPMENT key file " +
			"beside the database. Set RIGHTSDESK_ENCRYPTION_KEY in production and keep it safe.")
	case err != nil:
		return nil, fmt.Errorf("read development key %s: %w", path, err)
	default:
		log.Warn().Str("key_file", path).Msg("RIGHTSDESK_ENCRYPTION_KEY is not set: using the DEVELOPMENT key file")
	}
	master, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(master) != 32 {
		return nil, fmt.Errorf("development key file %s is damaged", path)
	}
	return service.NewKeyring(master, previous...)
}

// keyFilePath is the development key's file: beside a SQLite database, or in the working directory.
func keyFilePath(db string) string {
	if store.IsPostgres(db) {
		return "rightsdesk.key"
	}
	return db + ".key"
}
