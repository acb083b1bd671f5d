package sopsfile

import (
	"bytes"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"gopkg.in/yaml.v3"
)

// spliceRotated writes a file whose data key sops's library has just
// replaced (rotate: every value encrypted anew, a new MAC, lastmodified
// and stanzas) without sops's YAML emitter, which encodes every scalar
// on its own and was a fifth of a removal's time. The input's bytes are
// kept; each old ENC[…] string is replaced by the one sops made for the
// same leaf (the two trees have one shape: leaves are paired in order),
// the MAC and lastmodified by the new ones, and the age list by the new
// stanzas in the file's own layout. It returns nil when the file is not
// a layout it recognises (l is nil: see ageListOf) or anything does not
// pair up;
// the caller then emits through sops. Either way the output is verified
// by a full decrypt before it is used.
func spliceRotated(l *ageList, data []byte, old, rotated *sops.Tree) []byte {
	if l == nil || len(rotated.Metadata.KeyGroups) != 1 || l.threshold != rotated.Metadata.ShamirThreshold {
		return nil
	}
	pairs := map[string]string{}
	var ok bool
	if !pairLeaves(old.Branches, rotated.Branches, pairs) || !addPair(pairs, old.Metadata.MessageAuthenticationCode, rotated.Metadata.MessageAuthenticationCode) {
		return nil
	}
	lm, ok := lastModifiedAt(data, l)
	if !ok {
		return nil
	}
	var items strings.Builder
	for _, k := range rotated.Metadata.KeyGroups[0] {
		mk, ok := k.(*sopsage.MasterKey)
		if !ok {
			return nil
		}
		text, ok := l.tmpl.render(mk.Recipient, mk.EncryptedKey)
		if !ok {
			return nil
		}
		items.WriteString(text)
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(data)/8)
	used := 0
	used += replaceENC(&b, data[:l.start], pairs)
	b.WriteString(items.String())
	used += replaceENC(&b, data[l.end:lm.from], pairs)
	b.WriteString(`"` + rotated.Metadata.LastModified.Format(time.RFC3339) + `"`)
	used += replaceENC(&b, data[lm.to:], pairs)
	if used != len(pairs) {
		return nil // a value not found, or found twice: let sops emit
	}
	return b.Bytes()
}

// pairLeaves maps each encrypted leaf (value or comment) of a to the one
// at the same place in b. Keys and unencrypted leaves must be equal.
func pairLeaves(a, b sops.TreeBranches, pairs map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !pairValue(a[i], b[i], pairs) {
			return false
		}
	}
	return true
}

func pairValue(a, b any, pairs map[string]string) bool {
	switch a := a.(type) {
	case sops.TreeBranch:
		bb, ok := b.(sops.TreeBranch)
		if !ok || len(a) != len(bb) {
			return false
		}
		for i := range a {
			if !pairValue(a[i].Key, bb[i].Key, pairs) || !pairValue(a[i].Value, bb[i].Value, pairs) {
				return false
			}
		}
		return true
	case []any:
		bb, ok := b.([]any)
		if !ok || len(a) != len(bb) {
			return false
		}
		for i := range a {
			if !pairValue(a[i], bb[i], pairs) {
				return false
			}
		}
		return true
	case sops.Comment:
		bb, ok := b.(sops.Comment)
		return ok && (a.Value == bb.Value || addPair(pairs, a.Value, bb.Value))
	case string:
		bb, ok := b.(string)
		return ok && (a == bb || addPair(pairs, a, bb))
	}
	return a == b
}

// addPair records old → new for two distinct ENC[…] strings; an old one
// seen twice cannot be told apart in the bytes.
func addPair(pairs map[string]string, old, new string) bool {
	if !strings.HasPrefix(old, encPrefix) || !strings.HasPrefix(new, encPrefix) || strings.IndexByte(old, ']') != len(old)-1 {
		return false
	}
	if _, dup := pairs[old]; dup {
		return false
	}
	pairs[old] = new
	return true
}

// replaceENC copies src to b with every ENC[…] string found in pairs
// replaced; it returns how many were.
func replaceENC(b *bytes.Buffer, src []byte, pairs map[string]string) int {
	n := 0
	for {
		i := bytes.Index(src, []byte(encPrefix))
		if i < 0 {
			b.Write(src)
			return n
		}
		j := bytes.IndexByte(src[i:], ']')
		if j < 0 {
			b.Write(src)
			return n
		}
		b.Write(src[:i])
		if repl, ok := pairs[string(src[i:i+j+1])]; ok {
			b.WriteString(repl)
			n++
		} else {
			b.Write(src[i : i+j+1])
		}
		src = src[i+j+1:]
	}
}

type span struct{ from, to int }

// lastModifiedAt finds the double-quoted lastmodified value after the age
// list, as sops writes it.
func lastModifiedAt(data []byte, l *ageList) (span, bool) {
	meta, _ := mapValue(l.doc.Content[0], "sops")
	v, _ := mapValue(meta, "lastmodified")
	lines := lineStarts(data)
	if v == nil || v.Line < 1 || v.Line > len(lines) || v.Style != yaml.DoubleQuotedStyle {
		return span{}, false
	}
	from := lines[v.Line-1] + v.Column - 1
	quoted := `"` + v.Value + `"`
	if from < l.end || from+len(quoted) > len(data) || string(data[from:from+len(quoted)]) != quoted {
		return span{}, false
	}
	return span{from, from + len(quoted)}, true
}
