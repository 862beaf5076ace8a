package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/gantry-dev/gantry/core/apidef"
)

// FileSpec is one spec file served by a FileSource.
type FileSpec struct {
	// Path is the root document's path.
	Path string
	// Name is the API's name in the gateway; "" derives one (apidef.DefaultName).
	Name string
	// BasePath overrides the definition's base path when not "" ("/" mounts at the root).
	BasePath string
}

// LoadFunc loads the spec at path and returns its definition and the absolute paths of every
// file it was read from (the files to watch).
type LoadFunc func(path string) (def *apidef.Definition, files []string, err error)

// FileSource serves specs from disk and sends a new snapshot whenever one of their files
// changes. It watches folders, not files, because editors save by writing a new file and
// renaming it over the old one; events are debounced. A reload that fails keeps the last good
// snapshot in force and reports the error through OnError.
type FileSource struct {
	// Specs are the files to serve, in order.
	Specs []FileSpec
	// Static are APIs served beside the files (from the workspace); they never change.
	Static []*API
	// Load reads one spec; required unless Build is set.
	Load LoadFunc
	// Build, if set, makes every snapshot instead of Specs, Static and Load (a gateway
	// configuration file and the specs it names): it returns the snapshot and the files
	// it read, which are watched.
	Build func(rev uint64) (*Snapshot, []string, error)
	// Reload, if set, forces a reload on every receive (SIGHUP, say).
	Reload <-chan struct{}
	// Debounce is the quiet time after the last change before reloading; 0 means 150ms.
	Debounce time.Duration
	// OnError is called with every failed reload (nil ignores them).
	OnError func(error)
	// Logger receives reload messages; nil discards them.
	Logger *slog.Logger

	mu    sync.Mutex
	files map[string]bool
}

// Run loads every spec, sends the first snapshot and then watches for changes until ctx is
// done. It returns an error at once if the first load fails.
func (s *FileSource) Run(ctx context.Context, out chan<- *Snapshot) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	debounce := s.Debounce
	if debounce == 0 {
		debounce = 150 * time.Millisecond
	}
	snap, files, err := s.load(1)
	if err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching spec files: %w", err)
	}
	defer w.Close()
	watched := map[string]bool{}
	s.watch(w, watched, files, log)
	select {
	case out <- snap:
	case <-ctx.Done():
		return ctx.Err()
	}
	last := snap
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("file watcher closed")
			}
			if s.relevant(ev.Name) {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("file watcher closed")
			}
			log.Warn("file watcher", "err", err)
		case <-s.Reload:
			log.Info("reload requested")
			timer.Reset(0)
		case <-timer.C:
			next, files, err := s.load(last.Revision + 1)
			if err != nil {
				log.Error("reload failed; keeping the last good configuration", "err", err)
				if s.OnError != nil {
					s.OnError(err)
				}
				continue
			}
			s.watch(w, watched, files, log)
			if next.Equal(last) {
				continue
			}
			log.Info("specs reloaded", "revision", next.Revision)
			select {
			case out <- next:
				last = next
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

func (s *FileSource) relevant(name string) bool {
	abs, err := filepath.Abs(name)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only files the specs read matter: a spec starts to reference a new file by an edit to
	// a file it already reads, which triggers the reload that picks the new one up.
	return s.files[abs]
}

func (s *FileSource) watch(w *fsnotify.Watcher, watched map[string]bool, files []string, log *slog.Logger) {
	set := make(map[string]bool, len(files))
	dirs := map[string]bool{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		set[abs] = true
		dirs[filepath.Dir(abs)] = true
	}
	s.mu.Lock()
	s.files = set
	s.mu.Unlock()
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	sort.Strings(list)
	for _, d := range list {
		if watched[d] {
			continue
		}
		if err := w.Add(d); err != nil {
			log.Warn("cannot watch folder", "dir", d, "err", err)
			continue
		}
		watched[d] = true
	}
}

func (s *FileSource) load(rev uint64) (*Snapshot, []string, error) {
	if s.Build != nil {
		return s.Build(rev)
	}
	snap := &Snapshot{Revision: rev, APIs: append([]*API(nil), s.Static...)}
	var all []string
	for _, fs := range s.Specs {
		def, files, err := s.Load(fs.Path)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, files...)
		name := fs.Name
		if name == "" {
			name = apidef.DefaultName(def.Title, fs.Path)
		}
		a, err := NewAPI(name, fs.Path, fs.BasePath, def, "")
		if err != nil {
			return nil, nil, err
		}
		snap.APIs = append(snap.APIs, a)
	}
	return snap, all, nil
}
