package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// hashPrefix marks a credential given already hashed.
const hashPrefix = secret.Prefix

// ConsumerSpec is one consumer and its credentials as configured.
type ConsumerSpec struct {
	// Name identifies the consumer; required and unique.
	Name string
	// Groups are the consumer's labels (plans, ACLs); nil means none.
	Groups []string
	// APIKeys are the consumer's API keys, each either the key itself or its HashAPIKey
	// form ("sha256:<64 hex digits>"); nil means the consumer cannot use keyAuth. A key is
	// unique across all consumers.
	APIKeys []string
	// Basic are the consumer's basic-auth credentials; nil means the consumer cannot use
	// basicAuth.
	Basic []BasicCredential
}

// BasicCredential is one username and password for basicAuth.
type BasicCredential struct {
	// Username is the RFC 7617 user-id; required, without a colon, and owned by one
	// consumer only (one consumer may list it with several passwords, for rotation).
	Username string
	// Password is the password itself or its HashPassword form
	// ("sha256:<salt hex>:<hash hex>", the hash being SHA-256 of salt then password).
	// SHA-256 is fast: use long random passwords, not ones people choose.
	Password string
}

// ConsumerSet is a policy.Consumers kept in memory, holding only SHA-256 hashes of keys
// and passwords. The zero value and nil hold no consumers. Safe for concurrent use; it is
// immutable once built.
type ConsumerSet struct {
	byName map[string]*policy.Consumer
	keys   map[uint64][]keyEntry
	users  map[string][]basicEntry
}

type keyEntry struct {
	consumer *policy.Consumer
	hash     [sha256.Size]byte
}

type basicEntry struct {
	consumer *policy.Consumer
	salt     []byte
	hash     [sha256.Size]byte
}

var _ policy.Consumers = (*ConsumerSet)(nil)

// NewConsumerSet builds a ConsumerSet. It refuses a consumer without a name, a name used
// twice, a malformed hash, and an API key or username that two consumers share (the
// error names both consumers, never the key).
func NewConsumerSet(consumers []ConsumerSpec) (*ConsumerSet, error) {
	s := &ConsumerSet{
		byName: make(map[string]*policy.Consumer, len(consumers)),
		keys:   map[uint64][]keyEntry{},
		users:  map[string][]basicEntry{},
	}
	type keyOwner struct {
		consumer string
		index    int
	}
	keyOwners := map[[sha256.Size]byte]keyOwner{}
	userOwners := map[string]string{}
	for i, spec := range consumers {
		if spec.Name == "" {
			return nil, fmt.Errorf("consumer %d: name is required", i)
		}
		if _, dup := s.byName[spec.Name]; dup {
			return nil, fmt.Errorf("consumer %q: name is used twice", spec.Name)
		}
		c := &policy.Consumer{Name: spec.Name, Groups: slices.Clone(spec.Groups)}
		s.byName[spec.Name] = c
		for j, key := range spec.APIKeys {
			h, err := apiKeyHash(key)
			if err != nil {
				return nil, fmt.Errorf("consumer %q: API key %d: %w", spec.Name, j, err)
			}
			if o, dup := keyOwners[h]; dup {
				return nil, fmt.Errorf("consumer %q: API key %d is also API key %d of consumer %q", spec.Name, j, o.index, o.consumer)
			}
			keyOwners[h] = keyOwner{spec.Name, j}
			s.keys[bucketOf(h)] = append(s.keys[bucketOf(h)], keyEntry{consumer: c, hash: h})
		}
		for j, bc := range spec.Basic {
			if bc.Username == "" {
				return nil, fmt.Errorf("consumer %q: basic credential %d: username is required", spec.Name, j)
			}
			if strings.ContainsRune(bc.Username, ':') {
				return nil, fmt.Errorf("consumer %q: basic credential %d: username must not contain a colon", spec.Name, j)
			}
			if owner, dup := userOwners[bc.Username]; dup && owner != spec.Name {
				return nil, fmt.Errorf("consumer %q: basic credential %d: username %q also belongs to consumer %q", spec.Name, j, bc.Username, owner)
			}
			userOwners[bc.Username] = spec.Name
			salt, hash, err := passwordHash(bc.Password)
			if err != nil {
				return nil, fmt.Errorf("consumer %q: basic credential %d: %w", spec.Name, j, err)
			}
			s.users[bc.Username] = append(s.users[bc.Username], basicEntry{consumer: c, salt: salt, hash: hash})
		}
	}
	return s, nil
}

