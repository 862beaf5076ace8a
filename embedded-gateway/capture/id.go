package capture

import (
	"math/rand/v2"
	"sync"
	"time"
)

// crockford is the Crockford base32 alphabet ULIDs use (no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idGen holds the state that makes IDs monotonic within one millisecond.
var idGen struct {
	mu sync.Mutex
	ms uint64 // timestamp of the last ID, in ms since the Unix epoch
	hi uint16 // top 16 of the last ID's 80 random bits
	lo uint64 // low 64 of the last ID's 80 random bits
}

// NewID returns a new ULID: a 26-character, Crockford base32 string made of a 48-bit
// millisecond timestamp and 80 random bits. IDs sort lexically in creation order: within
// one millisecond (or if the clock steps back) the previous ID's random part is incremented
// instead of drawn afresh. It is safe for concurrent use.
func NewID() string { return newIDAt(time.Now()) }

// newIDAt is NewID for an exchange that started at now, the current time.
func newIDAt(now time.Time) string {
	ms := uint64(now.UnixMilli())

	idGen.mu.Lock()
	if ms <= idGen.ms {
		// Same millisecond, or the clock went back: stay on the last timestamp and count up.
		ms = idGen.ms
		idGen.lo++
		if idGen.lo == 0 {
			idGen.hi++
			if idGen.hi == 0 {
				// 80 bits exhausted within one millisecond: borrow the next one.
				ms++
				idGen.hi, idGen.lo = uint16(rand.Uint32())>>1, rand.Uint64()
			}
		}
	} else {
		// The top random bit starts at 0 so that 2^79 increments fit before overflow.
		idGen.hi, idGen.lo = uint16(rand.Uint32())>>1, rand.Uint64()
	}
	idGen.ms = ms
	hi, lo := idGen.hi, idGen.lo
	idGen.mu.Unlock()

	return encodeULID(ms, hi, lo)
}

// encodeULID writes the 128-bit ULID (48-bit ms, 80 random bits) as 26 base32 characters.
func encodeULID(ms uint64, hi uint16, lo uint64) string {
	var b [26]byte
	// Timestamp: 10 characters, 50 bits, the top 2 always zero.
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	// Randomness: 16 characters, exactly 80 bits, low bits last.
	for i := 25; i >= 10; i-- {
		b[i] = crockford[lo&31]
		lo = lo>>5 | uint64(hi&31)<<59
		hi >>= 5
	}
	return string(b[:])
}
