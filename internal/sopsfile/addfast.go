package sopsfile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/repo"
)

// The add fast path. When a rule only gains age recipients, nothing in a
// file changes but its `sops.age` list: the encrypted values, the MAC and
// lastmodified stay, and every stanza of a recipient that stays is kept.
// sops's YAML store re-emits the whole tree for that (one yaml Encode per
// scalar) and keycycle then re-parses the output to verify it: two thirds
// of an add. This path decodes the file once, unwraps the data key once
// (sops's age.MasterKey), wraps it for each new recipient (the same), and
// splices the new stanzas into the bytes of the age list, leaving every
// other byte of the file as it was. It applies only to a layout it
// recognises (one YAML document, one key group of age keys, the block
// list sops writes); anything else goes the general way (Rekey). The
// output is then verified (verifyAdd) before it is returned; a failure
// there also sends the file the general way.

// ageList is a YAML sops file's age list as the bytes hold it.
type ageList struct {
	doc        *yaml.Node // the decoded document
	list       *yaml.Node // the sequence under sops.age
	recipients []string
	encs       map[string]string // recipient → armored stanza
	items      [][]byte          // the bytes of each item, in order (in data)
	start, end int               // the list's items span data[start:end]
	threshold  int
	tmpl       stanzaLayout
}

// stanzaLayout is how the file writes one item of the age list, learned
// from its first item and proven on every item.
type stanzaLayout struct {
	dash      string // "        - "
	encIndent string // the indentation of the armored lines
	encFirst  bool   // sops writes enc before recipient
}

func (l stanzaLayout) render(recipient, enc string) (string, bool) {
	var b bytes.Buffer
	if !l.write(&b, recipient, enc) {
		return "", false
	}
	return b.String(), true
}

// write appends the item of recipient to b; false when enc is not an
// armored stanza the layout can hold (b is then partly written).
func (l stanzaLayout) write(b *bytes.Buffer, recipient, enc string) bool {
	if !strings.HasSuffix(enc, "\n") || strings.HasSuffix(enc, "\n\n") {
		return false
	}
	cont := len(l.dash)
	encPart := func() bool {
		b.WriteString("enc: |\n")
		for rest := enc; rest != ""; {
			i := strings.IndexByte(rest, '\n')
			line := rest[:i]
			if line == "" || strings.TrimSpace(line) != line {
				return false
			}
			b.WriteString(l.encIndent)
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
		}
		return true
	}
	b.WriteString(l.dash)
	if !l.encFirst {
		b.WriteString("recipient: " + recipient + "\n")
		b.WriteString(strings.Repeat(" ", cont))
		return encPart()
	}
	if !encPart() {
		return false
	}
	b.WriteString(strings.Repeat(" ", cont))
	b.WriteString("recipient: ")
	b.WriteString(recipient)
	b.WriteByte('\n')
	return true
}

// sopsKeysAllowed are the metadata keys of a file the fast path accepts:
// no other kind of master key, no key_groups.
var sopsKeysAllowed = map[string]bool{
	"age": true, "lastmodified": true, "mac": true, "version": true, "shamir_threshold": true,
	"unencrypted_suffix": true, "encrypted_suffix": true, "unencrypted_regex": true, "encrypted_regex": true,
	"unencrypted_comment_regex": true, "encrypted_comment_regex": true, "mac_only_encrypted": true,
}

// decodeOne decodes data as exactly one YAML document whose root is a
// mapping with unique keys.
func decodeOne(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	if !uniqueKeys(doc.Content[0]) {
		return nil, false // sops refuses duplicate keys: let it say so
	}
	return &doc, true
}

func uniqueKeys(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode && !uniqueIn(n.Content) {
		return false
	}
	for _, c := range n.Content {
		if !uniqueKeys(c) {
			return false
		}
	}
	return true
}

// uniqueIn tells whether the keys of a mapping's content (key, value,
// key, value…) are scalars, each once. Most mappings of a sops file hold
// a few keys: those are compared in place, without a map.
func uniqueIn(content []*yaml.Node) bool {
	if len(content) > 32 {
		seen := make(map[string]bool, len(content)/2)
		for i := 0; i+1 < len(content); i += 2 {
			k := content[i]
			if k.Kind != yaml.ScalarNode || seen[k.Value] {
				return false
			}
			seen[k.Value] = true
		}
		return true
	}
	for i := 0; i+1 < len(content); i += 2 {
		if content[i].Kind != yaml.ScalarNode {
			return false
		}
		for j := 0; j < i; j += 2 {
			if content[j].Value == content[i].Value {
				return false
			}
		}
	}
	return true
}

