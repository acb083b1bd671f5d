package change

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"
)

// Record is what a change is about to write, for the caller to keep
// durably before the first write: a change interrupted anywhere (a kill,
// a power cut, a full disk) is finished from it by Finish. It holds no
// plaintext and no private key: created and edited files are kept as
// their encrypted bytes, rekeys are planned again from the files
// themselves.
type Record struct {
	OldConfigSHA256 string       `json:"old_config_sha256"`
	NewConfig       []byte       `json:"new_config"`
	Public          []PublicFile `json:"public,omitempty"`
	Files           []RecordFile `json:"files"`
	RotateFor       []string     `json:"rotate_for,omitempty"`
	RotateDataKey   bool         `json:"rotate_data_key,omitempty"`
	KeepDataKey     bool         `json:"keep_data_key,omitempty"`
}

// RecordFile is one file of a Record.
type RecordFile struct {
	Rel    string `json:"file"`
	Action string `json:"action"`
	// Input and Output are the SHA-256 of the file before and after
	// (hex); Input is empty for a create, both for a delete.
	Input  string      `json:"input_sha256,omitempty"`
	Output string      `json:"output_sha256,omitempty"`
	Data   []byte      `json:"data,omitempty"` // create and edit: the encrypted file
	Mode   fs.FileMode `json:"mode,omitempty"`
}

// Record returns the plan's record.
func (p *Plan) Record() *Record {
	r := &Record{NewConfig: p.req.NewConfig, Public: p.req.Public, RotateFor: p.req.RotateFor,
		RotateDataKey: p.req.RotateDataKey, KeepDataKey: p.req.KeepDataKey}
	if p.req.OldConfig != nil {
		r.OldConfigSHA256 = hashHex(p.req.OldConfig)
	}
	for _, f := range p.Files {
		rf := RecordFile{Rel: f.Rel, Action: f.Action, Mode: f.mode}
		if f.Action != "delete" {
			rf.Output = hashHex(f.output)
		}
		if f.Action == "rekey" || f.Action == "edit" {
			rf.Input = hex.EncodeToString(f.input[:])
		}
		if f.Action == "create" || f.Action == "edit" {
			rf.Data = f.output
		}
		r.Files = append(r.Files, rf)
	}
	return r
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Finish plans what an interrupted change left undone: the config if it
// is still the old one, the public files, every file not yet at its
// planned bytes (rekeys planned again from the file, so one a revoked key
// still opens gets its new data key), the deletions. A file someone else
// changed since is left alone and listed in Plan.Skipped. The plan is
// applied like any other.
func Finish(configPath string, r *Record, ids []age.Identity) (*Plan, error) {
	cur, err := os.ReadFile(configPath)
	if err != nil {
		return nil, err
	}
	req := Request{ConfigPath: configPath, OldConfig: cur, NewConfig: cur, Public: r.Public, Identities: ids,
		RotateFor: r.RotateFor, RotateDataKey: r.RotateDataKey, KeepDataKey: r.KeepDataKey, Only: []string{}}
	switch {
	case bytes.Equal(cur, r.NewConfig):
	case hashHex(cur) == r.OldConfigSHA256:
		req.NewConfig = r.NewConfig
	default:
		return nil, fmt.Errorf("%s was changed by hand since the change was interrupted: neither its old nor its new version", filepath.Base(configPath))
	}
	root := filepath.Dir(configPath)
	var skipped []string
	for _, f := range r.Files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Rel)))
		missing := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missing {
			return nil, err
		}
		now := ""
		if !missing {
			now = hashHex(data)
		}
		switch {
		case f.Action == "delete":
			if !missing {
				req.Delete = append(req.Delete, f.Rel)
			}
		case now == f.Output:
		case f.Action == "rekey":
			req.Only = append(req.Only, f.Rel)
		case f.Action == "create" && missing, f.Action == "edit" && now == f.Input:
			fr := FileResult{Rel: f.Rel, Action: f.Action, output: f.Data, mode: f.Mode}
			if f.Action == "edit" {
				copy(fr.input[:], mustHex(f.Input))
			}
			req.ready = append(req.ready, fr)
		default:
			skipped = append(skipped, f.Rel)
		}
	}
	p, err := Prepare(req)
	if err != nil {
		return nil, err
	}
	p.Skipped = skipped
	return p, nil
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
