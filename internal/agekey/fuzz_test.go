package agekey

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// sentinels are the errors every error of this package wraps.
func sentinels() []error {
	return []error{ErrEmpty, ErrPlaceholder, ErrCase, ErrPrefix, ErrLength, ErrInvalidKey, ErrLowOrder,
		ErrSecretKey, ErrPublicKey, ErrUnsupportedKeyType, ErrPassphraseNeeded, ErrWrongPassphrase,
		ErrUnsupportedCipher, ErrNoKeys, ErrMalformed, ErrMixedCase, ErrNoSeparator, ErrBadCharacter,
		ErrChecksum, ErrPadding, ErrNeedsPlugin}
}

func classified(err error) bool {
	for _, s := range sentinels() {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// corpusSeeds adds every file of the shared corpus as a seed, if present.
func corpusSeeds(f *testing.F, add func([]byte)) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "ssh-to-age")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			add(data)
		}
	}
}

func FuzzParseRecipient(f *testing.F) {
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	line, _ := newSSHEd25519(f, "c")
	for _, s := range []string{x.Recipient().String(), pq.Recipient().String(), line, x.String(),
		plugin.EncodeRecipient("yubikey", []byte("data")), " age1 ", "age1pq1", "ssh-rsa AAAA", "Age1q"} {
		f.Add(s)
	}
	corpusSeeds(f, func(b []byte) {
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(strings.Split(l, "\t")[0])
		}
	})
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecipient(s)
		if err != nil {
			if !classified(err) || err.Error() == "" {
				t.Fatalf("unclassified error %q", err)
			}
			// Differential: what age accepts as X25519, keycycle accepts
			// too (unless it is an unusable low-order point).
			ts := strings.TrimSpace(s)
			if strings.HasPrefix(ts, "age1") && strings.Count(ts, "1") == 1 {
				if _, aerr := age.ParseX25519Recipient(ts); aerr == nil && !errors.Is(err, ErrLowOrder) {
					t.Fatalf("age accepts %q, keycycle says %v", ts, err)
				}
			}
			return
		}
		if r.Kind == KindUnknown || r.String == "" || r.String != strings.TrimSpace(r.String) {
			t.Fatalf("bad Recipient %+v", r)
		}
		r2, err := ParseRecipient(r.String)
		if err != nil || r2.Kind != r.Kind || r2.String != r.String || r2.Derived != r.Derived || r2.Trimmed {
			t.Fatalf("canonical form does not round-trip: %+v → %+v, %v", r, r2, err)
		}
		switch r.Kind {
		case KindX25519:
			if a, err := age.ParseX25519Recipient(r.String); err != nil || a.String() != r.String {
				t.Fatalf("age rejects %q: %v", r.String, err)
			}
		case KindPQ:
			if _, err := age.ParseHybridRecipient(r.String); err != nil {
				t.Fatalf("age rejects %q: %v", r.String, err)
			}
		case KindSSHEd25519:
			if d, err := ParseRecipient(r.Derived); err != nil || d.Kind != KindX25519 {
				t.Fatalf("Derived %q does not parse: %v", r.Derived, err)
			}
		}
	})
}

func FuzzSSHPublicKeysToAge(f *testing.F) {
	l1, priv := newSSHEd25519(f, "one")
	l2, _ := newSSHEd25519(f, "")
	f.Add([]byte(l1 + "\r\n" + "host " + l2 + "\n# c\n"))
	f.Add(priv)
	f.Add([]byte("@revoked * " + l1))
	corpusSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := SSHPublicToAge(data); err != nil && !classified(err) {
			t.Fatalf("unclassified error %q", err)
		}
		conv, skipped, err := ScanSSHPublicKeys(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %q", err)
			}
			return
		}
		last := 0
		for _, c := range conv {
			if c.Line <= last {
				t.Fatalf("lines out of order: %+v", conv)
			}
			last = c.Line
			r, err := ParseRecipient(c.Recipient)
			if err != nil || r.Kind != KindX25519 {
				t.Fatalf("converted recipient %q does not parse: %v", c.Recipient, err)
			}
			s, err := ParseRecipient(c.SSHKey)
			if err != nil || s.Kind != KindSSHEd25519 || s.Derived != c.Recipient {
				t.Fatalf("SSHKey %q: %+v, %v", c.SSHKey, s, err)
			}
			if one, err := SSHPublicToAge([]byte(c.SSHKey)); err != nil || one != c.Recipient {
				t.Fatalf("SSHPublicToAge(SSHKey) = %q, %v; want %q", one, err, c.Recipient)
			}
		}
		for _, s := range skipped {
			if s.Line < 1 || s.Reason == "" {
				t.Fatalf("bad skipped entry %+v", s)
			}
		}
	})
}

// longToken matches runs of characters that could be key material.
var longToken = regexp.MustCompile(`[A-Za-z0-9+/=_-]{24,}`)

func FuzzParseIdentityFile(f *testing.F) {
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	f.Add([]byte("# created: x\r\n" + x.String() + "\r\n"))
	f.Add([]byte(pq.String() + "\n" + plugin.EncodeIdentity("yubikey", []byte("d"))))
	f.Add([]byte(strings.ToLower(x.String())))
	f.Add([]byte("\uFEFF" + x.String()))
	f.Add([]byte(x.String() + " "))
	corpusSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, err := ParseIdentityFile(bytes.NewReader(data))
		ageIDs, ageErr := age.ParseIdentities(bytes.NewReader(data))
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %q", err)
			}
			for _, tok := range longToken.FindAll(data, -1) {
				if strings.Contains(err.Error(), string(tok)) {
					t.Fatalf("error %q contains input text %q", err, tok)
				}
			}
			if ageErr == nil {
				t.Fatalf("age accepts the file, keycycle says %v", err)
			}
			return
		}
		plugins, long := 0, false
		last := 0
		for _, id := range ids {
			if id.Line <= last || id.AgeIdentity() == nil {
				t.Fatalf("bad identity %v", id)
			}
			last = id.Line
			if id.Kind == KindPlugin {
				plugins++
				continue
			}
			rec, err := id.Recipient()
			if err != nil {
				t.Fatal(err)
			}
			if r, err := ParseRecipient(rec); err != nil || r.Kind != id.Kind {
				t.Fatalf("identity's recipient %q: %+v, %v", rec, r, err)
			}
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			long = long || len(l) >= 64*1024 || !utf8.Valid(l)
		}
		if plugins == 0 && !long && (ageErr != nil || len(ageIDs) != len(ids)) {
			t.Fatalf("keycycle reads %d identities, age %d (%v)", len(ids), len(ageIDs), ageErr)
		}
	})
}
