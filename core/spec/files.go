package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// fileSet is the set of files one spec is made of, keyed by their clean slash path
// relative to the root document's folder.
type fileSet struct {
	root  string
	order []string // root first, then the others sorted
	data  map[string][]byte
	read  reader // reads further files on demand; nil when there are none
	dir   string // the root's folder on disk; "" when the files are in memory

	// pending, while the files beyond the root are collected in the background, delivers
	// the complete set; ready merges it.
	pending <-chan *fileSet
}

// ready waits for a background collection, if any, and takes its files in. Until then the
// set holds only the root.
func (s *fileSet) ready() {
	if s.pending == nil {
		return
	}
	full := <-s.pending
	s.pending = nil
	s.data, s.order = full.data, full.order
}

// reader returns the content of a file relative to the root's folder, or an error.
type reader func(rel string) ([]byte, error)

// collectFiles starts at root and follows every relative file $ref it finds in the text of
// each file (a cheap scan, not a parse), so that the spec's file set is known before
// libopenapi runs. Files that do not exist are skipped here; the converter reports the
// dangling reference at its position.
func collectFiles(root string, read reader, progress func(string, int, int)) (*fileSet, error) {
	rootData, err := read(root)
	if err != nil {
		return nil, err
	}
	return collectFrom(root, rootData, read, progress), nil
}

// collectFrom is collectFiles once the root's content is known.
func collectFrom(root string, rootData []byte, read reader, progress func(string, int, int)) *fileSet {
	fsx := &fileSet{root: root, data: map[string][]byte{root: rootData}, read: read}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if progress != nil {
			progress("read", len(fsx.data)-len(queue), len(fsx.data))
		}
		dir := path.Dir(cur)
		for _, ref := range scanRefs(fsx.data[cur]) {
			target := refFile(dir, ref)
			if target == "" {
				continue
			}
			if _, seen := fsx.data[target]; seen {
				continue
			}
			b, err := read(target)
			if err != nil {
				continue
			}
			fsx.data[target] = b
			queue = append(queue, target)
		}
	}
	for p := range fsx.data {
		if p != root {
			fsx.order = append(fsx.order, p)
		}
	}
	sort.Strings(fsx.order)
	fsx.order = append([]string{root}, fsx.order...)
	return fsx
}

// refFile returns the file part of ref resolved against dir (both slash paths relative to the
// root's folder), or "" when ref is local to its document, remote, or not a path.
func refFile(dir, ref string) string {
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if ref == "" || strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
		return ""
	}
	ref = strings.ReplaceAll(ref, "\\", "/")
	if strings.HasPrefix(ref, "/") {
		return ""
	}
	return path.Clean(path.Join(dir, ref))
}

// scanRefs returns the values of every `$ref` key in a YAML or JSON text.
func scanRefs(b []byte) []string {
	var out []string
	key := []byte("$ref")
	for {
		i := bytes.Index(b, key)
		if i < 0 {
			return out
		}
		b = b[i+len(key):]
		j := 0
		if j < len(b) && (b[j] == '"' || b[j] == '\'') {
			j++
		}
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j >= len(b) || b[j] != ':' {
			continue
		}
		j++
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j >= len(b) {
			return out
		}
		var v []byte
		switch q := b[j]; q {
		case '"', '\'':
			end := bytes.IndexByte(b[j+1:], q)
			if end < 0 {
				continue
			}
			v = b[j+1 : j+1+end]
		default:
			end := bytes.IndexAny(b[j:], "\r\n,}]")
			if end < 0 {
				end = len(b) - j
			}
			v = b[j : j+end]
			if k := bytes.Index(v, []byte(" #")); k >= 0 {
				v = v[:k]
			}
			v = bytes.TrimSpace(v)
		}
		if len(v) > 0 {
			out = append(out, string(v))
		}
		b = b[j:]
	}
}

// diskReader reads files relative to dir from the file system.
func diskReader(dir string) reader {
	return func(rel string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	}
}

// memReader reads files from a stored file list.
func memReader(files []model.SpecFile) reader {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[cleanRel(f.Path)] = f.Content
	}
	return func(rel string) ([]byte, error) {
		b, ok := m[rel]
		if !ok {
			return nil, fmt.Errorf("file %q: %w", rel, os.ErrNotExist)
		}
		return b, nil
	}
}

// cleanRel normalises a stored relative path to a clean slash path.
func cleanRel(p string) string {
	return path.Clean(strings.ReplaceAll(p, "\\", "/"))
}

// add records a file read after collection.
func (s *fileSet) add(p string, b []byte) {
	s.data[p] = b
	s.order = append(s.order, p)
	sort.Strings(s.order[1:])
}

// specFiles returns the files in s's order.
func (s *fileSet) specFiles() []model.SpecFile {
	out := make([]model.SpecFile, 0, len(s.order))
	for _, p := range s.order {
		out = append(out, model.SpecFile{Path: p, Content: s.data[p]})
	}
	return out
}

// hash returns the content address of the file set: SHA-256 over the root's path and
// every file's path and content (length-prefixed, sorted by path).
func (s *fileSet) hash() string {
	h := sha256.New()
	var n [8]byte
	write := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	// The compiled form's version is part of the address, so a Gantry whose compiler changed
	// stores a fresh compiled form instead of reusing a stale one for unchanged files.
	write([]byte(apidef.FormatVersion))
	write([]byte(s.root))
	paths := append([]string(nil), s.order...)
	sort.Strings(paths)
	for _, p := range paths {
		write([]byte(p))
		write(s.data[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}
