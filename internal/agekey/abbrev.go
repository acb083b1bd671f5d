package agekey

// Abbrev is the one short form of a recipient (or any key value: a PGP
// fingerprint, an ssh-ed25519 line) in text output, beside the name that
// identifies it: the first 8 and last 4 characters around "…"
// ("age1abcd…wxyz"). Values of 13 characters or fewer stay whole.
//
// Only a named key is abbreviated: a recipient no .sops.yaml anchor
// names is printed whole wherever it is printed, since nothing else tells
// the reader which key it is (Label).
func Abbrev(v string) string {
	r := []rune(v)
	if len(r) <= 13 {
		return v
	}
	return string(r[:8]) + "…" + string(r[len(r)-4:])
}

// Label is how text output names a key: "name (age1abcd…wxyz)" when
// names (its anchors) has any, else the value whole.
func Label(v string, names ...string) string {
	switch len(names) {
	case 0:
		return v
	case 1:
		return names[0] + " (" + Abbrev(v) + ")"
	}
	s := names[0]
	for _, n := range names[1:] {
		s += ", " + n
	}
	return s + " (" + Abbrev(v) + ")"
}
