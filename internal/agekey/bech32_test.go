package agekey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestBech32BIP173Valid(t *testing.T) {
	for _, s := range []string{
		"A12UEL5L",
		"a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11" + strings.Repeat("q", 82) + "c8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
	} {
		hrp, data, err := Bech32Decode(s)
		if errors.Is(err, ErrPadding) {
			// BIP-173 vectors check the checksum, not 8-bit regrouping.
			continue
		}
		if err != nil {
			t.Errorf("Bech32Decode(%q): %v", s, err)
			continue
		}
		enc, err := Bech32Encode(hrp, data)
		if err != nil || enc != s {
			t.Errorf("Bech32Encode(%q, %x) = %q, %v; want %q", hrp, data, enc, err, s)
		}
	}
}

func TestBech32BIP173Invalid(t *testing.T) {
	for s, want := range map[string]error{
		"pzry9x0s0muk":   ErrNoSeparator,
		"1pzry9x0s0muk":  ErrNoSeparator,
		"x1b4n0q5v":      ErrBadCharacter,
		"li1dgmt3":       ErrNoSeparator,
		"de1lg7wt\xff":   nil, // age reports "mixed case" here too (ToUpper of \xff)
		"A1G7SGD8":       ErrChecksum,
		"10a06t8":        ErrNoSeparator,
		"1qzzfhee":       ErrNoSeparator,
		"\x201nwldj5":    ErrBadCharacter,
		"\x7f1axkwrx":    ErrBadCharacter,
		"a12UEL5L":       ErrMixedCase,
		"abc1rzg":        ErrNoSeparator,
		"age1qqqqqqqqqq": ErrChecksum,
	} {
		if _, _, err := Bech32Decode(s); err == nil || (want != nil && !errors.Is(err, want)) {
			t.Errorf("Bech32Decode(%q) = %v, want %v", s, err, want)
		}
	}
}

func TestBech32MatchesAge(t *testing.T) {
	for range 200 {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		s, err := Bech32Encode("age", k)
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.ParseX25519Recipient(s)
		if err != nil || r.String() != s {
			t.Fatalf("age does not round-trip %q: %v", s, err)
		}
		sk, err := Bech32Encode("AGE-SECRET-KEY-", k)
		if err != nil || sk != strings.ToUpper(sk) {
			t.Fatalf("identity encoding %v, upper case: %v", err, sk == strings.ToUpper(sk))
		}
		id, err := age.ParseX25519Identity(sk)
		if err != nil || id.String() != sk {
			t.Fatalf("age does not round-trip the identity: %v", err)
		}
		hrp, data, err := Bech32Decode(sk)
		if err != nil || hrp != "AGE-SECRET-KEY-" || !bytes.Equal(data, k) {
			t.Fatalf("Bech32Decode(identity) = %q, %v", hrp, err)
		}
	}
}

func TestBech32EncodeErrors(t *testing.T) {
	for _, hrp := range []string{"", "Age", "a b", "a\x7f"} {
		if _, err := Bech32Encode(hrp, []byte{1}); err == nil {
			t.Errorf("Bech32Encode(%q) succeeded", hrp)
		}
	}
}