// mapValue returns the value of key in mapping m and its index in Content.
func mapValue(m *yaml.Node, key string) (*yaml.Node, int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], i + 1
		}
	}
	return nil, -1
}

// ageListOf reads the age list of a YAML file, or returns nil when the
// file is not one whose layout the fast paths recognise.
func ageListOf(path string, data []byte) *ageList {
	if formats.FormatForPath(path) != formats.Yaml {
		return nil
	}
	l, _ := readAgeList(data)
	return l
}

// readAgeList recognises the layout; false means "go the general way".
func readAgeList(data []byte) (*ageList, bool) {
	doc, ok := decodeOne(data)
	if !ok {
		return nil, false
	}
	meta, _ := mapValue(doc.Content[0], "sops")
	if meta == nil || meta.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i < len(meta.Content); i += 2 {
		if !sopsKeysAllowed[meta.Content[i].Value] {
			return nil, false
		}
	}
	l := &ageList{doc: doc, encs: map[string]string{}}
	if t, _ := mapValue(meta, "shamir_threshold"); t != nil {
		n, err := strconv.Atoi(t.Value)
		if err != nil || t.Kind != yaml.ScalarNode {
			return nil, false
		}
		l.threshold = n
	}
	list, at := mapValue(meta, "age")
	if list == nil || list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 || len(list.Content) == 0 ||
		at+1 >= len(meta.Content) {
		return nil, false
	}
	l.list = list
	lines := lineStarts(data)
	line := func(n int) (int, bool) {
		if n < 1 || n > len(lines) {
			return 0, false
		}
		return lines[n-1], true
	}
	next := meta.Content[at+1] // the key after age: the list ends on the line before it
	var ok1, ok2 bool
	l.start, ok1 = line(list.Content[0].Line)
	l.end, ok2 = line(next.Line)
	if !ok1 || !ok2 || list.Content[0].Line <= meta.Content[at-1].Line || l.end <= l.start {
		return nil, false
	}
	for i, item := range list.Content {
		r, enc, ok := stanzaOf(item)
		if !ok || l.encs[r] != "" {
			return nil, false
		}
		from, _ := line(item.Line)
		to := l.end
		if i+1 < len(list.Content) {
			to, _ = line(list.Content[i+1].Line)
		}
		if to <= from {
			return nil, false
		}
		l.recipients = append(l.recipients, r)
		l.encs[r] = enc
		l.items = append(l.items, data[from:to:to])
	}
	if l.tmpl, ok = learnLayout(data, lines, list.Content[0]); !ok {
		return nil, false
	}
	var b bytes.Buffer // each item must be what the layout writes
	for i, r := range l.recipients {
		b.Reset()
		if !l.tmpl.write(&b, r, l.encs[r]) || !bytes.Equal(b.Bytes(), l.items[i]) {
			return nil, false
		}
	}
	return l, true
}

// stanzaOf reads one item: a mapping of exactly recipient and enc.
func stanzaOf(item *yaml.Node) (recipient, enc string, ok bool) {
	if item.Kind != yaml.MappingNode || len(item.Content) != 4 {
		return "", "", false
	}
	r, _ := mapValue(item, "recipient")
	e, _ := mapValue(item, "enc")
	if r == nil || e == nil || r.Kind != yaml.ScalarNode || e.Kind != yaml.ScalarNode ||
		r.Style != 0 || e.Style != yaml.LiteralStyle || !strings.HasPrefix(r.Value, "age1") {
		return "", "", false
	}
	return r.Value, e.Value, true
}

