package policy

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// AdoptKeys builds a keys.yaml entry for every anchored key of
// .sops.yaml: its kind and owner guessed from its name, group and the
// host files (lower-case base names), its creation date from created
// (the repository's history; nil when unknown).
func AdoptKeys(cfg *sopsconfig.Config, hostFiles map[string]bool, created func(recipient string) *time.Time) *Keys {
	ks := &Keys{}
	seen := map[string]bool{}
	for _, a := range cfg.Anchors {
		if seen[a.Value] || a.Value == "" {
			continue
		}
		seen[a.Value] = true
		kind := ClassifyKey(a.Name, a.Group, hostFiles, cfg.InEveryRule(a.Value))
		origin := OriginImported
		if kind == KindHost {
			origin = OriginSSHHostKey
		}
		ks.Keys = append(ks.Keys, &Key{
			Name: a.Name, Recipient: a.Value, Kind: kind, Owner: GuessOwner(a.Name, kind, hostFiles),
			Origin: origin, Created: created(a.Value),
		})
	}
	return ks
}

// MergeKeys decides what happens to .keycycle/keys.yaml: written (new),
// unchanged, or merged (--force: existing entries kept, new ones added).
func MergeKeys(path string, adopted *Keys, force bool) ([]byte, string, error) {
	data, err := adopted.Marshal()
	if err != nil {
		return nil, "", err
	}
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return data, "written", nil
	case err != nil:
		return nil, "", err
	case bytes.Equal(old, data):
		return data, "unchanged", nil
	case !force:
		return nil, "", textutil.Hintf("run 'keycycle init --force' to keep its entries and add the keys it lacks",
			"%s exists and differs from what init would write; nothing written", KeysFile)
	}
	existing, err := ParseKeys(path, old)
	if err != nil {
		return nil, "", textutil.Hintf("fix the file, or delete it and run 'keycycle init' again", "cannot merge into %s: %v", KeysFile, err)
	}
	for _, k := range adopted.Keys {
		if existing.ByRecipient(k.Recipient) == nil {
			existing.Keys = append(existing.Keys, k)
		}
	}
	if data, err = existing.Marshal(); err != nil {
		return nil, "", err
	}
	if bytes.Equal(old, data) {
		return data, "unchanged", nil
	}
	return data, "merged", nil
}
