// Package secret defines how Gantry stores credentials (API keys, passwords): hashed, never
// in the clear. The gateway's authentication policies read these forms.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts every stored credential.
const Prefix = "sha256:"

// Hash returns the stored form of an API key: "sha256:" and the hex SHA-256 of key. API
// keys are long random strings, so a fast unsalted hash is enough and lets the gateway find
// a key's consumer by its hash.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return Prefix + hex.EncodeToString(sum[:])
}

// HashPassword returns the stored form of a password with a fresh random salt:
// "sha256:<salt hex>:<hex of SHA-256(salt || password)>". A fast hash suits long random
// passwords, not ones people choose.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	d := sha256.New()
	d.Write(salt)
	d.Write([]byte(password))
	return Prefix + hex.EncodeToString(salt) + ":" + hex.EncodeToString(d.Sum(nil))
}

// IsHash reports whether s is a stored API key ("sha256:" and 64 hex digits).
func IsHash(s string) bool {
	h, ok := strings.CutPrefix(s, Prefix)
	return ok && isHex(h, 2*sha256.Size)
}

// IsPasswordHash reports whether s is a stored password ("sha256:<salt hex>:<64 hex>").
func IsPasswordHash(s string) bool {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return false
	}
	salt, sum, ok := strings.Cut(rest, ":")
	return ok && salt != "" && isHex(salt, len(salt)) && isHex(sum, 2*sha256.Size)
}

func isHex(s string, n int) bool {
	if len(s) != n || n%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
