package agekey

import (
	"errors"
	"fmt"
	"strings"
)

// This file is a small BIP-173 bech32 codec with the two changes age makes:
// no 90-character limit, and upper-case strings keep an upper-case HRP.
// age's own codec is internal to its module, so it cannot be imported; this
// one accepts exactly the strings age's accepts, and its errors are sentinel
// errors that keycycle can turn into plain-words messages.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Checksum constants: polymod of a valid string equals one of these.
const (
	bech32Const  = 1          // BIP-173 bech32, what age uses
	bech32mConst = 0x2bc830a3 // BIP-350 bech32m, a common mistake
)

// Bech32 decoding errors. They are wrapped by the errors ParseRecipient
// and ParseIdentityFile return.
var (
	// ErrMixedCase reports a bech32 string with both upper- and lower-case letters.
	ErrMixedCase = errors.New("mixed upper and lower case")
	// ErrNoSeparator reports a bech32 string without a well-placed '1' separator.
	ErrNoSeparator = errors.New("no '1' separator before a data part of at least 6 characters")
	// ErrBadCharacter reports a character outside the bech32 alphabet.
	ErrBadCharacter = errors.New("invalid character")
	// ErrChecksum reports a bech32 string whose checksum does not match.
	ErrChecksum = errors.New("bad checksum")
	// ErrBech32m reports a string with a bech32m (BIP-350) checksum where
	// age needs a bech32 (BIP-173) one.
	// It wraps ErrChecksum.
	ErrBech32m = fmt.Errorf("%w: it is a bech32m (BIP-350) checksum, age needs bech32 (BIP-173)", ErrChecksum)
	// ErrPadding reports a data part whose bit padding is not canonical.
	ErrPadding = errors.New("invalid padding in the data part")
)

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range gen {
			if (top>>i)&1 == 1 {
				chk ^= g
			}
		}
	}
	return chk
}

func bech32HRPExpand(hrp string) []byte {
	h := strings.ToLower(hrp)
	out := make([]byte, 0, 2*len(h)+1)
	for i := 0; i < len(h); i++ {
		out = append(out, h[i]>>5)
	}
	out = append(out, 0)
	for i := 0; i < len(h); i++ {
		out = append(out, h[i]&31)
	}
	return out
}

// convertBits regroups data from frombits-bit to tobits-bit groups.
func convertBits(data []byte, frombits, tobits uint, pad bool) ([]byte, error) {
	var out []byte
	acc, bits := uint32(0), uint(0)
	maxv := uint32(1)<<tobits - 1
	for _, v := range data {
		if uint32(v)>>frombits != 0 {
			return nil, fmt.Errorf("value %d does not fit in %d bits", v, frombits)
		}
		acc = acc<<frombits | uint32(v)
		bits += frombits
		for bits >= tobits {
			bits -= tobits
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(tobits-bits)&maxv))
		}
	} else if bits >= frombits || acc<<(tobits-bits)&maxv != 0 {
		return nil, ErrPadding
	}
	return out, nil
}

// Bech32Encode encodes data as BIP-173 bech32 with the human-readable part
// hrp. The result is upper case when hrp is upper case, as age does for
// "AGE-SECRET-KEY-". It fails on an empty, mixed-case or non-printable hrp.
func Bech32Encode(hrp string, data []byte) (string, error) {
	if hrp == "" {
		return "", errors.New("empty human-readable part")
	}
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", fmt.Errorf("%w in the human-readable part", ErrBadCharacter)
		}
	}
	lower := strings.ToLower(hrp)
	upper := strings.ToUpper(hrp)
	if hrp != lower && hrp != upper {
		return "", ErrMixedCase
	}
	values, err := convertBits(data, 8, 5, true)
	if err != nil {
		return "", err
	}
	chk := bech32Polymod(append(append(bech32HRPExpand(lower), values...), 0, 0, 0, 0, 0, 0)) ^ bech32Const
	var b strings.Builder
	b.Grow(len(hrp) + 1 + len(values) + 6)
	b.WriteString(lower)
	b.WriteByte('1')
	for _, v := range values {
		b.WriteByte(bech32Charset[v])
	}
	for i := 0; i < 6; i++ {
		b.WriteByte(bech32Charset[(chk>>(5*(5-i)))&31])
	}
	if hrp == upper && hrp != lower {
		return strings.ToUpper(b.String()), nil
	}
	return b.String(), nil
}

// Bech32Decode decodes a BIP-173 bech32 string as age does: the
// human-readable part is returned in the case it was written in, there is
// no length limit, and the checksum must be bech32 (not bech32m).
func Bech32Decode(s string) (hrp string, data []byte, err error) {
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return "", nil, ErrMixedCase
	}
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) {
		return "", nil, ErrNoSeparator
	}
	hrp = s[:pos]
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", nil, fmt.Errorf("%w in the prefix (position %d)", ErrBadCharacter, i+1)
		}
	}
	values := make([]byte, 0, len(s)-pos-1)
	for i := pos + 1; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		d := strings.IndexByte(bech32Charset, c)
		if d < 0 {
			return "", nil, fmt.Errorf("%w %s at position %d", ErrBadCharacter, describeByte(s[i]), i+1)
		}
		values = append(values, byte(d))
	}
	switch bech32Polymod(append(bech32HRPExpand(hrp), values...)) {
	case bech32Const:
	case bech32mConst:
		return "", nil, ErrBech32m
	default:
		return "", nil, ErrChecksum
	}
	data, err = convertBits(values[:len(values)-6], 5, 8, false)
	if err != nil {
		return "", nil, err
	}
	return hrp, data, nil
}

// describeByte names a byte for an error message without echoing anything
// that could be part of a secret: only the byte itself, quoted, and only
// when it is not a bech32 data character.
func describeByte(c byte) string {
	switch {
	case c == ' ':
		return "(a space)"
	case c == '\t':
		return "(a tab)"
	case c == '\r' || c == '\n':
		return "(a line break)"
	case c < 32 || c == 127:
		return fmt.Sprintf("(control byte 0x%02x)", c)
	case c >= 128:
		return "(a non-ASCII character)"
	default:
		return fmt.Sprintf("%q", rune(c))
	}
}
