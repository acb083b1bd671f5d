package sopsfile

import (
	"github.com/keycycle/keycycle/internal/repo"
	"regexp"
	"strconv"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/stores"
)

// encPrefix starts every value sops encrypted.
const encPrefix = "ENC[AES256_GCM,"

// secretsOf lists the leaves of every document in the tree (the sops
// metadata is already taken out by the store).
func secretsOf(tree sops.Tree) []repo.Secret {
	sel := newSelector(tree.Metadata)
	var out []repo.Secret
	for _, branch := range tree.Branches {
		if stores.HasSopsTopLevelKey(branch) {
			continue
		}
		walkBranch(branch, nil, nil, sel, &out)
	}
	return out
}

// walkBranch visits a mapping. path names the leaf (list indexes
// included); keys holds only mapping keys, which is what sops matches its
// selectors against.
func walkBranch(b sops.TreeBranch, path, keys []string, sel selector, out *[]repo.Secret) {
	for _, item := range b {
		if _, ok := item.Key.(sops.Comment); ok {
			continue
		}
		key := stores.ValToString(item.Key)
		walkValue(item.Value, appendPath(path, key), appendPath(keys, key), sel, out)
	}
}

func walkValue(v any, path, keys []string, sel selector, out *[]repo.Secret) {
	switch v := v.(type) {
	case sops.TreeBranch:
		walkBranch(v, path, keys, sel, out)
	case []any:
		for i, item := range v {
			if _, ok := item.(sops.Comment); ok {
				continue
			}
			walkValue(item, appendPath(path, strconv.Itoa(i)), keys, sel, out)
		}
	case sops.Comment:
	default:
		s, isString := v.(string)
		*out = append(*out, repo.Secret{
			Path:      path,
			Encrypted: isString && strings.HasPrefix(s, encPrefix),
			// sops leaves empty values as they are (aes.Cipher.Encrypt).
			ShouldEncrypt: !(isString && s == "") && v != nil && sel.shouldEncrypt(keys),
		})
	}
}

func appendPath(path []string, key string) []string {
	out := make([]string, len(path), len(path)+1)
	copy(out, path)
	return append(out, key)
}

// selector answers which values a file's metadata says are encrypted. It
// follows sops.Tree.shouldBeEncrypted for the suffix and regex selectors;
// with a comment-regex selector the answer depends on comments the tree
// keeps encrypted, so it says "unknown" (false) and no plaintext finding
// is made for that file.
type selector struct {
	unencSuffix, encSuffix string
	unencRe, encRe         *regexp.Regexp
	unknown                bool
}

func newSelector(m sops.Metadata) selector {
	s := selector{unencSuffix: m.UnencryptedSuffix, encSuffix: m.EncryptedSuffix}
	var err error
	if m.UnencryptedRegex != "" {
		if s.unencRe, err = regexp.Compile(m.UnencryptedRegex); err != nil {
			s.unknown = true
		}
	}
	if m.EncryptedRegex != "" {
		if s.encRe, err = regexp.Compile(m.EncryptedRegex); err != nil {
			s.unknown = true
		}
	}
	if m.UnencryptedCommentRegex != "" || m.EncryptedCommentRegex != "" {
		s.unknown = true
	}
	return s
}

func (s selector) shouldEncrypt(path []string) bool {
	if s.unknown {
		return false
	}
	encrypted := true
	if s.unencSuffix != "" && anyPart(path, func(p string) bool { return strings.HasSuffix(p, s.unencSuffix) }) {
		encrypted = false
	}
	if s.encSuffix != "" {
		encrypted = anyPart(path, func(p string) bool { return strings.HasSuffix(p, s.encSuffix) })
	}
	if s.unencRe != nil && anyPart(path, s.unencRe.MatchString) {
		encrypted = false
	}
	if s.encRe != nil {
		encrypted = anyPart(path, s.encRe.MatchString)
	}
	return encrypted
}

func anyPart(path []string, f func(string) bool) bool {
	for _, p := range path {
		if f(p) {
			return true
		}
	}
	return false
}
