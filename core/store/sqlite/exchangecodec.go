package sqlite

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// detailVersion is the first byte of an encoded exchange detail.
const detailVersion = 1

// The detail blob holds the parts of an exchange that no filter reads, in this order:
//
//	version byte (1)
//	duration                 varint (nanoseconds)
//	operation, mode, client_addr, host, proto, scheme     strings
//	request headers          headers
//	request body             bytes
//	request size             varint
//	response headers         headers
//	response body            bytes
//	response size            varint
//	violations, warnings     bytes (JSON; absent when empty)
//
// A string is a uvarint length and the bytes. Bytes are a uvarint of length+1 (0 is nil)
// and the bytes. Headers are a uvarint count of keys (0 is none), then per key (in map
// order) the key as a string, a uvarint count of values and each value as a string.
// Appending this costs a small fraction of a JSON encoding, and there is no reflection.

// appendDetail appends the encoded detail of x to dst.
func appendDetail(dst []byte, x *model.Exchange) ([]byte, error) {
	dst = append(dst, detailVersion)
	dst = binary.AppendVarint(dst, int64(x.Duration))
	for _, s := range [...]string{x.Operation, x.Mode, x.ClientAddr, x.Host, x.Proto, x.Scheme} {
		dst = appendString(dst, s)
	}
	dst = appendHeaders(dst, x.RequestHeaders)
	dst = appendBytes(dst, x.RequestBody)
	dst = binary.AppendVarint(dst, x.RequestSize)
	dst = appendHeaders(dst, x.ResponseHeaders)
	dst = appendBytes(dst, x.ResponseBody)
	dst = binary.AppendVarint(dst, x.ResponseSize)
	var err error
	if dst, err = appendJSONList(dst, x.Violations, "violations"); err != nil {
		return nil, err
	}
	return appendJSONList(dst, x.Warnings, "warnings")
}

// appendJSONList appends the JSON of vs as bytes, or nil bytes if vs is empty.
func appendJSONList[T any](dst []byte, vs []T, what string) ([]byte, error) {
	if len(vs) == 0 {
		return appendBytes(dst, nil), nil
	}
	b, err := json.Marshal(vs)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", what, err)
	}
	return appendBytes(dst, b), nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b))+1)
	return append(dst, b...)
}

func appendHeaders(dst []byte, h http.Header) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(h)))
	for k, vs := range h {
		dst = appendString(dst, k)
		dst = binary.AppendUvarint(dst, uint64(len(vs)))
		for _, v := range vs {
			dst = appendString(dst, v)
		}
	}
	return dst
}

// errCorrupt is returned (wrapped) for a detail blob that does not decode.
var errCorrupt = errors.New("corrupt exchange detail")

// detailReader decodes a detail blob; the first error sticks and later reads return zeros.
type detailReader struct {
	b   []byte
	err error
}

func (r *detailReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errCorrupt, what)
	}
	r.b = nil
}

func (r *detailReader) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *detailReader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *detailReader) take(n uint64, what string) []byte {
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

func (r *detailReader) string(what string) string {
	return string(r.take(r.uvarint(what), what))
}

func (r *detailReader) bytes(what string) []byte {
	n := r.uvarint(what)
	if n == 0 || r.err != nil {
		return nil
	}
	return slices.Clone(r.take(n-1, what))
}

func (r *detailReader) headers(what string) http.Header {
	n := r.uvarint(what)
	if n == 0 || r.err != nil {
		return nil
	}
	// Every key takes at least two bytes, which bounds n before anything is allocated.
	if n > uint64(len(r.b))/2 {
		r.fail(what)
		return nil
	}
	h := make(http.Header, n)
	for range n {
		k := r.string(what)
		nv := r.uvarint(what)
		if nv > uint64(len(r.b)) {
			r.fail(what)
			return nil
		}
		vs := make([]string, nv)
		for i := range vs {
			vs[i] = r.string(what)
		}
		if r.err != nil {
			return nil
		}
		h[k] = vs
	}
	return h
}

// decodeDetail fills the detail fields of x from b.
func decodeDetail(b []byte, x *model.Exchange) error {
	if len(b) == 0 || b[0] != detailVersion {
		if len(b) == 0 {
			return fmt.Errorf("%w: empty", errCorrupt)
		}
		return fmt.Errorf("%w: unknown version %d", errCorrupt, b[0])
	}
	r := &detailReader{b: b[1:]}
	x.Duration = time.Duration(r.varint("duration"))
	for _, f := range []*string{&x.Operation, &x.Mode, &x.ClientAddr, &x.Host, &x.Proto, &x.Scheme} {
		*f = r.string("request line")
	}
	x.RequestHeaders = r.headers("request headers")
	x.RequestBody = r.bytes("request body")
	x.RequestSize = r.varint("request size")
	x.ResponseHeaders = r.headers("response headers")
	x.ResponseBody = r.bytes("response body")
	x.ResponseSize = r.varint("response size")
	viol, warn := r.bytes("violations"), r.bytes("warnings")
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(r.b))
	}
	if viol != nil {
		if err := json.Unmarshal(viol, &x.Violations); err != nil {
			return fmt.Errorf("%w: violations: %v", errCorrupt, err)
		}
	}
	if warn != nil {
		if err := json.Unmarshal(warn, &x.Warnings); err != nil {
			return fmt.Errorf("%w: warnings: %v", errCorrupt, err)
		}
	}
	return nil
}
