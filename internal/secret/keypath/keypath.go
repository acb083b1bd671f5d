// Package keypath is the one implementation of sops-nix's secret key
// syntax: map keys from the top of a sops file joined with '/'
// (passwords/borg is the key borg in the mapping passwords). keycycle.yaml,
// the secret commands and every listing of secret names use it.
package keypath

import (
	"fmt"
	"strings"
	"unicode"
)

// Problem says why s is not a key path ("" when it is): keys joined with
// '/', none empty, '.' or '..', no white space or control characters,
// and not sops's own top-level key.
func Problem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case strings.HasPrefix(s, "/"):
		return "it starts with '/' (write passwords/borg, not /passwords/borg)"
	case strings.HasSuffix(s, "/"):
		return "it ends with '/'"
	case strings.Contains(s, "//"):
		return "it has an empty element ('//')"
	case len(s) > 1024:
		return "it is longer than 1024 characters"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "it contains white space or a control character"
		}
	}
	for _, el := range strings.Split(s, "/") {
		if el == "." || el == ".." {
			return "it has a '.' or '..' element"
		}
	}
	if s == "sops" || strings.HasPrefix(s, "sops/") {
		return "the top-level key sops is sops's own metadata"
	}
	return ""
}

// Parse splits a key path into its keys.
func Parse(s string) ([]string, error) {
	if msg := Problem(s); msg != "" {
		return nil, fmt.Errorf("%q is not a secret path: %s", s, msg)
	}
	return strings.Split(s, "/"), nil
}

// Format joins keys into a key path.
func Format(keys []string) string { return strings.Join(keys, "/") }

// Within says whether the secret named name is path itself or below it
// (a path naming a mapping covers every secret in it).
func Within(name, path string) bool {
	return name == path || strings.HasPrefix(name, path+"/")
}
