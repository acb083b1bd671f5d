package agekey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/ssh"
)

// Converted is one ssh-ed25519 public key converted to an age recipient;
// its JSON form is an entry of keycycle.ssh-to-age/v1's recipients.
type Converted struct {
	// Line is the 1-based line number of the key in the input.
	Line int `json:"line"`
	// Recipient is the age1… recipient, as Mic92/ssh-to-age prints it.
	Recipient string `json:"recipient"`
	// SSHKey is the key in canonical form, "ssh-ed25519 BASE64".
	SSHKey string `json:"ssh_key"`
	// Comment is the key's comment, if any.
	Comment string `json:"comment,omitempty"`
	// Hosts is the host field of a known_hosts or ssh-keyscan line (names,
	// addresses or a hashed |1|… entry), nil for authorized_keys lines.
	Hosts []string `json:"hosts,omitempty"`
}

// Skipped is a key line that SSHPublicKeysToAge could not convert because
// it holds no ssh-ed25519 key (RSA, ECDSA, certificates, revoked keys…).
type Skipped struct {
	// Line is the 1-based line number in the input.
	Line int `json:"line"`
	// KeyType is the SSH key type ("ssh-rsa"), when known.
	KeyType string `json:"key_type"`
	// Reason says in plain words why the line was skipped.
	Reason string `json:"reason"`
}

// SSHPublicToAge converts one OpenSSH ed25519 public key to its age1…
// recipient, exactly as Mic92/ssh-to-age does: the Ed25519 point is mapped
// to its Montgomery u-coordinate and encoded as BIP-173 bech32 with the
// human-readable part "age". line is one line in authorized_keys form
// ("ssh-ed25519 AAAA… [comment]", options allowed) or known_hosts /
// ssh-keyscan form ("host ssh-ed25519 AAAA…"); surrounding white space and
// a CRLF ending are ignored.
//
// A key of another type fails with ErrUnsupportedKeyType. Unlike
// ssh-to-age, a low-order point (whose recipient nobody could decrypt for)
// fails with ErrLowOrder.
func SSHPublicToAge(line []byte) (string, error) {
	if isPrivateKeyText(line) {
		return "", errPrivateKeyText
	}
	var keyLine []byte
	n := 0
	for _, l := range bytes.Split(line, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		n++
		keyLine = l
	}
	switch {
	case n == 0:
		return "", fmt.Errorf("%w: no SSH public key in the input", ErrEmpty)
	case n > 1:
		return "", fmt.Errorf("%w: the input holds %d lines, one key was expected", ErrMalformed, n)
	}
	c, skip, err := convertPublicLine(keyLine)
	if err != nil {
		return "", err
	}
	if skip != nil {
		return "", fmt.Errorf("%w: %s", ErrUnsupportedKeyType, skip.Reason)
	}
	return c.Recipient, nil
}

// SSHPublicKeysToAge converts every ssh-ed25519 key in data, in input
// order. data may be an authorized_keys file, ssh-keyscan output, a
// known_hosts file (hashed host names included) or a single .pub file;
// blank lines and # comments are ignored, CRLF line ends accepted, and
// lines holding other key types skipped. A line that is not a key at all
// is an error naming its line number. When no ssh-ed25519 key is found
// the error wraps ErrNoKeys. ScanSSHPublicKeys also returns the skipped
// lines.
func SSHPublicKeysToAge(data []byte) ([]Converted, error) {
	conv, skipped, err := ScanSSHPublicKeys(data)
	if err != nil {
		return nil, err
	}
	if len(conv) == 0 {
		types := make([]string, 0, len(skipped))
		for _, s := range skipped {
			types = append(types, s.KeyType)
		}
		return nil, fmt.Errorf("%w: no ssh-ed25519 key, %d other key(s) skipped (%s)", ErrNoKeys, len(skipped), strings.Join(types, ", "))
	}
	return conv, nil
}

// ScanSSHPublicKeys is SSHPublicKeysToAge that also reports the key lines
// it skipped. Its error wraps ErrNoKeys only when data holds no key line
// at all; a file with only RSA keys returns no Converted and a nil error.
func ScanSSHPublicKeys(data []byte) ([]Converted, []Skipped, error) {
	var (
		conv    []Converted
		skipped []Skipped
	)
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := bytes.TrimSpace(raw)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		c, skip, err := convertPublicLine(line)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if skip != nil {
			skip.Line = i + 1
			skipped = append(skipped, *skip)
			continue
		}
		c.Line = i + 1
		conv = append(conv, c)
	}
	if len(conv) == 0 && len(skipped) == 0 {
		return nil, nil, fmt.Errorf("%w: no SSH public key in the input", ErrNoKeys)
	}
	return conv, skipped, nil
}

// convertPublicLine converts one trimmed, non-comment line. It returns
// either a Converted, a Skipped, or an error.
func convertPublicLine(line []byte) (Converted, *Skipped, error) {
	if isPrivateKeyText(line) {
		return Converted{}, nil, errPrivateKeyText
	}
	pk, hosts, comment, skip, err := parsePublicLine(line)
	if err != nil || skip != nil {
		return Converted{}, skip, err
	}
	if pk.Type() != ssh.KeyAlgoED25519 {
		return Converted{}, &Skipped{KeyType: pk.Type(), Reason: pk.Type() + " key: only ssh-ed25519 keys convert to age"}, nil
	}
	rec, err := sshKeyToAge(pk)
	if err != nil {
		return Converted{}, nil, err
	}
	canon := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pk)), "\n")
	return Converted{Hosts: hosts, SSHKey: canon, Comment: comment, Recipient: rec}, nil, nil
}

