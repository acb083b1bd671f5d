package agekey

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

func TestParseIdentityFile(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	pl := plugin.EncodeIdentity("yubikey", []byte("plugin identity data"))
	file := "# created: 2024-01-01T00:00:00Z\r\n# public key: " + x.Recipient().String() + "\r\n" +
		x.String() + "\r\n\r\n#\n" + pq.String() + "\n" + pl // no final newline
	ids, err := ParseIdentityFile(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("got %d identities, want 3", len(ids))
	}
	want := []struct {
		kind Kind
		line int
		rec  string
	}{{KindX25519, 3, x.Recipient().String()}, {KindPQ, 6, pq.Recipient().String()}, {KindPlugin, 7, ""}}
	for i, w := range want {
		id := ids[i]
		if id.Kind != w.kind || id.Line != w.line || id.AgeIdentity() == nil {
			t.Errorf("identity %d = %v kind %v line %d", i, id, id.Kind, id.Line)
		}
		rec, err := id.Recipient()
		if w.kind == KindPlugin {
			if !errors.Is(err, ErrNeedsPlugin) || id.Plugin != "yubikey" {
				t.Errorf("plugin Recipient() = %q, %v (plugin %q)", rec, err, id.Plugin)
			}
			continue
		}
		if err != nil || rec != w.rec {
			t.Errorf("identity %d Recipient() = %q, %v; want %q", i, rec, err, w.rec)
		}
	}
	for _, id := range ids {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			out := fmt.Sprintf(f, id) + fmt.Sprintf(f, &id) + fmt.Sprint(ids)
			for _, secret := range []string{x.String(), pq.String(), pl} {
				if strings.Contains(out, secret[20:36]) || strings.Contains(strings.ToUpper(out), secret[20:36]) {
					t.Fatalf("fmt %s prints the secret: %s", f, out)
				}
			}
		}
	}
}

func TestParseIdentityFileErrors(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	s := x.String()
	typo := s[:30] + string(flip(strings.ToLower(s[30:31])[0])) + s[31:]
	typo = s[:30] + strings.ToUpper(typo[30:31]) + s[31:]
	cases := []struct {
		file string
		line int
		want error
	}{
		{"", 0, ErrNoKeys},
		{"# only a comment\n\n", 0, ErrNoKeys},
		{"# c\n" + typo + "\n", 2, ErrChecksum},
		{"\n\n" + s[:len(s)-1], 3, ErrLength},
		{s + " \n", 1, ErrMalformed},
		{"  \n" + s, 1, ErrMalformed},
		{"\t" + s, 1, ErrMalformed},
		{"\uFEFF" + s, 1, ErrMalformed},
		{strings.ToLower(s), 1, ErrCase},
		{s[:20] + strings.ToLower(s[20:]), 1, ErrMixedCase},
		{x.Recipient().String(), 1, ErrPublicKey},
		{"ssh-ed25519 AAAA", 1, ErrPublicKey},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", 1, ErrPrefix},
		{"AGE-SECRET-KEY-1XXXXXXXXXXXXXXXXXXXXXXXXXX", 1, ErrPlaceholder},
		{"hello", 1, ErrPrefix},
		{"# ok\n" + s + "\n\xff\xfe", 3, ErrMalformed},
		{"AGE-SECRET-KEY-PQ-1" + s[16:], 1, ErrChecksum},
		{"AGE-PLUGIN-YUBIKEY-1QQQQ", 1, ErrLength},
	}
	for _, c := range cases {
		ids, err := ParseIdentityFile(strings.NewReader(c.file))
		if !errors.Is(err, c.want) {
			t.Errorf("ParseIdentityFile(%q) = %v, %v; want %v", c.file, ids, err, c.want)
			continue
		}
		if c.line > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: ", c.line)) {
			t.Errorf("ParseIdentityFile(%q) error %q does not name line %d", c.file, err, c.line)
		}
		if strings.Contains(err.Error(), s[16:32]) || strings.Contains(strings.ToUpper(err.Error()), s[16:32]) {
			t.Errorf("error %q contains the secret", err)
		}
	}
	if _, err := ParseIdentityFile(iotest.ErrReader(errors.New("disk on fire"))); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error not reported: %v", err)
	}
	if _, err := ParseIdentity(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("ParseIdentity(\"\") = %v", err)
	}
	var zero Identity
	if _, err := zero.Recipient(); err == nil {
		t.Error("zero Identity has a recipient")
	}
}