// ByAPIKey returns the consumer owning key, or ok=false.
func (s *ConsumerSet) ByAPIKey(key string) (*policy.Consumer, bool) {
	if s == nil || key == "" {
		return nil, false
	}
	h := sha256.Sum256([]byte(key))
	for _, e := range s.keys[bucketOf(h)] {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			return e.consumer, true
		}
	}
	return nil, false
}

// bucketOf is the map key of a key hash: its first 8 bytes. The full hash is then
// compared in constant time; what a lookup's timing reveals is part of a SHA-256 hash,
// which says nothing usable about the key.
func bucketOf(h [sha256.Size]byte) uint64 {
	return binary.BigEndian.Uint64(h[:8])
}

// ByBasic returns the consumer whose basic credential is user:password, or ok=false.
func (s *ConsumerSet) ByBasic(user, password string) (*policy.Consumer, bool) {
	if s == nil {
		return nil, false
	}
	entries := s.users[user]
	if len(entries) == 0 {
		// Spend the time a known user costs, so timing does not reveal which users exist.
		h := saltedHash(dummySalt[:], password)
		subtle.ConstantTimeCompare(h[:], dummySalt[:])
		return nil, false
	}
	for _, e := range entries {
		h := saltedHash(e.salt, password)
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			return e.consumer, true
		}
	}
	return nil, false
}

// ByName returns the named consumer, or ok=false.
func (s *ConsumerSet) ByName(name string) (*policy.Consumer, bool) {
	if s == nil {
		return nil, false
	}
	c, ok := s.byName[name]
	return c, ok
}

// HashAPIKey returns key in the hashed form ConsumerSpec.APIKeys accepts:
// "sha256:<hex of SHA-256(key)>" (secret.Hash).
func HashAPIKey(key string) string { return secret.Hash(key) }

// HashPassword returns password in the hashed form BasicCredential.Password accepts,
// with a fresh random salt: "sha256:<salt hex>:<hex of SHA-256(salt || password)>"
// (secret.HashPassword).
func HashPassword(password string) string { return secret.HashPassword(password) }

var dummySalt [sha256.Size]byte

func saltedHash(salt []byte, password string) [sha256.Size]byte {
	d := sha256.New()
	d.Write(salt)
	d.Write([]byte(password))
	var out [sha256.Size]byte
	d.Sum(out[:0])
	return out
}

// apiKeyHash returns the SHA-256 of a configured key, given plain or hashed.
func apiKeyHash(key string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	if key == "" {
		return h, fmt.Errorf("is empty")
	}
	hexPart, hashed := strings.CutPrefix(key, hashPrefix)
	if !hashed {
		return sha256.Sum256([]byte(key)), nil
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil || len(b) != sha256.Size {
		return h, fmt.Errorf("a hashed key must be %q followed by 64 hex digits", hashPrefix)
	}
	copy(h[:], b)
	return h, nil
}

// passwordHash returns the salt and salted hash of a configured password, given plain
// (a random salt is drawn) or hashed.
func passwordHash(password string) ([]byte, [sha256.Size]byte, error) {
	var h [sha256.Size]byte
	rest, hashed := strings.CutPrefix(password, hashPrefix)
	if !hashed {
		if password == "" {
			return nil, h, fmt.Errorf("password is required")
		}
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		return salt, saltedHash(salt, password), nil
	}
	saltHex, hashHex, ok := strings.Cut(rest, ":")
	salt, err1 := hex.DecodeString(saltHex)
	sum, err2 := hex.DecodeString(hashHex)
	if !ok || err1 != nil || err2 != nil || len(salt) == 0 || len(sum) != sha256.Size {
		return nil, h, fmt.Errorf("a hashed password must be %q<salt hex>:<64 hex digits>", hashPrefix)
	}
	copy(h[:], sum)
	return salt, h, nil
}
