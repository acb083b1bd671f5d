package agekey

import "errors"

// Sentinel errors. The errors this package returns wrap one of them (or one
// of the bech32 errors in bech32.go) and add plain-words detail.
var (
	// ErrEmpty reports an empty recipient or input.
	ErrEmpty = errors.New("empty")
	// ErrPlaceholder reports a string that looks like documentation filler
	// (age1xxxx…, age0000…, <your key here>) rather than a real key.
	ErrPlaceholder = errors.New("looks like a placeholder, not a real key")
	// ErrCase reports a key written in the wrong letter case.
	ErrCase = errors.New("wrong letter case")
	// ErrPrefix reports a string that does not start like any known key type.
	ErrPrefix = errors.New("wrong prefix")
	// ErrLength reports a key that decodes to the wrong number of bytes.
	ErrLength = errors.New("wrong length")
	// ErrInvalidKey reports key bytes that the key type rejects (not a
	// point on the curve, a malformed ML-KEM key, a bad plugin name…).
	ErrInvalidKey = errors.New("invalid key")
	// ErrLowOrder reports a key that is a low-order curve point: it parses,
	// but age refuses to encrypt to it and nothing can decrypt for it.
	ErrLowOrder = errors.New("low-order point: age refuses to encrypt to it")
	// ErrSecretKey reports a secret key (identity) where a public key
	// (recipient) was expected.
	ErrSecretKey = errors.New("this is a secret key, not a recipient")
	// ErrPublicKey reports a public key where a secret key was expected.
	ErrPublicKey = errors.New("this is a public key, not a secret key")
	// ErrUnsupportedKeyType reports an SSH key of a type age cannot use
	// (or, for ssh-to-age, a key that is not ssh-ed25519).
	ErrUnsupportedKeyType = errors.New("unsupported key type")
	// ErrPassphraseNeeded reports an encrypted SSH private key given
	// without a passphrase.
	ErrPassphraseNeeded = errors.New("the SSH private key is encrypted: a passphrase is needed")
	// ErrWrongPassphrase reports a passphrase that does not decrypt the key.
	ErrWrongPassphrase = errors.New("wrong passphrase for the SSH private key")
	// ErrUnsupportedCipher reports an SSH private key encrypted with a
	// cipher the Go SSH library cannot decrypt (chacha20-poly1305).
	ErrUnsupportedCipher = errors.New("unsupported cipher")
	// ErrNoKeys reports input that holds no key at all.
	ErrNoKeys = errors.New("no keys found")
	// ErrMalformed reports input that is not in the expected format.
	ErrMalformed = errors.New("malformed")
	// ErrNeedsPlugin reports that the recipient of a plugin identity can
	// only be learned from the plugin itself.
	ErrNeedsPlugin = errors.New("the recipient of a plugin identity is known only to its plugin")
)
