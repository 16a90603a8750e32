package service

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Keys are the service's secrets. Personal data is sealed with AES-256-GCM under the current data key, each value
// naming its key's ID so that old keys keep opening old values while `rightsdesk keys rotate` re-seals them. The
// keyed hashes (duplicate detection, suppressions) use an index secret that never rotates: a suppression's hash
// cannot be recomputed without the address it hides. That secret lives in the database, sealed by the data key.
type Keys struct {
	current  *dataKey
	all      map[string]*dataKey
	index    []byte // keyed hashes of subject identifiers for duplicate detection
	suppress []byte // keyed hashes of suppressed identifiers, kept after erasure
}

type dataKey struct {
	id   string
	aead cipher.AEAD
	head []byte // the MAC key of the audit head, derived from the data key
}

// sealPrefix starts every sealed value: version, key ID, then base64 of nonce and ciphertext.
const sealPrefix = "rd1:"

// NewKeyring makes the data keys: current seals, current and previous open.
func NewKeyring(current []byte, previous ...[]byte) (*Keys, error) {
	k := &Keys{all: map[string]*dataKey{}}
	for i, raw := range append([][]byte{current}, previous...) {
		if len(raw) != 32 {
			return nil, errors.New("an encryption key must be 32 bytes (base64 of 32 random bytes)")
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		dk := &dataKey{id: hex.EncodeToString(sum[:8]), aead: aead, head: derive(raw, "rightsdesk audit head v1")}
		k.all[dk.id] = dk
		if i == 0 {
			k.current = dk
		}
	}
	return k, nil
}

// NewKeys makes a keyring whose index secret is derived from the key itself: for tests and tools that need no
// stored secret.
func NewKeys(master []byte) (*Keys, error) {
	k, err := NewKeyring(master)
	if err != nil {
		return nil, err
	}
	k.setIndexSecret(derive(master, "rightsdesk index secret v1"))
	return k, nil
}

func (k *Keys) setIndexSecret(secret []byte) {
	k.index = derive(secret, "rightsdesk subject index v1")
	k.suppress = derive(secret, "rightsdesk suppression v1")
}

func derive(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// KeyID is the current data key's ID, as sealed values name it.
func (k *Keys) KeyID() string { return k.current.id }

// Seal encrypts a value under the current key. An empty value stays empty.
func (k *Keys) Seal(plain []byte) (string, error) {
	if len(plain) == 0 {
		return "", nil
	}
	nonce := make([]byte, k.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := k.current.aead.Seal(nonce, nonce, plain, []byte(k.current.id))
	return sealPrefix + k.current.id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open decrypts a sealed value with the key it names. A value without the prefix is plaintext written before
// encryption was turned on, and is answered as it is (rotation seals it).
func (k *Keys) Open(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, sealPrefix)
	if !ok {
		return []byte(s), nil
	}
	id, data, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, errors.New("sealed value is malformed")
	}
	dk := k.all[id]
	if dk == nil {
		return nil, fmt.Errorf("sealed with key %s, which is not configured (RIGHTSDESK_ENCRYPTION_KEYS_PREVIOUS)", id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) < dk.aead.NonceSize() {
		return nil, errors.New("sealed value is malformed")
	}
	plain, err := dk.aead.Open(nil, raw[:dk.aead.NonceSize()], raw[dk.aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("sealed value under key %s does not authenticate", id)
	}
	return plain, nil
}

// Current reports whether a stored value is sealed under the current key (or empty): rotation skips it.
func (k *Keys) Current(s string) bool {
	return s == "" || strings.HasPrefix(s, sealPrefix+k.current.id+":")
}

// HeadMAC authenticates the audit head under the current data key: the key's ID, then the HMAC-SHA256 of the
// head's sequence and hash under a key derived from the data key. Without the data key nobody can write a head
// that verifies, so whoever can only write the database cannot set the head back.
func (k *Keys) HeadMAC(h AuditHead) string {
	return k.current.id + ":" + hex.EncodeToString(headMAC(k.current.head, h))
}

// HeadAuthentic reports whether h.MAC authenticates h under the key it names, current or previous.
func (k *Keys) HeadAuthentic(h AuditHead) bool {
	id, sum, ok := strings.Cut(h.MAC, ":")
	dk := k.all[id]
	if !ok || dk == nil {
		return false
	}
	raw, err := hex.DecodeString(sum)
	return err == nil && hmac.Equal(raw, headMAC(dk.head, h))
}

// HeadCurrent reports whether a head's MAC is under the current key.
func (k *Keys) HeadCurrent(h AuditHead) bool { return strings.HasPrefix(h.MAC, k.current.id+":") }

func headMAC(key []byte, h AuditHead) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "rightsdesk audit head\x00%d\x00%s", h.Seq, h.Hash)
	return m.Sum(nil)
}

// KeyringStore keeps the sealed index secret.
type KeyringStore interface {
	// IndexSecret returns the sealed index secret. ENOTFOUND before the first start.
	IndexSecret(ctx context.Context) (string, error)
	// SaveIndexSecret stores the sealed index secret, replacing any.
	SaveIndexSecret(ctx context.Context, sealed string) error
}

// LoadKeys opens the index secret kept in the database with the keyring, or makes one on the first start.
func LoadKeys(ctx context.Context, st KeyringStore, k *Keys) error {
	sealed, err := st.IndexSecret(ctx)
	switch ErrorCode(err) {
	case "":
		secret, err := k.Open(sealed)
		if err != nil {
			return fmt.Errorf("open the index secret: %w", err)
		}
		k.setIndexSecret(secret)
		return nil
	case ENOTFOUND:
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		sealed, err := k.Seal(secret)
		if err != nil {
			return err
		}
		if err := st.SaveIndexSecret(ctx, sealed); err != nil {
			return fmt.Errorf("store the index secret: %w", err)
		}
		k.setIndexSecret(secret)
		return nil
	default:
		return err
	}
}

// SubjectIndex is the keyed hash by which a subject's requests are found: of the e-mail address (case-folded),
// else of the phone number's digits. Nobody holding only the database can reverse or test it.
func (k *Keys) SubjectIndex(s Subject) string {
	id := ""
	switch {
	case s.Email != "":
		id = "email:" + strings.ToLower(strings.TrimSpace(s.Email))
	case s.Phone != "":
		id = "phone:" + digitsOf(s.Phone)
	default:
		return ""
	}
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// PhoneIndex is the keyed hash of a phone number's digits, kept beside SubjectIndex so that a search by phone
// finds the requests filed with an e-mail address too. It equals SubjectIndex of a subject with a phone and no
// e-mail. "" for no phone.
func (k *Keys) PhoneIndex(phone string) string {
	if phone == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte("phone:" + digitsOf(phone)))
	return hex.EncodeToString(m.Sum(nil))
}

// digitsOf is how phone numbers are compared: by their digits alone, so "+86 139-1111 2222" and "8613911112222"
// are the same number.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
