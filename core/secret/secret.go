// Package secret hashes credentials (API keys, passwords) for storage and compares them in
// constant time. Gantry never stores a credential in the clear.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// prefix marks a hashed secret.
const prefix = "sha256:"

// Hash returns the stored form of s: "sha256:" and the hex SHA-256 of s. API keys are
// long random strings, so an unsalted fast hash is the right tool (as for GitHub's token
// scanning); passwords are hashed with their user name (see HashBasic).
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(sum[:])
}

// HashBasic returns the stored form of a basic-auth password for user.
func HashBasic(user, password string) string { return Hash(user + ":" + password) }

// IsHash reports whether s is already in the stored form.
func IsHash(s string) bool {
	h, ok := strings.CutPrefix(s, prefix)
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// Matches reports whether the clear secret s hashes to stored, in constant time.
func Matches(stored, s string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(Hash(s))) == 1
}
