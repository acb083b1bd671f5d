// Package agekey holds what keycycle knows about age keys: it classifies and
// validates recipient strings the way sops 3.13 accepts them, parses age
// identity files, converts OpenSSH ed25519 keys to age keys exactly like
// Mic92/ssh-to-age (the converter sops-nix uses), and generates new X25519
// identities in the age-keygen file format.
//
// Errors are meant for people: they say what is wrong in plain words and
// wrap one of the sentinel errors below (test with errors.Is). No error ever
// contains secret key material.
package agekey
