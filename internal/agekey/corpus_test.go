package agekey

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// corpusDir returns the shared ssh-to-age corpus, or skips the test when
// it is absent (it lives outside the repository: ../../../shared/corpus
// seen from this file).
func corpusDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test file to find the shared corpus")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "ssh-to-age")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s (it is outside the repository): %v", dir, err)
	}
	return dir
}

// readTSV returns the rows of a corpus TSV file without its header line.
func readTSV(t *testing.T, dir, name string) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var rows [][]string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		rows = append(rows, strings.Split(l, "\t"))
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no vectors", name)
	}
	return rows
}

func readCorpusFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCorpusVectors(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readTSV(t, dir, "vectors.tsv") {
		kind, file, want := row[0], row[1], row[2]
		t.Run(kind+"/"+file, func(t *testing.T) {
			in := readCorpusFile(t, dir, file)
			switch kind {
			case "pub":
				got, err := SSHPublicToAge(in)
				if err != nil || got != want {
					t.Fatalf("SSHPublicToAge = %q, %v; want %q", got, err, want)
				}
				conv, err := SSHPublicKeysToAge(in)
				if err != nil || len(conv) != 1 || conv[0].Recipient != want {
					t.Fatalf("SSHPublicKeysToAge = %+v, %v; want one %q", conv, err, want)
				}
				r, err := ParseRecipient(conv[0].SSHKey)
				if err != nil || r.Kind != KindSSHEd25519 || r.Derived != want {
					t.Fatalf("ParseRecipient(%q) = %+v, %v; want derived %q", conv[0].SSHKey, r, err, want)
				}
			case "priv":
				got, err := SSHPrivateToAge(in, nil)
				if err != nil || got != want {
					t.Fatalf("SSHPrivateToAge = %q, %v; want %q", got, err, want)
				}
				checkIdentityMatchesPub(t, dir, file, got)
			default:
				t.Fatalf("unknown kind %q", kind)
			}
		})
	}
}

// checkIdentityMatchesPub checks that the identity converted from FILE
// has the recipient converted from FILE.pub, when that file exists.
func checkIdentityMatchesPub(t *testing.T, dir, file, identity string) {
	t.Helper()
	id, err := ParseIdentity(identity)
	if err != nil {
		t.Fatalf("ParseIdentity(converted key): %v", err)
	}
	rec, err := id.Recipient()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, file+".pub"))
	if err != nil {
		return
	}
	want, err := SSHPublicToAge(pub)
	if err != nil || rec != want {
		t.Fatalf("identity's recipient %q, public key converts to %q (%v)", rec, want, err)
	}
}

func TestCorpusPassphrase(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readTSV(t, dir, "vectors_passphrase.tsv") {
		file, pass, want := row[1], row[2], row[3]
		t.Run(file, func(t *testing.T) {
			in := readCorpusFile(t, dir, file)
			got, err := SSHPrivateToAge(in, []byte(pass))
			if errors.Is(err, ErrUnsupportedCipher) {
				// golang.org/x/crypto/ssh (and so Mic92/ssh-to-age) cannot
				// decrypt chacha20-poly1305 keys; the corpus README allows it.
				t.Logf("%s: %v", file, err)
				return
			}
			if err != nil || got != want {
				t.Fatalf("SSHPrivateToAge = %q, %v; want %q", got, err, want)
			}
			if _, err := SSHPrivateToAge(in, nil); !errors.Is(err, ErrPassphraseNeeded) {
				t.Fatalf("without passphrase: %v, want ErrPassphraseNeeded", err)
			}
			if _, err := SSHPrivateToAge(in, []byte(pass+"x")); !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("wrong passphrase: %v, want ErrWrongPassphrase", err)
			}
			checkIdentityMatchesPub(t, dir, file, got)
		})
	}
}

func TestCorpusMulti(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readTSV(t, dir, "vectors_multi.tsv") {
		file, want := row[1], row[2]
		t.Run(file, func(t *testing.T) {
			conv, err := SSHPublicKeysToAge(readCorpusFile(t, dir, file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range conv {
				got = append(got, c.Recipient)
			}
			if g := strings.Join(got, ";"); g != want {
				t.Fatalf("got  %s\nwant %s", g, want)
			}
		})
	}
}

func TestCorpusNegative(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readTSV(t, dir, "vectors_negative.tsv") {
		kind, file, pass, want := row[0], row[1], row[2], row[3]
		t.Run(kind+"/"+file+"/"+pass, func(t *testing.T) {
			in := readCorpusFile(t, dir, file)
			if kind == "priv" {
				got, err := SSHPrivateToAge(in, []byte(pass))
				if err == nil {
					t.Fatalf("SSHPrivateToAge succeeded (%d chars), want an error", len(got))
				}
				checkNoSecret(t, err, in)
				t.Logf("error: %v", err)
				return
			}
			conv, err := SSHPublicKeysToAge(in)
			switch want {
			case "ERROR":
				if err == nil {
					t.Fatalf("SSHPublicKeysToAge = %+v, want an error", conv)
				}
				if _, err1 := SSHPublicToAge(in); err1 == nil {
					t.Fatal("SSHPublicToAge succeeded, want an error")
				}
			case "NO_RECIPIENT_OR_ERROR":
				if len(conv) != 0 {
					t.Fatalf("SSHPublicKeysToAge = %+v, want no recipient", conv)
				}
			default:
				t.Fatalf("unknown expectation %q", want)
			}
			t.Logf("error: %v", err)
		})
	}
}

// checkNoSecret fails if err's message contains any 16-byte run of a
// private key file or secret string.
func checkNoSecret(t *testing.T, err error, secret []byte) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, line := range strings.Split(string(secret), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") {
			continue
		}
		for i := 0; i+16 <= len(line); i += 8 {
			if strings.Contains(msg, line[i:i+16]) {
				t.Fatalf("error message %q contains input text %q", msg, line[i:i+16])
			}
		}
	}
}

