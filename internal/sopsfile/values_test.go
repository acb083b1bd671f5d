package sopsfile

import (
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestEditValues(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	plain := []byte("passwords:\n    borg: old\n    rain: r\nport: 22\nlist:\n    - a\n")
	data, err := Encrypt("s.yaml", plain, EncryptOptions{Groups: [][]string{{id.Recipient().String()}}})
	if err != nil {
		t.Fatal(err)
	}
	opts := EditOptions{Identities: []age.Identity{id}}
	out, err := EditValues("s.yaml", data, []ValueOp{
		Set([]string{"passwords", "borg"}, "new"),
		Set([]string{"wireguard", "private"}, "k"),
		Move([]string{"passwords", "rain"}, []string{"users", "rain"}),
		Unset([]string{"port"}),
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decrypt("s.yaml", out, id.String())
	if err != nil {
		t.Fatal(err)
	}
	want := "passwords:\n    borg: new\nlist:\n    - a\nwireguard:\n    private: k\nusers:\n    rain: r\n"
	if string(dec) != want {
		t.Fatalf("decrypted:\n%s\nwant:\n%s", dec, want)
	}
	// Unset prunes the mappings it empties.
	out2, err := EditValues("s.yaml", out, []ValueOp{Unset([]string{"users", "rain"})}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if dec, _ := Decrypt("s.yaml", out2, id.String()); strings.Contains(string(dec), "users") {
		t.Errorf("an emptied mapping stayed:\n%s", dec)
	}
	if v, err := GetValue("s.yaml", out, []string{"users", "rain"}, opts); v != "r" || err != nil {
		t.Errorf("GetValue users/rain = %q, %v", v, err)
	}
	if v, err := GetValue("s.yaml", data, []string{"port"}, opts); v != "22" || err != nil {
		t.Errorf("GetValue port = %q, %v", v, err)
	}
	if _, err := GetValue("s.yaml", data, []string{"nope"}, opts); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetValue nope: %v", err)
	}
	for name, op := range map[string]ValueOp{
		"set below a value":  Set([]string{"port", "x"}, "v"),
		"set over a mapping": Set([]string{"passwords"}, "v"),
		"unset missing":      Unset([]string{"nope"}),
		"move onto a value":  Move([]string{"port"}, []string{"passwords", "borg"}),
		"move into itself":   Move([]string{"passwords"}, []string{"passwords", "x"}),
		"move missing":       Move([]string{"nope"}, []string{"x"}),
		"not utf-8":          Set([]string{"bin"}, "\xff\xfe"),
		"the sops key":       Set([]string{"sops", "x"}, "v"),
		"an empty key":       Set([]string{"a", ""}, "v"),
	} {
		if _, err := EditValues("s.yaml", data, []ValueOp{op}, opts); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestPlainDocument(t *testing.T) {
	doc, err := PlainDocument("x.yaml", []ValueOp{Set([]string{"a", "b"}, "1"), Set([]string{"c"}, "2")})
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != "a:\n    b: \"1\"\nc: \"2\"\n" {
		t.Errorf("yaml document:\n%s", doc)
	}
	doc, err = PlainDocument("x.json", []ValueOp{Set([]string{"a", "b"}, "1")})
	if err != nil || !strings.Contains(string(doc), `"b": "1"`) {
		t.Errorf("json document: %s %v", doc, err)
	}
}

// FuzzEditValues sets, moves and removes arbitrary key paths and values
// in a real encrypted file: it never panics, and whatever it accepts
// decrypts (MAC checked) to exactly what was set.
func FuzzEditValues(f *testing.F) {
	id, _ := age.GenerateX25519Identity()
	data, err := Encrypt("s.yaml", []byte("a:\n    b: x\nc: '1'\nl:\n    - 1\n"), EncryptOptions{Groups: [][]string{{id.Recipient().String()}}})
	if err != nil {
		f.Fatal(err)
	}
	opts := EditOptions{Identities: []age.Identity{id}}
	for _, s := range [][3]string{{"a/b", "v", "c"}, {"a", "v", ""}, {"l/0", "v", "m"}, {"sops", "x", ""}, {"a//b", "\x00", "a/b/c"}, {"d/e/f", "multi\nline", "a"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, path, value, to string) {
		p := strings.Split(path, "/")
		out, err := EditValues("s.yaml", data, []ValueOp{Set(p, value)}, opts)
		if err == nil {
			if got, err := GetValue("s.yaml", out, p, opts); err != nil || got != value {
				t.Fatalf("set %q = %q, read back %q, %v", path, value, got, err)
			}
			if _, err := Decrypt("s.yaml", out, id.String()); err != nil {
				t.Fatalf("set %q: the output does not decrypt: %v", path, err)
			}
		}
		q := strings.Split(to, "/")
		if out, err := EditValues("s.yaml", data, []ValueOp{Move([]string{"a", "b"}, q)}, opts); err == nil {
			if got, err := GetValue("s.yaml", out, q, opts); err != nil || got != "x" {
				t.Fatalf("move a/b to %q, read back %q, %v", to, got, err)
			}
		}
		_, _ = EditValues("s.yaml", data, []ValueOp{Unset(p)}, opts)
	})
}
