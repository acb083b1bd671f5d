package cli

import (
	"path/filepath"
	"time"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/policy"
)

// replaceKeyRecord records in .keycycle/keys.yaml, when the repository
// has one, that the key old was replaced by nk, and puts the update into
// the change.
func replaceKeyRecord(req *change.Request, old string, nk policy.Key) error {
	data, err := policy.RecordReplaced(filepath.Dir(req.ConfigPath), old, nk, time.Now())
	if err != nil || data == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: data})
	return nil
}

// addKeyRecords puts the keys.yaml update, if any, into the change.
func addKeyRecords(req *change.Request, add []policy.Key, retire []string) error {
	data, err := policy.RecordKeys(filepath.Dir(req.ConfigPath), add, retire, time.Now())
	if err != nil || data == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: data})
	return nil
}
