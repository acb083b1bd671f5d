package inventory

import (
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"unicode"
	"unicode/utf8"
)

// printable replaces control characters so that a name cannot break a
// line or move the cursor of the terminal it is printed on.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// cols is the number of columns s takes (one per rune: keycycle prints
// names, paths and keys, not wide scripts).
func cols(s string) int { return utf8.RuneCountInString(s) }

// shortKey shortens a recipient to "age1abcd…wxyz" (agekey.Abbrev) for
// the key list's column; the summary names an unlisted key whole.
func shortKey(v string) string { return agekey.Abbrev(printable(v)) }

// cutRight keeps the first n columns of s, ending in "…" when cut.
func cutRight(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

// cutMiddle keeps the first third and the rest of the last n columns of
// s, with "…" between them when cut: both ends of a path say something
// (hosts/NAME/secrets.yaml, sops/NAME.yaml).
func cutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 4 {
		return cutLeft(s, n)
	}
	head := (n - 1) / 3
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

// cutLeft keeps the last n columns of s, starting with "…" when cut.
func cutLeft(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[len(r)-n:])
	}
	return "…" + string(r[len(r)-n+1:])
}

// pad fills s with spaces to n columns.
func pad(s string, n int) string {
	if w := cols(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft right-aligns s in n columns.
func padLeft(s string, n int) string {
	if w := cols(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}
