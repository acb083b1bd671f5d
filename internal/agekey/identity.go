package agekey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// maxIdentityFile bounds what ParseIdentityFile reads, as age does.
const maxIdentityFile = 1 << 24

// Identity is one parsed age identity (secret key). Printing it with fmt
// shows only its kind, line and recipient, never the secret.
type Identity struct {
	// Kind is KindX25519, KindPQ or KindPlugin.
	Kind Kind
	// Line is the 1-based line number in the file, 0 for ParseIdentity.
	Line int
	// Plugin is the plugin name of a KindPlugin identity ("yubikey").
	Plugin string

	recipient string
	id        age.Identity
}

// Recipient returns the age1… (or age1pq1…) recipient that matches the
// identity. For a plugin identity it fails with ErrNeedsPlugin: only the
// plugin knows it, and Recipient never runs a plugin.
func (i Identity) Recipient() (string, error) {
	if i.Kind == KindPlugin {
		return "", fmt.Errorf("%w (age-plugin-%s)", ErrNeedsPlugin, i.Plugin)
	}
	if i.recipient == "" {
		return "", fmt.Errorf("%w: zero Identity", ErrEmpty)
	}
	return i.recipient, nil
}

// AgeIdentity returns the identity as a filippo.io/age Identity, for
// decrypting. A plugin identity runs its plugin (age-plugin-NAME from
// $PATH) when used, without any interactive prompt.
func (i Identity) AgeIdentity() age.Identity { return i.id }

// String describes the identity without its secret.
func (i Identity) String() string {
	desc := i.Kind.String() + " identity"
	if i.Line > 0 {
		desc += fmt.Sprintf(" on line %d", i.Line)
	}
	if i.Kind == KindPlugin {
		return desc + " for plugin " + i.Plugin
	}
	return desc + " for " + i.recipient
}

// GoString is String, so that %#v never prints the secret either.
func (i Identity) GoString() string { return "agekey.Identity(" + i.String() + ")" }

// Format makes every fmt verb print String, never the secret fields.
func (i Identity) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, i.GoString())
		return
	}
	_, _ = io.WriteString(f, i.String())
}

// ParseIdentityFile parses an age identity (key) file as sops and
// sops-nix read SOPS_AGE_KEY_FILE: one identity per line
// (AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1… or AGE-PLUGIN-NAME-1…); lines
// that are empty or start with '#' are ignored; CRLF line ends and a
// missing final newline are fine. Like sops, a line with leading or
// trailing white space is an error (sops would reject it), as is a file
// with no identity. Each error names the line number and never contains
// the line's text.
func ParseIdentityFile(r io.Reader) ([]Identity, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxIdentityFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	if len(data) > maxIdentityFile {
		return nil, fmt.Errorf("%w: the key file is larger than 16 MiB", ErrMalformed)
	}
	var ids []Identity
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSuffix(string(raw), "\r")
		if n == 0 && strings.HasPrefix(line, "\uFEFF") {
			return nil, fmt.Errorf("line 1: %w: the file starts with a UTF-8 byte-order mark, which sops and age reject", ErrMalformed)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := parseIdentityLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		id.Line = n + 1
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no identity (AGE-SECRET-KEY-1… line) in the key file", ErrNoKeys)
	}
	return ids, nil
}

// ParseIdentity parses a single identity string, with the same checks as
// one line of ParseIdentityFile.
func ParseIdentity(s string) (Identity, error) {
	if s == "" {
		return Identity{}, fmt.Errorf("%w identity", ErrEmpty)
	}
	return parseIdentityLine(s)
}

func parseIdentityLine(s string) (Identity, error) {
	switch {
	case !utf8.ValidString(s):
		return Identity{}, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	case strings.TrimSpace(s) == "":
		return Identity{}, fmt.Errorf("%w: a line of only white space, which sops and age reject (make it empty)", ErrMalformed)
	case strings.TrimSpace(s) != s:
		return Identity{}, fmt.Errorf("%w: leading or trailing white space, which sops and age reject", ErrMalformed)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		return parsePQIdentity(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		return parseX25519Identity(s)
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		return parsePluginIdentity(s)
	}
	return Identity{}, unknownIdentity(s)
}

func parseX25519Identity(s string) (Identity, error) {
	hrp, data, err := Bech32Decode(s)
	if err != nil {
		return Identity{}, identityBech32Problem(s, err, x25519IdentLen)
	}
	if hrp != "AGE-SECRET-KEY-" || len(data) != x25519KeySize {
		return Identity{}, fmt.Errorf("%w: decodes to %d bytes, an X25519 identity has %d", ErrLength, len(data), x25519KeySize)
	}
	clear(data)
	id, err := age.ParseX25519Identity(s)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: age rejects this X25519 identity", ErrInvalidKey)
	}
	return Identity{Kind: KindX25519, recipient: id.Recipient().String(), id: id}, nil
}

func parsePQIdentity(s string) (Identity, error) {
	hrp, data, err := Bech32Decode(s)
	if err != nil {
		return Identity{}, identityBech32Problem(s, err, 0)
	}
	if hrp != "AGE-SECRET-KEY-PQ-" || len(data) != pqIdentitySize {
		return Identity{}, fmt.Errorf("%w: decodes to %d bytes, a post-quantum identity has %d", ErrLength, len(data), pqIdentitySize)
	}
	clear(data)
	id, err := age.ParseHybridIdentity(s)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: age rejects this post-quantum identity", ErrInvalidKey)
	}
	return Identity{Kind: KindPQ, recipient: id.Recipient().String(), id: id}, nil
}

func parsePluginIdentity(s string) (Identity, error) {
	if _, _, err := Bech32Decode(s); err != nil {
		return Identity{}, identityBech32Problem(s, err, 0)
	}
	name, _, err := plugin.ParseIdentity(s)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: the plugin name between AGE-PLUGIN- and -1 is not valid", ErrInvalidKey)
	}
	id, err := plugin.NewIdentity(s, &plugin.ClientUI{})
	if err != nil {
		return Identity{}, fmt.Errorf("%w: age rejects this plugin identity", ErrInvalidKey)
	}
	return Identity{Kind: KindPlugin, Plugin: name, id: id}, nil
}

// identityBech32Problem is bech32Problem for secrets: the same plain
// words, never the string.
func identityBech32Problem(s string, err error, wantLen int) error {
	if errors.Is(err, ErrMixedCase) {
		return fmt.Errorf("%w: age identities are written all in upper case", err)
	}
	return bech32Problem(s, err, wantLen, "an identity")
}

// unknownIdentity explains why a line is not an identity.
func unknownIdentity(s string) error {
	upper := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-"):
		return fmt.Errorf("%w: age identities are upper case (AGE-SECRET-KEY-1…); sops and age reject lower case", ErrCase)
	case strings.HasPrefix(s, "age1") || strings.HasPrefix(s, "ssh-"):
		return fmt.Errorf("%w: a recipient in a key file; the key file needs the secret key", ErrPublicKey)
	case strings.HasPrefix(s, "-----BEGIN"):
		return fmt.Errorf("%w: a PEM (SSH) private key, not an age key file; 'keycycle ssh-to-age --private' converts an ed25519 one", ErrPrefix)
	case looksLikePlaceholder(s):
		return ErrPlaceholder
	}
	return fmt.Errorf("%w: unknown identity type; an age identity starts with AGE-SECRET-KEY-1, AGE-SECRET-KEY-PQ-1 or AGE-PLUGIN-", ErrPrefix)
}
