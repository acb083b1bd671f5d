package agekey

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/ssh"
)

// Kind is the type of an age recipient or identity.
type Kind int

// The kinds of recipients and identities sops 3.13 accepts.
const (
	// KindUnknown is the zero Kind; no parsed value has it.
	KindUnknown Kind = iota
	// KindX25519 is a native X25519 key: age1… / AGE-SECRET-KEY-1….
	KindX25519
	// KindPQ is a post-quantum ML-KEM-768 + X25519 hybrid key:
	// age1pq1… / AGE-SECRET-KEY-PQ-1….
	KindPQ
	// KindPlugin is a key handled by an age plugin: age1NAME1… /
	// AGE-PLUGIN-NAME-1… (for example age1yubikey1…).
	KindPlugin
	// KindSSHEd25519 is an OpenSSH ed25519 public key used directly as a
	// recipient ("ssh-ed25519 AAAA…").
	KindSSHEd25519
	// KindSSHRSA is an OpenSSH RSA public key used directly as a recipient
	// ("ssh-rsa AAAA…").
	KindSSHRSA
)

// String returns a short lower-case name for k, stable for JSON output.
func (k Kind) String() string {
	switch k {
	case KindX25519:
		return "x25519"
	case KindPQ:
		return "pq"
	case KindPlugin:
		return "plugin"
	case KindSSHEd25519:
		return "ssh-ed25519"
	case KindSSHRSA:
		return "ssh-rsa"
	default:
		return "unknown"
	}
}

// Sizes of decoded keys and encodings.
const (
	x25519KeySize   = 32
	x25519RecipLen  = 62 // len("age1") + 52 data + 6 checksum characters
	x25519IdentLen  = 74 // len("AGE-SECRET-KEY-1") + 52 + 6
	pqRecipientSize = 1184 + 32
	pqIdentitySize  = 32
)

// Recipient is a validated recipient string.
type Recipient struct {
	// Kind is the recipient's type.
	Kind Kind
	// String is the canonical form: the trimmed age1… string, or for SSH
	// keys "TYPE BASE64" without the comment.
	String string
	// Derived is, for KindSSHEd25519, the age1… X25519 recipient that
	// ssh-to-age makes from the same key. It is the same key pair, but
	// the two recipients are NOT interchangeable: age wraps the file key
	// differently for each, and an identity made with ssh-to-age
	// --private matches only the age1 form, the SSH private key only the
	// ssh-ed25519 form. Empty for the other kinds.
	Derived string
	// Comment is the comment of an SSH key, if any.
	Comment string
	// Plugin is the plugin name of a KindPlugin recipient ("yubikey").
	Plugin string
	// Trimmed is true when the input had leading or trailing white space,
	// which ParseRecipient removed as sops does.
	Trimmed bool
}

// X25519 returns the age1… X25519 recipient behind r: String for
// KindX25519, Derived for KindSSHEd25519, "" otherwise. Two recipients with
// the same non-empty X25519 are the same key written two ways.
func (r Recipient) X25519() string {
	switch r.Kind {
	case KindX25519:
		return r.String
	case KindSSHEd25519:
		return r.Derived
	}
	return ""
}

// ParseRecipient classifies and fully validates one recipient string the
// way sops 3.13 does (age/keysource.go parseRecipient): "age1pq1…" is a
// post-quantum recipient, "age1…" with a second '1' a plugin recipient,
// other "age1…" strings X25519 recipients, and "ssh-…" an OpenSSH
// ed25519 or RSA public key in authorized_keys form.
//
// Like sops (MasterKeyFromRecipient calls strings.TrimSpace), leading and
// trailing white space is removed first; Recipient.Trimmed records it so a
// linter can still warn. A comma anywhere (even in an SSH key's comment)
// is an error: sops splits recipient strings on commas
// (MasterKeysFromRecipients), so callers split lists before parsing.
// Unlike sops, which accepts them and fails only when encrypting,
// ParseRecipient also rejects low-order X25519 points (ErrLowOrder) and
// strings with a line break inside. It never runs a plugin and never
// panics.
func ParseRecipient(s string) (Recipient, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Recipient{}, fmt.Errorf("%w recipient", ErrEmpty)
	}
	var (
		r   Recipient
		err error
	)
	switch {
	case strings.Contains(t, ","):
		err = fmt.Errorf("%w: it contains a comma, and sops splits recipient strings on commas, so it would read several recipients; give each one alone", ErrMalformed)
	case strings.HasPrefix(t, "ssh-"):
		r, err = parseSSHRecipient(t)
	case strings.HasPrefix(t, "age1pq1"):
		r, err = parsePQRecipient(t)
	case strings.HasPrefix(t, "age1") && strings.Count(t, "1") > 1:
		r, err = parsePluginRecipient(t)
	case strings.HasPrefix(t, "age1"):
		r, err = parseX25519Recipient(t)
	default:
		err = unknownRecipient(t)
	}
	if err != nil {
		return Recipient{}, err
	}
	r.Trimmed = t != s
	return r, nil
}

