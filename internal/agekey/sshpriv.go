package agekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// SSHPrivateToAge converts an OpenSSH ed25519 private key file to an age
// X25519 identity string, exactly as Mic92/ssh-to-age -private-key does:
// the first 32 bytes of SHA-512 of the Ed25519 seed, NOT clamped, encoded
// as upper-case bech32 with the human-readable part "AGE-SECRET-KEY-".
// (A clamped scalar would be an equivalent key with a different string.)
//
// pemBytes is the whole key file (OpenSSH "BEGIN OPENSSH PRIVATE KEY" or
// PKCS#8 "BEGIN PRIVATE KEY"). passphrase is used only when the key is
// encrypted; an encrypted key with an empty passphrase fails with
// ErrPassphraseNeeded, a wrong one with ErrWrongPassphrase, a key
// encrypted with chacha20-poly1305 (which golang.org/x/crypto/ssh, and so
// ssh-to-age, cannot decrypt) with ErrUnsupportedCipher. Keys of other
// types fail with ErrUnsupportedKeyType. Errors never contain key material.
func SSHPrivateToAge(pemBytes []byte, passphrase []byte) (string, error) {
	seed, err := ed25519Seed(pemBytes, passphrase)
	if err != nil {
		return "", err
	}
	h := sha512.Sum512(seed)
	clear(seed)
	defer clear(h[:])
	s, err := Bech32Encode("AGE-SECRET-KEY-", h[:32])
	if err != nil {
		return "", errors.New("internal error: bech32 encoding failed")
	}
	return s, nil
}

// ed25519Seed parses an SSH private key file and returns a copy of its
// Ed25519 seed.
func ed25519Seed(pemBytes, passphrase []byte) ([]byte, error) {
	if len(bytes.TrimSpace(pemBytes)) == 0 {
		return nil, fmt.Errorf("%w: no SSH private key in the input", ErrEmpty)
	}
	if !bytes.Contains(pemBytes, []byte("-----BEGIN")) {
		if _, err := SSHPublicToAge(pemBytes); err == nil || errors.Is(err, ErrUnsupportedKeyType) {
			return nil, fmt.Errorf("%w: it is an SSH public key (.pub); the private key is the file without .pub", ErrPublicKey)
		}
		return nil, fmt.Errorf("%w: not an SSH private key file (no \"-----BEGIN … PRIVATE KEY-----\" line)", ErrMalformed)
	}
	key, err := ssh.ParseRawPrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if len(passphrase) == 0 {
			return nil, ErrPassphraseNeeded
		}
		key, err = ssh.ParseRawPrivateKeyWithPassphrase(pemBytes, passphrase)
		switch {
		case errors.Is(err, x509.IncorrectPasswordError):
			return nil, ErrWrongPassphrase
		case err != nil:
			if c := opensshCipher(pemBytes); c != "" && c != "aes256-ctr" && c != "aes256-cbc" {
				return nil, fmt.Errorf("%w: the key is encrypted with %s, which the Go SSH library (and so ssh-to-age) cannot decrypt; "+
					"re-encrypt a copy with 'ssh-keygen -p -Z aes256-ctr -f COPY'", ErrUnsupportedCipher, fmt.Sprintf("%q", c))
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read the SSH private key (%s)", ErrMalformed, safeSSHError(err))
	}
	switch k := key.(type) {
	case *ed25519.PrivateKey:
		return bytes.Clone(k.Seed()), nil
	case ed25519.PrivateKey:
		return bytes.Clone(k.Seed()), nil
	case *rsa.PrivateKey:
		return nil, fmt.Errorf("%w: an RSA private key; only ed25519 keys convert to age", ErrUnsupportedKeyType)
	case *ecdsa.PrivateKey:
		return nil, fmt.Errorf("%w: an ECDSA private key; only ed25519 keys convert to age", ErrUnsupportedKeyType)
	default:
		return nil, fmt.Errorf("%w: a %T private key; only ed25519 keys convert to age", ErrUnsupportedKeyType, key)
	}
}

// safeSSHError keeps the x/crypto/ssh error text, which describes the
// structure problem and never the key bytes, but bounds its length.
func safeSSHError(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// opensshCipher returns the cipher name of an "openssh-key-v1" private key
// file, or "" if pemBytes is not one.
func opensshCipher(pemBytes []byte) string {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "OPENSSH PRIVATE KEY" {
		return ""
	}
	const magic = "openssh-key-v1\x00"
	b := block.Bytes
	if !bytes.HasPrefix(b, []byte(magic)) || len(b) < len(magic)+4 {
		return ""
	}
	b = b[len(magic):]
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) || n > 64 {
		return ""
	}
	return string(b[4 : 4+n])
}
