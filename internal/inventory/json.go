package inventory

import (
	"encoding/json"
	"io"
	"time"
)

// jsonDoc is the keycycle.inventory/v1 document (docs/inventory.md).
type jsonDoc struct {
	Schema      string     `json:"schema"`
	Root        string     `json:"root"`
	Config      string     `json:"config"`
	ConfigError string     `json:"config_error,omitempty"`
	Keys        []jsonKey  `json:"keys"`
	Files       []jsonFile `json:"files"`
}

type jsonKey struct {
	Index     int       `json:"index"`
	Name      string    `json:"name"`
	Aliases   []string  `json:"aliases,omitempty"`
	Group     []string  `json:"group,omitempty"`
	Recipient string    `json:"recipient"`
	Type      string    `json:"type"`
	KeyType   string    `json:"key_type"`
	Kind      Kind      `json:"kind"`
	Status    KeyStatus `json:"status"`
	Files     int       `json:"files"`
	Wanted    int       `json:"wanted"`
	Line      int       `json:"line,omitempty"`
	Created   string    `json:"created,omitempty"`
	Due       string    `json:"due,omitempty"`
	Age       string    `json:"age_status,omitempty"`
}

type jsonFile struct {
	File      string       `json:"file"`
	Rule      *int         `json:"rule"`
	Status    FileStatus   `json:"status"`
	Error     string       `json:"error,omitempty"`
	RuleKnown bool         `json:"rule_known"`
	Extra     int          `json:"extra"`
	Missing   int          `json:"missing"`
	Access    []jsonAccess `json:"access"`
}

type jsonAccess struct {
	Key    int  `json:"key"`
	Has    bool `json:"has"`
	Wanted bool `json:"wanted"`
}

// WriteJSON writes the inventory as one keycycle.inventory/v1 JSON
// document, indented, followed by a newline. Key indexes and rule
// numbers are 1-based, as the table shows them.
func WriteJSON(w io.Writer, inv *Inventory) error {
	doc := jsonDoc{Schema: Schema, Root: inv.Root, Config: inv.Config, ConfigError: inv.ConfigError,
		Keys: []jsonKey{}, Files: []jsonFile{}}
	for i, k := range inv.Keys {
		doc.Keys = append(doc.Keys, jsonKey{Index: i + 1, Name: k.Name, Aliases: k.Aliases, Group: k.Group,
			Recipient: k.Recipient, Type: k.Type, KeyType: k.KeyType, Kind: k.Kind, Status: k.Status,
			Files: k.Files, Wanted: k.Wanted, Line: k.Line,
			Created: day(k.Created), Due: day(k.Due), Age: string(k.Age)})
	}
	for _, f := range inv.Files {
		jf := jsonFile{File: f.Path, Status: f.Status, Error: f.Error, RuleKnown: f.RuleKnown,
			Extra: f.Extra(), Missing: f.Missing(), Access: []jsonAccess{}}
		if f.Rule >= 0 {
			n := f.Rule + 1
			jf.Rule = &n
		}
		for _, a := range f.Access {
			jf.Access = append(jf.Access, jsonAccess{Key: a.Key + 1, Has: a.Has, Wanted: a.Wanted})
		}
		doc.Files = append(doc.Files, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