func parseX25519Recipient(s string) (Recipient, error) {
	hrp, data, err := Bech32Decode(s)
	if err != nil {
		return Recipient{}, bech32Problem(s, err, x25519RecipLen, "an X25519 recipient")
	}
	if hrp != "age" || len(data) != x25519KeySize {
		return Recipient{}, fmt.Errorf("%w: decodes to %d bytes, an X25519 recipient has %d (%d characters)",
			ErrLength, len(data), x25519KeySize, x25519RecipLen)
	}
	if _, err := age.ParseX25519Recipient(s); err != nil {
		return Recipient{}, fmt.Errorf("%w: age rejects this X25519 recipient", ErrInvalidKey)
	}
	if isLowOrder(data) {
		return Recipient{}, fmt.Errorf("%w (it is not a real key)", ErrLowOrder)
	}
	return Recipient{Kind: KindX25519, String: s}, nil
}

func parsePQRecipient(s string) (Recipient, error) {
	hrp, data, err := Bech32Decode(s)
	if err != nil {
		return Recipient{}, bech32Problem(s, err, 0, "a post-quantum recipient")
	}
	if hrp != "age1pq" {
		return Recipient{}, fmt.Errorf("%w: a post-quantum recipient is age1pq1 followed by the key, this has more than one '1' after age1pq", ErrPrefix)
	}
	if len(data) != pqRecipientSize {
		return Recipient{}, fmt.Errorf("%w: decodes to %d bytes, a post-quantum recipient has %d (part of it is missing or extra)",
			ErrLength, len(data), pqRecipientSize)
	}
	if _, err := age.ParseHybridRecipient(s); err != nil {
		return Recipient{}, fmt.Errorf("%w: not a valid ML-KEM-768 + X25519 public key", ErrInvalidKey)
	}
	return Recipient{Kind: KindPQ, String: s}, nil
}

func parsePluginRecipient(s string) (Recipient, error) {
	if _, _, err := Bech32Decode(s); err != nil {
		return Recipient{}, bech32Problem(s, err, 0, "a plugin recipient")
	}
	name, _, err := plugin.ParseRecipient(s)
	if err != nil {
		return Recipient{}, fmt.Errorf("%w: the plugin name between age1 and the last '1' is not valid", ErrInvalidKey)
	}
	return Recipient{Kind: KindPlugin, String: s, Plugin: name}, nil
}

func parseSSHRecipient(s string) (Recipient, error) {
	if strings.ContainsAny(s, "\r\n") {
		return Recipient{}, fmt.Errorf("%w: an SSH recipient must be one line, this one has a line break inside", ErrMalformed)
	}
	pk, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return Recipient{}, fmt.Errorf("%w: not an OpenSSH public key (\"TYPE BASE64 [comment]\"; the base64 part may be cut short)", ErrMalformed)
	}
	if len(options) > 0 {
		return Recipient{}, fmt.Errorf("%w: text before the key type; an SSH recipient starts with ssh-ed25519 or ssh-rsa", ErrMalformed)
	}
	canon := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pk)), "\n")
	switch pk.Type() {
	case ssh.KeyAlgoED25519:
		if _, err := agessh.NewEd25519Recipient(pk); err != nil {
			return Recipient{}, fmt.Errorf("%w: the ssh-ed25519 key is not a point on the curve", ErrInvalidKey)
		}
		derived, err := sshKeyToAge(pk)
		if err != nil {
			return Recipient{}, err
		}
		return Recipient{Kind: KindSSHEd25519, String: canon, Derived: derived, Comment: comment}, nil
	case ssh.KeyAlgoRSA:
		if _, err := agessh.NewRSARecipient(pk); err != nil {
			return Recipient{}, fmt.Errorf("%w: age rejects this ssh-rsa key", ErrInvalidKey)
		}
		return Recipient{Kind: KindSSHRSA, String: canon, Comment: comment}, nil
	default:
		return Recipient{}, fmt.Errorf("%w: %s keys cannot be age recipients, only ssh-ed25519 and ssh-rsa", ErrUnsupportedKeyType, pk.Type())
	}
}

