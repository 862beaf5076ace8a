package login

import (
	"errors"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// keyringTimeout bounds one keyring call: a Secret Service that does not answer counts as
// unavailable.
const keyringTimeout = 3 * time.Second

// errKeyringTimeout is a keyring call that did not answer in time.
var errKeyringTimeout = errors.New("the OS keyring did not answer")

// System returns the OS keyring (Keychain, Windows Credential Manager, the Secret Service
// over D-Bus); every call fails when there is none or GANTRY_KEYRING is "off".
func System() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) {
	return bounded(func() (string, error) { return keyring.Get(service, user) })
}

func (systemKeyring) Set(service, user, secret string) error {
	_, err := bounded(func() (string, error) { return "", keyring.Set(service, user, secret) })
	return err
}

func (systemKeyring) Delete(service, user string) error {
	_, err := bounded(func() (string, error) { return "", keyring.Delete(service, user) })
	return err
}

// bounded runs f unless the keyring is turned off, giving up after keyringTimeout.
func bounded(f func() (string, error)) (string, error) {
	if keyringOff() {
		return "", errors.New("the OS keyring is turned off (GANTRY_KEYRING)")
	}
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := f()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(keyringTimeout):
		return "", errKeyringTimeout
	}
}

// MemoryKeyring keeps secrets in memory only: for tests, and for sessions that must not
// touch the OS keyring. When Err is set every call fails with it, like an unavailable
// keyring. It is safe for concurrent use.
type MemoryKeyring struct {
	// Err makes every call fail; nil for a working keyring.
	Err error

	mu      sync.Mutex
	secrets map[string]string
}

// errNoSecret is a secret the keyring does not hold.
var errNoSecret = errors.New("no such secret in the keyring")

// Get returns the secret kept for user of service.
func (k *MemoryKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return "", k.Err
	}
	s, ok := k.secrets[service+"\x00"+user]
	if !ok {
		return "", errNoSecret
	}
	return s, nil
}

// Set keeps secret for user of service.
func (k *MemoryKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return k.Err
	}
	if k.secrets == nil {
		k.secrets = map[string]string{}
	}
	k.secrets[service+"\x00"+user] = secret
	return nil
}

// Delete forgets the secret kept for user of service.
func (k *MemoryKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return k.Err
	}
	delete(k.secrets, service+"\x00"+user)
	return nil
}

// Len returns how many secrets are kept.
func (k *MemoryKeyring) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.secrets)
}
