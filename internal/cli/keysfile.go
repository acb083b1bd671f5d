package cli

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/policy"
)

// keysRel is where keycycle keeps its public key metadata.
const keysRel = ".keycycle/keys.yaml"

// keysUpdate records added and retired keys in .keycycle/keys.yaml when
// the repository has one ('keycycle init' creates it); without it there
// is nothing to keep in step and nil is returned.
func keysUpdate(root string, add []policy.Key, retire []string) (*change.PublicFile, error) {
	path := filepath.Join(root, filepath.FromSlash(keysRel))
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	keys, err := policy.LoadKeys(path)
	if err != nil {
		return nil, withHint(err, "fix .keycycle/keys.yaml (keycycle check reports where), or run 'keycycle init --force'")
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, k := range add {
		if keys.ByRecipient(k.Recipient) != nil {
			continue
		}
		k.Created = &now
		keys.Keys = append(keys.Keys, &k)
	}
	for _, r := range retire {
		if k := keys.ByRecipient(r); k != nil && k.Retired == nil {
			k.Retired = &now
		}
	}
	data, err := keys.Marshal()
	if err != nil {
		return nil, err
	}
	return &change.PublicFile{Rel: keysRel, Data: data}, nil
}

// replaceKeyRecord records in .keycycle/keys.yaml, when the repository
// has one, that the key old was replaced by nk (retired now, nk created
// now), and puts the update into the change.
func replaceKeyRecord(req *change.Request, old string, nk policy.Key) error {
	path := filepath.Join(filepath.Dir(req.ConfigPath), filepath.FromSlash(keysRel))
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	keys, err := policy.LoadKeys(path)
	if err != nil {
		return withHint(err, "fix .keycycle/keys.yaml (keycycle check reports where), or run 'keycycle init --force'")
	}
	if !keys.Replace(old, nk, time.Now().UTC().Truncate(time.Second)) {
		return nil
	}
	data, err := keys.Marshal()
	if err != nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: keysRel, Data: data})
	return nil
}

// addKeyRecords puts the keys.yaml update, if any, into the change.
func addKeyRecords(req *change.Request, add []policy.Key, retire []string) error {
	pf, err := keysUpdate(filepath.Dir(req.ConfigPath), add, retire)
	if err != nil || pf == nil {
		return err
	}
	req.Public = append(req.Public, *pf)
	return nil
}