// unknownRecipient explains why a string that does not start like any
// recipient type was rejected.
func unknownRecipient(s string) error {
	upper, lower := strings.ToUpper(s), strings.ToLower(s)
	switch {
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-"):
		return fmt.Errorf("%w: it must never be written where recipients go; use its public key (age1…)", ErrSecretKey)
	case strings.HasPrefix(lower, "age1") && s == upper:
		return fmt.Errorf("%w: upper case; age recipients are written in lower case (age1…), sops and age reject upper case", ErrCase)
	case strings.HasPrefix(lower, "age1"):
		return fmt.Errorf("%w: mixed case; age recipients are all lower case (age1…)", ErrCase)
	case strings.Contains(s, "-----BEGIN") && strings.Contains(s, "PRIVATE"):
		return fmt.Errorf("%w: it is a private key file", ErrSecretKey)
	case strings.Contains(s, "-----BEGIN"):
		return fmt.Errorf("%w: a PEM block, not a recipient string", ErrPrefix)
	case strings.HasPrefix(s, "ecdsa-sha2-") || strings.HasPrefix(s, "sk-"):
		return fmt.Errorf("%w: %s keys cannot be age recipients, only ssh-ed25519 and ssh-rsa", ErrUnsupportedKeyType, strings.Fields(s)[0])
	case looksLikePlaceholder(s):
		return ErrPlaceholder
	case isPGPFingerprint(s):
		return fmt.Errorf("%w: looks like a PGP fingerprint; it belongs in the pgp list, not the age one", ErrPrefix)
	case strings.HasPrefix(lower, "age"):
		return fmt.Errorf("%w: age recipients start with age1", ErrPrefix)
	}
	return fmt.Errorf("%w: unknown recipient type; age recipients start with age1 (age1pq1…, age1NAME1… for plugins), SSH ones with ssh-ed25519 or ssh-rsa", ErrPrefix)
}

// bech32Problem turns a bech32 decoding error into a plain-words error.
// wantLen is the length of a valid string of this kind, or 0 if it varies.
func bech32Problem(s string, err error, wantLen int, what string) error {
	if looksLikePlaceholder(s) {
		return ErrPlaceholder
	}
	checksum := errors.Is(err, ErrChecksum) || errors.Is(err, ErrPadding)
	if checksum && wantLen > 0 && len(s) != wantLen {
		return fmt.Errorf("%w: %d characters, %s has %d (part of it is missing or extra)", ErrLength, len(s), what, wantLen)
	}
	switch {
	case errors.Is(err, ErrBech32m):
		return err
	case errors.Is(err, ErrChecksum):
		return fmt.Errorf("%w: the last 6 characters do not match the rest (a typo, or a bad copy)", err)
	case errors.Is(err, ErrMixedCase):
		return fmt.Errorf("%w: %s is written all in one case", err, what)
	case errors.Is(err, ErrNoSeparator):
		return fmt.Errorf("%w: too short to be %s", ErrLength, what)
	}
	return err
}

// looksLikePlaceholder reports whether s looks like documentation filler
// instead of a key. Callers use it only on strings that failed to parse.
func looksLikePlaceholder(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"...", "…", "<", ">", "xxxx", "your", "example", "placeholder", "changeme", "replace", "todo"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	run, longest := 1, 1
	for i := 1; i < len(l); i++ {
		if l[i] == l[i-1] {
			run++
			longest = max(longest, run)
		} else {
			run = 1
		}
	}
	return longest >= 12
}

func isPGPFingerprint(s string) bool {
	h := strings.ReplaceAll(s, " ", "")
	if len(h) != 40 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(h[i])) {
			return false
		}
	}
	return true
}

// isLowOrder reports whether the X25519 public key u is a low-order point
// (or otherwise yields an all-zero shared secret), which age refuses.
func isLowOrder(u []byte) bool {
	scalar := make([]byte, curve25519.ScalarSize)
	for i := range scalar {
		scalar[i] = byte(i + 1)
	}
	_, err := curve25519.X25519(scalar, u)
	return err != nil
}