// learnLayout takes the dash and the indentations from the first item.
func learnLayout(data []byte, lines []int, first *yaml.Node) (stanzaLayout, bool) {
	var l stanzaLayout
	at := lines[first.Line-1]
	if first.Column < 3 || at+first.Column-1 > len(data) {
		return l, false
	}
	l.dash = string(data[at : at+first.Column-1])
	if strings.TrimLeft(l.dash, " ") != "- " {
		return l, false
	}
	l.encFirst = first.Content[0].Value == "enc"
	encKey := first.Content[0]
	if !l.encFirst {
		encKey = first.Content[2]
	}
	if encKey.Line >= len(lines) {
		return l, false
	}
	body := data[lines[encKey.Line]:]
	l.encIndent = string(body[:len(body)-len(bytes.TrimLeft(body, " "))])
	return l, len(l.encIndent) > len(l.dash)
}

func lineStarts(data []byte) []int {
	out := make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			out = append(out, i+1)
		}
	}
	return out
}

// addFast is Rekey for a file whose rule only adds age recipients. ok
// false: the fast path does not apply (or its output did not verify), and
// the caller must take the general way, which also gives the errors.
func addFast(path string, data []byte, opts RekeyOptions, l *ageList) (*RekeyResult, bool) {
	if l == nil || opts.RotateDataKey || len(opts.Identities) == 0 {
		return nil, false
	}
	conf, err := ruleFor(path, opts) // as the general path resolves it
	if err != nil || len(conf.KeyGroups) != 1 {
		return nil, false
	}
	var want []string
	for _, k := range conf.KeyGroups[0] {
		ak, ok := k.(*sopsage.MasterKey)
		if !ok {
			return nil, false
		}
		want = append(want, ak.Recipient)
	}
	if l.threshold != min(l.threshold, 1) {
		return nil, false
	}
	added, ok := onlyAdded(l.recipients, want)
	if !ok || len(added) == 0 {
		return nil, false
	}
	group := make(sops.KeyGroup, 0, len(l.recipients))
	for _, r := range l.recipients {
		group = append(group, &sopsage.MasterKey{Recipient: r, EncryptedKey: l.encs[r]})
	}
	dataKey, err := dataKeyCached(sops.Metadata{KeyGroups: []sops.KeyGroup{group}}, sopsage.ParsedIdentities(opts.Identities), opts.Cache)
	if err != nil {
		return nil, false
	}
	encs := make(map[string]string, len(want))
	for r, e := range l.encs {
		encs[r] = e
	}
	res := &RekeyResult{Changed: true, ThresholdFrom: l.threshold, ThresholdTo: l.threshold}
	for _, r := range added {
		mk, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil || mk.Encrypt(dataKey) != nil {
			return nil, false
		}
		encs[r] = string(mk.EncryptedDataKey())
		res.Added = append(res.Added, repo.MasterKey{Type: "age", ID: r})
	}
	out, ok := l.splice(data, want, encs)
	if !ok || verifyAdd(l, data, out, want, encs, dataKey) != nil {
		return nil, false
	}
	res.Output = out
	return res, true
}

// onlyAdded returns the wanted recipients the file lacks, and false when
// the file has one the rule does not want (a removal: the general way).
func onlyAdded(have, want []string) ([]string, bool) {
	wanted := make(map[string]bool, len(want))
	for _, r := range want {
		if wanted[r] {
			return nil, false // a rule listing a key twice: let sops decide
		}
		wanted[r] = true
	}
	has := make(map[string]bool, len(have))
	for _, r := range have {
		if !wanted[r] {
			return nil, false
		}
		has[r] = true
	}
	var added []string
	for _, r := range want {
		if !has[r] {
			added = append(added, r)
		}
	}
	return added, true
}

// splice writes the age list in the rule's order (as the general path
// does): the bytes of each kept item as they were, new items in the
// file's own layout; every byte before and after the list is kept.
func (l *ageList) splice(data []byte, want []string, encs map[string]string) ([]byte, bool) {
	kept := make(map[string][]byte, len(l.items))
	for i, r := range l.recipients {
		kept[r] = l.items[i]
	}
	var b bytes.Buffer
	b.Grow(len(data) + (len(want)-len(l.items))*(len(l.items[0])+16))
	b.Write(data[:l.start])
	for _, r := range want {
		if text, ok := kept[r]; ok {
			b.Write(text)
		} else if !l.tmpl.write(&b, r, encs[r]) {
			return nil, false
		}
	}
	b.Write(data[l.end:])
	return b.Bytes(), true
}