// errPrivateKeyText is the error for a private key given where public
// keys are read.
var errPrivateKeyText = fmt.Errorf("%w: it is an SSH private key file; the public key is in the .pub file (ssh-to-age --private converts the private one)", ErrSecretKey)

func isPrivateKeyText(b []byte) bool {
	return bytes.Contains(b, []byte("-----BEGIN")) || bytes.Contains(b, []byte("-----END"))
}

// parsePublicLine parses an authorized_keys or known_hosts line. Lines
// whose first field is a key type are read as authorized_keys (like
// ssh-to-age); others are tried as known_hosts first, then as
// authorized_keys with options.
func parsePublicLine(line []byte) (pk ssh.PublicKey, hosts []string, comment string, skip *Skipped, err error) {
	first := string(bytes.Fields(line)[0])
	if !looksLikeKeyType(first) && !looksLikeOptions(first) {
		marker, h, k, c, _, kerr := ssh.ParseKnownHosts(line)
		if kerr == nil {
			switch marker {
			case "revoked":
				return nil, nil, "", &Skipped{KeyType: k.Type(), Reason: "@revoked marker: a revoked key"}, nil
			case "cert-authority":
				return nil, nil, "", &Skipped{KeyType: k.Type(), Reason: "@cert-authority marker: a certificate authority, not a host key"}, nil
			}
			return k, h, c, nil, nil
		}
	}
	k, c, _, _, aerr := ssh.ParseAuthorizedKey(line)
	if aerr != nil {
		if t := unknownTypeIn(line); t != "" {
			return nil, nil, "", &Skipped{KeyType: t, Reason: t + " key: a type the SSH library does not know"}, nil
		}
		return nil, nil, "", nil, fmt.Errorf("%w: not an SSH public key line (\"TYPE BASE64 [comment]\" or \"HOST TYPE BASE64\"; the base64 part may be cut short)", ErrMalformed)
	}
	return k, nil, c, nil, nil
}

// looksLikeKeyType reports whether an authorized_keys/known_hosts field is
// an SSH key type name rather than a host pattern or options.
func looksLikeKeyType(f string) bool {
	return strings.HasPrefix(f, "ssh-") || strings.HasPrefix(f, "ecdsa-sha2-") ||
		strings.HasPrefix(f, "sk-") || strings.HasSuffix(f, "@openssh.com")
}

// looksLikeOptions reports whether the first field of a line is a list of
// authorized_keys options rather than known_hosts host patterns.
func looksLikeOptions(f string) bool {
	if strings.HasPrefix(f, "|") || strings.HasPrefix(f, "@") {
		return false
	}
	if strings.ContainsAny(f, "=\"") {
		return true
	}
	for _, o := range strings.Split(f, ",") {
		switch strings.ToLower(o) {
		case "agent-forwarding", "cert-authority", "no-agent-forwarding", "no-port-forwarding", "no-pty",
			"no-user-rc", "no-x11-forwarding", "no-touch-required", "port-forwarding", "pty", "restrict",
			"user-rc", "verify-required", "x11-forwarding":
		default:
			return false
		}
	}
	return true
}

// unknownTypeIn returns the key type of a well-formed line "TYPE BASE64"
// whose blob names the same TYPE but that the ssh library cannot parse
// (a newer algorithm). It returns "" for anything else.
func unknownTypeIn(line []byte) string {
	f := bytes.Fields(line)
	for i := 0; i+1 < len(f) && i < 2; i++ {
		t := string(f[i])
		if !looksLikeKeyType(t) {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(string(f[i+1]))
		if err != nil || len(blob) < 4 {
			return ""
		}
		n := int(blob[0])<<24 | int(blob[1])<<16 | int(blob[2])<<8 | int(blob[3])
		if n == len(t) && len(blob) >= 4+n && string(blob[4:4+n]) == t && !isKnownType(t) {
			return t
		}
		return ""
	}
	return ""
}

func isKnownType(t string) bool {
	switch t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA, "ssh-dss", ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384,
		ssh.KeyAlgoECDSA521, ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256:
		return true
	}
	return false
}

// sshKeyToAge maps an ssh-ed25519 public key to its age1… recipient.
func sshKeyToAge(pk ssh.PublicKey) (string, error) {
	cpk, ok := pk.(ssh.CryptoPublicKey)
	if !ok {
		return "", fmt.Errorf("%w: %s key", ErrUnsupportedKeyType, pk.Type())
	}
	epk, ok := cpk.CryptoPublicKey().(ed25519.PublicKey)
	if !ok {
		return "", fmt.Errorf("%w: %s key", ErrUnsupportedKeyType, pk.Type())
	}
	return ed25519PublicToAge(epk)
}

// ed25519PublicToAge is the ssh-to-age map: Edwards point → Montgomery u
// → bech32 "age".
func ed25519PublicToAge(epk []byte) (string, error) {
	p, err := new(edwards25519.Point).SetBytes(epk)
	if err != nil {
		return "", fmt.Errorf("%w: the ssh-ed25519 key is not a point on the curve", ErrInvalidKey)
	}
	u := p.BytesMontgomery()
	if isLowOrder(u) {
		return "", fmt.Errorf("%w: the ssh-ed25519 key is a low-order point, not a real key", ErrLowOrder)
	}
	s, err := Bech32Encode("age", u)
	if err != nil {
		return "", errors.New("internal error: bech32 encoding failed")
	}
	return s, nil
}