func TestCorpusEdge(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range readTSV(t, dir, "vectors_edge.tsv") {
		file, ref := row[1], row[2]
		t.Run(file, func(t *testing.T) {
			in := readCorpusFile(t, dir, file)
			got, err := SSHPublicToAge(in)
			if err == nil {
				t.Fatalf("SSHPublicToAge = %q, want an error (reference ssh-to-age: %s)", got, ref)
			}
			if ref != "<error>" {
				// ssh-to-age prints the all-zero recipient; keycycle refuses it.
				if !errors.Is(err, ErrLowOrder) {
					t.Fatalf("err = %v, want ErrLowOrder", err)
				}
				if _, err := ParseRecipient(ref); !errors.Is(err, ErrLowOrder) {
					t.Fatalf("ParseRecipient(reference output) = %v, want ErrLowOrder", err)
				}
			} else if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
			line := strings.TrimSpace(string(in))
			if _, err := ParseRecipient(line); err == nil {
				t.Fatalf("ParseRecipient(%q) accepted an unusable key", line)
			}
		})
	}
}

// recipientStringErrors is the error keycycle gives for each invalid
// string of recipient_and_identity_strings.tsv (nil: any error).
func recipientStringErrors() map[string]error {
	return map[string]error{
		"age1wy42r2p2c67ckywgq8xj7ejf6eykqfu623wktxeh729rtagu4fkqrsqsg6":             ErrBech32m,
		"AGE1WY42R2P2C67CKYWGQ8XJ7EJF6EYKQFU623WKTXEH729RTAGU4FKQKVSUDC":             ErrCase,
		"Age1wy42r2p2c67ckywgq8xj7ejf6eykqfu623wktxeh729rtagu4fkqkvsudc":             ErrCase,
		"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z":             ErrLowOrder,
		"age1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":                 ErrPlaceholder,
		"age00000000000000000000000000000000000000000000000000":                      ErrPlaceholder,
		"AGE-SECRET-KEY-1GQ46Z46GKWWDXR6KF96CYS9DWHWJWCV4KCCE4HA0C7ZZUY74JFPSAC42H6": ErrBech32m,
		"age-secret-key-1gy46z46gkwwdxr6kf96cys9dwhwjwcv4kcce4ha0c7zzuy74jgpsvqu83l": ErrCase,
	}
}

func TestCorpusRecipientAndIdentityStrings(t *testing.T) {
	dir := corpusDir(t)
	wantErr := recipientStringErrors()
	for i, row := range readTSV(t, dir, "recipient_and_identity_strings.tsv") {
		s, kind, verdict, note := row[0], row[1], row[2], row[3]
		t.Run(strings.Join([]string{kind, verdict, strings.Fields(note)[0], string(rune('a' + i))}, "-"), func(t *testing.T) {
			var err error
			switch kind {
			case "recipient":
				var r Recipient
				r, err = ParseRecipient(s)
				if err == nil && strings.TrimSpace(s) != s {
					// sops trims white space (MasterKeyFromRecipient), so
					// keycycle does too, and records that it did.
					if !r.Trimmed || r.String != strings.TrimSpace(s) {
						t.Fatalf("ParseRecipient(%q) = %+v, want Trimmed and the trimmed string", s, r)
					}
					return
				}
				if err == nil && r.String != s {
					t.Fatalf("canonical %q, want %q", r.String, s)
				}
			case "identity":
				var id Identity
				id, err = ParseIdentity(s)
				if err == nil {
					rec, rerr := id.Recipient()
					if rerr != nil || rec != "age1wy42r2p2c67ckywgq8xj7ejf6eykqfu623wktxeh729rtagu4fkqkvsudc" {
						t.Fatalf("identity recipient = %q, %v", rec, rerr)
					}
				}
				checkNoSecret(t, err, []byte(s))
			}
			switch verdict {
			case "valid":
				if err != nil {
					t.Fatalf("%q: %v, want valid (%s)", s, err, note)
				}
			case "invalid", "unusable":
				if err == nil {
					t.Fatalf("%q accepted, want %s (%s)", s, verdict, note)
				}
				if want := wantErr[s]; want != nil && !errors.Is(err, want) {
					t.Fatalf("%q: error %q, want %q", s, err, want)
				}
				t.Logf("%q: %v", s, err)
			}
		})
	}
}
