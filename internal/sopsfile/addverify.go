package sopsfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/getsops/sops/v3/aes"
	"gopkg.in/yaml.v3"
)

// verifyAdd proves the output of the add fast path before anything may
// write it:
//   - every byte before and after the age list is the input's;
//   - decoded again, the output is one document equal to the input node
//     for node (values, styles, tags, comments) everywhere but sops.age;
//   - the age list names exactly the rule's recipients, in its order, and
//     the stanza of every recipient that stayed is byte-identical;
//   - the MAC authenticates under the data key (AES-GCM, with
//     lastmodified as its additional data, through sops's cipher) and a
//     value decrypts under it: the file opens with the same data key.
//
// The values and the MAC are the input's bytes, so the output is exactly
// as intact as the input: the MAC over all values is not recomputed here
// (the general path does, since it re-encrypts or re-emits every value).
func verifyAdd(l *ageList, in, out []byte, want []string, encs map[string]string, dataKey []byte) error {
	tail := len(in) - l.end
	if len(out) < l.start+tail || !bytes.Equal(out[:l.start], in[:l.start]) || !bytes.Equal(out[len(out)-tail:], in[l.end:]) {
		return errors.New("bytes outside the age list changed")
	}
	doc, ok := decodeOne(out)
	if !ok {
		return errors.New("the output is not one YAML document with unique keys")
	}
	var got *yaml.Node
	if err := sameOutside(l.doc, doc, l.list, &got); err != nil {
		return err
	}
	if got == nil || got.Kind != yaml.SequenceNode || len(got.Content) != len(want) {
		return fmt.Errorf("the age list does not hold the %d recipients of the rule", len(want))
	}
	for i, item := range got.Content {
		r, enc, ok := stanzaOf(item)
		if !ok || r != want[i] {
			return fmt.Errorf("age recipient %d is %q, want %s", i+1, r, want[i])
		}
		if enc != encs[r] {
			return fmt.Errorf("the stanza of %s is not the one wrapped or kept", r)
		}
	}
	for _, r := range l.recipients {
		if encs[r] != l.encs[r] {
			return fmt.Errorf("the stanza of %s changed", r)
		}
	}
	return opensWith(doc, dataKey)
}

// sameOutside compares two documents node for node, except the node skip
// of a (whose counterpart in b is returned through got).
func sameOutside(a, b, skip *yaml.Node, got **yaml.Node) error {
	if a == skip {
		*got = b
		return nil
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment ||
		len(a.Content) != len(b.Content) {
		return fmt.Errorf("line %d differs from the input (line %d)", b.Line, a.Line)
	}
	for i := range a.Content {
		if err := sameOutside(a.Content[i], b.Content[i], skip, got); err != nil {
			return err
		}
	}
	return nil
}

// opensWith proves the data key is this file's: the MAC, encrypted under
// the data key with lastmodified as additional data, authenticates, and
// one encrypted value decrypts with its path as additional data — both
// through sops's own cipher.
func opensWith(doc *yaml.Node, dataKey []byte) error {
	root := doc.Content[0]
	meta, _ := mapValue(root, "sops")
	mac, _ := mapValue(meta, "mac")
	lm, _ := mapValue(meta, "lastmodified")
	if mac == nil || lm == nil {
		return errors.New("no MAC or lastmodified")
	}
	t, err := time.Parse(time.RFC3339, lm.Value)
	if err != nil {
		return fmt.Errorf("lastmodified: %v", err)
	}
	c := aes.NewCipher()
	if _, err := c.Decrypt(mac.Value, dataKey, t.Format(time.RFC3339)); err != nil {
		return fmt.Errorf("the MAC does not open with the data key: %s", oneLine(err.Error()))
	}
	value, path := firstEncrypted(root, nil)
	if value == nil {
		return errors.New("no encrypted value under plain keys to try the data key on")
	}
	if _, err := c.Decrypt(value.Value, dataKey, strings.Join(path, ":")+":"); err != nil {
		return fmt.Errorf("%s does not decrypt with the data key: %s", strings.Join(path, "/"), oneLine(err.Error()))
	}
	return nil
}

// firstEncrypted finds an ENC[…] scalar reached through string keys only
// (no list on the way, so its path is just the keys), outside sops.
func firstEncrypted(m *yaml.Node, path []string) (*yaml.Node, []string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || (path == nil && k.Value == "sops") {
			continue
		}
		p := append(path[:len(path):len(path)], k.Value)
		switch {
		case v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "ENC[AES256_GCM,"):
			return v, p
		case v.Kind == yaml.MappingNode:
			if n, np := firstEncrypted(v, p); n != nil {
				return n, np
			}
		}
	}
	return nil, nil
}
