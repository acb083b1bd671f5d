// Command floor does the least work a rekey of a repository can take, per
// file, as a whole process that bench/rekey.sh times beside keycycle:
//
//	floor -repo DIR -identities FILE [-mode add|remove] [-j N]
//
// For every sops/**/*.yaml file of DIR: read it, unwrap the data key once
// from the stanza of one of the identities (one X25519 operation), wrap a
// key for each new recipient — one for add, every recipient of the file
// but one for remove (a new data key) — and replace the file durably with
// its own bytes (temporary file, fsync, rename; each folder synced once at
// the end, as keycycle does). The repository is left as it was, so it can
// be run again. It links age and keycycle's fsutil, not the sops library.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/keycycle/keycycle/internal/fsutil"
)

func main() {
	dir := flag.String("repo", "", "repository made by bench/gen")
	idFile := flag.String("identities", "", "age identities file (bench/gen's DIR/identities)")
	mode := flag.String("mode", "add", "add (one wrap) or remove (a wrap for every recipient but one)")
	jobs := flag.Int("j", runtime.GOMAXPROCS(0), "files at once")
	flag.Parse()
	if err := run(*dir, *idFile, *mode, *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(dir, idFile, mode string, jobs int) error {
	if dir == "" || idFile == "" || (mode != "add" && mode != "remove") {
		return errors.New("usage: floor -repo DIR -identities FILE [-mode add|remove] [-j N]")
	}
	f, err := os.Open(idFile)
	if err != nil {
		return err
	}
	parsed, err := age.ParseIdentities(f)
	f.Close()
	if err != nil {
		return err
	}
	ids := map[string]*age.X25519Identity{}
	for _, id := range parsed {
		if x, ok := id.(*age.X25519Identity); ok {
			ids[x.Recipient().String()] = x
		}
	}
	newID, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(dir, "sops"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	var batch fsutil.Batch
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, len(files))
	for w := 0; w < max(jobs, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if err := one(p, ids, newID.Recipient(), mode, &batch); err != nil {
					errs <- fmt.Errorf("%s: %w", p, err)
				}
			}
		}()
	}
	for _, p := range files {
		work <- p
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return batch.Sync()
}

func one(path string, ids map[string]*age.X25519Identity, added age.Recipient, mode string, batch *fsutil.Batch) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	stanza, id, all, err := ownStanza(string(data), ids)
	if err != nil {
		return err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(stanza)), id)
	if err != nil {
		return err
	}
	key, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	to := []age.Recipient{added}
	if mode == "remove" {
		key = make([]byte, len(key))
		if _, err := rand.Read(key); err != nil {
			return err
		}
		to = to[:0]
		for _, s := range all[:len(all)-1] {
			rec, err := age.ParseX25519Recipient(s)
			if err != nil {
				return err
			}
			to = append(to, rec)
		}
	}
	for _, rec := range to {
		if err := wrap(key, rec); err != nil {
			return err
		}
	}
	return batch.WriteFile(path, data, 0o644)
}

func wrap(key []byte, rec age.Recipient) error {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, rec)
	if err != nil {
		return err
	}
	if _, err := w.Write(key); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return aw.Close()
}

// ownStanza finds, in a file as sops writes it (each item an armored
// enc block, then its recipient), the stanza of a recipient we hold the
// identity of; it also returns every recipient of the file.
func ownStanza(s string, ids map[string]*age.X25519Identity) (string, *age.X25519Identity, []string, error) {
	const begin, end = "-----BEGIN AGE ENCRYPTED FILE-----", "-----END AGE ENCRYPTED FILE-----"
	var stanza string
	var id *age.X25519Identity
	var all []string
	for rest := s; ; {
		i := strings.Index(rest, begin)
		j := strings.Index(rest, end)
		k := strings.Index(rest, "recipient: ")
		if i < 0 || j < i || k < j {
			break
		}
		line := rest[k+len("recipient: "):]
		rcpt := strings.TrimSpace(line[:strings.IndexByte(line+"\n", '\n')])
		all = append(all, rcpt)
		if x, ok := ids[rcpt]; ok && id == nil {
			var lines []string
			for _, l := range strings.Split(rest[i:j+len(end)], "\n") {
				lines = append(lines, strings.TrimSpace(l))
			}
			stanza, id = strings.Join(lines, "\n")+"\n", x
		}
		rest = rest[k+len("recipient: "):]
	}
	if id == nil {
		return "", nil, nil, errors.New("no stanza of a known identity")
	}
	return stanza, id, all, nil
}
