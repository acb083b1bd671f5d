package inventory

import (
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
)

// pgpFingerprint matches a PGP fingerprint or long key ID once spaces
// are removed.
var pgpFingerprint = regexp.MustCompile(`^(?i)(0x)?([0-9a-f]{40}|[0-9a-f]{16})$`)

// guessType names the sops key type of a value found under keys:,
// for anchors no rule refers to (a rule's reference gives the type).
func guessType(v string) string {
	t := strings.TrimSpace(v)
	l := strings.ToLower(t)
	switch {
	case strings.HasPrefix(l, "age1") || strings.HasPrefix(t, "ssh-"):
		return "age"
	case pgpFingerprint.MatchString(strings.ReplaceAll(t, " ", "")):
		return "pgp"
	case strings.HasPrefix(l, "arn:aws") && strings.Contains(l, ":kms:"):
		return "kms"
	case strings.HasPrefix(l, "projects/") && strings.Contains(l, "/cryptokeys/"):
		return "gcp_kms"
	case strings.Contains(l, ".vault.azure.net"):
		return "azure_keyvault"
	case strings.HasPrefix(l, "http") && strings.Contains(l, "/v1/") && strings.Contains(l, "/keys/"):
		return "hc_vault"
	}
	return "unknown"
}

// keyType refines a sops key type: the age recipient kind for age keys.
func keyType(typ, v string) string {
	if typ != "age" {
		return typ
	}
	r, err := agekey.ParseRecipient(v)
	if err != nil {
		return "invalid"
	}
	return r.Kind.String()
}

// identity is the string two mentions of one key share: the type and
// the value normalised the way sops compares them (age SSH keys without
// their comment, PGP fingerprints without spaces and in upper case).
func identity(typ, v string) string {
	v = strings.TrimSpace(v)
	switch typ {
	case "age":
		// Only SSH keys have another spelling (a comment) to drop.
		if strings.HasPrefix(v, "ssh-") {
			if r, err := agekey.ParseRecipient(v); err == nil {
				v = r.String
			}
		}
	case "pgp":
		v = strings.ToUpper(strings.ReplaceAll(v, " ", ""))
	}
	return typ + ":" + v
}

// displayValue is the value as the inventory shows it: trimmed, and for
// PGP without spaces as sops writes it.
func displayValue(typ, v string) string {
	v = strings.TrimSpace(v)
	if typ == "pgp" {
		v = strings.ReplaceAll(v, " ", "")
	}
	return v
}
