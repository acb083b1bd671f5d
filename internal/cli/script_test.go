package cli_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/initgc"
	"github.com/keycycle/keycycle/internal/testbin"
)

func TestMain(m *testing.M) {
	// This binary also runs as each script's keycycle: its start-up is
	// keycycle's (see internal/initgc).
	initgc.Restore()
	testscript.Main(moreAtOnce{m}, map[string]func(){
		"keycycle": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// moreAtOnce runs the package's tests (when the binary runs as the test
// binary, not as a script's keycycle) with twice as many parallel tests
// as CPUs, unless -test.parallel is given: the scripts, the kill
// campaign and the interrupt test mostly wait on the processes they
// start (keycycle, sops, git) and on fsync.
type moreAtOnce struct{ m *testing.M }

func (p moreAtOnce) Run() int {
	if err := testbin.MoreParallel(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return p.m.Run()
}

// corpusDir is ../shared/corpus seen from the repository root.
func corpusDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
}

// sopsBinary builds the real sops (the go.mod tool) once and returns the
// folder holding it.
var sopsBinary = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "tool", "-n", "sops").Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n sops: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
})

// TestScripts runs the CLI scripts in testdata/script. Each script runs in
// its own temporary folder, with:
//   - $CORPUS, the shared corpus ([corpus] is false when it is absent);
//   - the real sops binary on $PATH (go tool sops);
//   - genkey NAME: a new age identity in NAME.key (0600) and $NAME set to
//     its recipient;
//   - subst FILE...: $VARS in the files replaced from the environment;
//   - kc CODE ARGS...: run keycycle ARGS and require exit code CODE (its
//     output is then checked with stdout/stderr as after exec);
//   - gpgkey NAME: a new PGP key pair (ed25519, cv25519 encryption subkey,
//     no passphrase) in $GNUPGHOME, $NAME set to its fingerprint and
//     $NAME_lower to it in lower case;
//   - noplain VALUEFILE DIR...: fail if any file below the DIRs (but .t/,
//     the script's scratch) holds a line of VALUEFILE;
//   - treehash: print one hash of every file's path, mode and content under
//     $WORK except .t/ and home/ (the script's own scratch), for proving
//     that --dry-run writes nothing.
func TestScripts(t *testing.T) {
	sopsDir, err := sopsBinary()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("..", "..", "testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("CORPUS", corpusDir())
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/home/.config")
			env.Setenv("PATH", sopsDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "corpus":
				_, err := os.Stat(corpusDir())
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"genkey":   cmdGenkey,
			"subst":    cmdSubst,
			"kc":       cmdKC,
			"treehash": cmdTreehash,
			"gpgkey":   cmdGpgkey,
			"noplain":  cmdNoPlain,
		},
	})
}

func cmdGenkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: genkey NAME...")
	}
	for _, name := range args {
		id, err := age.GenerateX25519Identity()
		ts.Check(err)
		body := fmt.Sprintf("# public key: %s\n%s\n", id.Recipient(), id)
		ts.Check(os.WriteFile(ts.MkAbs(name+".key"), []byte(body), 0o600))
		ts.Setenv(name, id.Recipient().String())
	}
}

func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: subst FILE...")
	}
	for _, f := range args {
		data, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		out := os.Expand(string(data), func(k string) string {
			if v := ts.Getenv(k); v != "" {
				return v
			}
			return "$" + k
		})
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(out), 0o644))
	}
}

func cmdKC(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: kc CODE ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec("keycycle", args[1:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("keycycle: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("keycycle %s: exit code %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

func cmdTreehash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: treehash")
	}
	root := ts.Getenv("WORK")
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (rel == ".t" || rel == "home") {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%x\n", sha256.Sum256(data))
		}
		return nil
	})
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%x\n", h.Sum(nil))
}

func cmdGpgkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gpgkey NAME")
	}
	name := args[0]
	gpg := func(args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+ts.Getenv("GNUPGHOME"), "HOME="+ts.Getenv("HOME"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			ts.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	uid := name + " <" + name + "@example.org>"
	gpg("--quick-gen-key", uid, "ed25519", "cert,sign", "never")
	fpr := ""
	for _, line := range strings.Split(gpg("--with-colons", "--list-secret-keys", uid), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" && fpr == "" {
			fpr = f[9]
		}
	}
	if fpr == "" {
		ts.Fatalf("gpg made no key for %s", uid)
	}
	gpg("--quick-add-key", fpr, "cv25519", "encr", "never")
	ts.Setenv(name, fpr)
	ts.Setenv(name+"_lower", strings.ToLower(fpr))
}

// cmdNoPlain proves that no plaintext value reached the disk: every line
// of VALUEFILE (a value, as 'secret get' printed it) is searched for in
// every file below the DIRs, except the script's .t/ scratch where the
// test itself keeps the values it compares.
func cmdNoPlain(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: noplain VALUEFILE DIR...")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var values []string
	for _, v := range strings.Split(string(data), "\n") {
		if len(strings.TrimSpace(v)) >= 8 {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		ts.Fatalf("%s holds no value of 8 characters or more to look for", args[0])
	}
	scratch := ts.MkAbs(".t")
	files := 0
	for _, dir := range args[1:] {
		err := filepath.WalkDir(ts.MkAbs(dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p == scratch {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() {
				return nil
			}
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			for _, v := range values {
				if strings.Contains(string(body), v) {
					ts.Fatalf("plaintext value found in %s", p)
				}
			}
			return nil
		})
		ts.Check(err)
	}
	fmt.Fprintf(ts.Stdout(), "%d values not in %d files\n", len(values), files)
}
