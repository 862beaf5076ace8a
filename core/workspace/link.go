package workspace

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
)

// Link makes the API called name follow the spec file at path: the file is imported as
// the API's newest revision (creating the API if needed), later edits to it become new
// revisions (see Follow), and SaveLinked writes edits back to it.
func Link(ctx context.Context, st store.APIStore, name, path string) (*ImportResult, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	res, err := Import(ctx, st, abs, name, spec.Options{})
	if err != nil {
		return nil, err
	}
	if err := st.SetLinkedPath(ctx, res.API.Name, abs); err != nil {
		return nil, err
	}
	res.API.LinkedPath = abs
	return res, nil
}

// SaveLinked saves text like Save and, when the API is linked to a file, writes text to
// that file as well, replacing it whole (a crash leaves the old or the new file, never
// half of one). The revision is stored first, so a failed write loses nothing.
func SaveLinked(ctx context.Context, st store.APIStore, name, text string) (*ImportResult, error) {
	res, err := Save(ctx, st, name, text)
	if err != nil {
		return nil, err
	}
	api, err := st.GetAPI(ctx, name)
	if err != nil {
		return nil, err
	}
	if api.LinkedPath != "" {
		if err := atomicfile.WriteBytes(api.LinkedPath, atomicfile.ModeOf(api.LinkedPath, 0o644), []byte(text)); err != nil {
			return res, fmt.Errorf("saved as revision %d, but writing %s failed: %w", res.Revision.ID, api.LinkedPath, err)
		}
	}
	return res, nil
}

// FileChange reports an edit to a linked API's file made outside Gantry.
type FileChange struct {
	// API is the linked API.
	API string
	// Text is the root document as it is now on disk.
	Text string
	// Result is the new revision; nil when the file did not change the spec or Err is set.
	Result *ImportResult
	// Err is why the file could not be imported (a broken edit); the API keeps its newest
	// good revision.
	Err error
}

// Follower imports edits to linked APIs' files as they happen.
type Follower struct {
	// Store is the workspace.
	Store store.APIStore
	// OnChange is called for every edit that changed a linked file; it must not block long.
	OnChange func(FileChange)
	// Debounce is the quiet time after the last event before importing; 0 means 150 ms.
	Debounce time.Duration
	// Rescan is how often the set of linked APIs is read again; 0 means every 2 s.
	Rescan time.Duration
	// Logger receives watch failures; nil discards them.
	Logger *slog.Logger

	once    sync.Once
	refresh chan struct{}
	mu      sync.Mutex // held while a linked file is read and imported
}

// Exclusive runs fn while no linked file is being read and imported, so that a save that
// stores a revision and writes the file (SaveLinked) cannot interleave with an import of
// the file as it was before: such an import would store the old text as newest.
func (f *Follower) Exclusive(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *Follower) init() {
	f.once.Do(func() { f.refresh = make(chan struct{}, 1) })
}

// Refresh makes a running Follower read the linked APIs again now, as after a Link. It
// never blocks.
func (f *Follower) Refresh() {
	f.init()
	select {
	case f.refresh <- struct{}{}:
	default:
	}
}

// Run watches the folders of the linked files and of the files their $refs reach (editors
// save by renaming, so folders, not files) until ctx is done. An edit of any of them
// imports the spec again from its root.
func (f *Follower) Run(ctx context.Context) error {
	log := f.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	debounce, rescan := f.Debounce, f.Rescan
	if debounce <= 0 {
		debounce = 150 * time.Millisecond
	}
	if rescan <= 0 {
		rescan = 2 * time.Second
	}
	f.init()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	watched := map[string]bool{}
	watch := func(api, dir string) {
		if watched[dir] {
			return
		}
		if err := w.Add(dir); err != nil {
			log.Warn("cannot watch a folder of a linked spec", "api", api, "dir", dir, "err", err)
			return
		}
		watched[dir] = true
	}
	var links map[string]string // linked path -> API
	// files maps every file of the linked specs (the root and the files its $refs reach,
	// as the newest revision has them) to its API; fileRevs says which revision's files
	// each API's entries are.
	files := map[string]string{}
	fileRevs := map[string]int64{}
	filesOf := map[string][]string{}
	refresh := func() {
		list, err := f.Store.ListAPIs(ctx)
		if err != nil {
			log.Warn("listing linked APIs", "err", err)
			return
		}
		old := links
		links = map[string]string{}
		clear(files)
		for _, a := range list {
			if a.LinkedPath == "" {
				continue
			}
			links[a.LinkedPath] = a.Name
			if old != nil && old[a.LinkedPath] != a.Name {
				// Newly linked: catch up with edits made before the folder was watched.
				defer f.importFile(ctx, a.Name, a.LinkedPath)
			}
			dir := filepath.Dir(a.LinkedPath)
			watch(a.Name, dir)
			files[a.LinkedPath] = a.Name
			if fileRevs[a.Name] != a.LatestRevision {
				filesOf[a.Name] = nil
				if rev, err := f.Store.LatestRevision(ctx, a.Name, true); err == nil {
					for _, sf := range rev.Files {
						filesOf[a.Name] = append(filesOf[a.Name], filepath.Join(dir, filepath.FromSlash(sf.Path)))
					}
					fileRevs[a.Name] = a.LatestRevision
				} else {
					log.Warn("listing the files of a linked spec", "api", a.Name, "err", err)
				}
			}
			for _, p := range filesOf[a.Name] {
				files[p] = a.Name
				watch(a.Name, filepath.Dir(p))
			}
		}
	}
	refresh()
	tick := time.NewTicker(rescan)
	defer tick.Stop()
	pending := map[string]bool{}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			refresh()
		case <-f.refresh:
			refresh()
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) == 0 {
				continue
			}
			if name, ok := files[filepath.Clean(ev.Name)]; ok {
				pending[name] = true
				timer = time.After(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("watching linked specs", "err", err)
		case <-timer:
			timer = nil
			for path, name := range links {
				if pending[name] {
					f.importFile(ctx, name, path)
				}
			}
			pending = map[string]bool{}
		}
	}
}

// importFile imports the linked file of name and reports what happened. A file that
// cannot be used is read again after a moment before the problem is reported: editors
// that truncate and then write leave a short window in which the file is empty or half
// written, and an import can land in it.
func (f *Follower) importFile(ctx context.Context, name, path string) {
	for attempt := 0; ; attempt++ {
		c, data, ok := f.importOnce(ctx, name, path)
		if !ok {
			return
		}
		if c.Err != nil && attempt < 3 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if again, err := os.ReadFile(path); err == nil && !bytes.Equal(again, data) {
				continue // the file changed meanwhile: import what it is now
			}
		}
		f.report(c)
		return
	}
}

// importOnce reads and imports the file; ok is false when there is nothing to report
// (the spec is what it was: Gantry's own save, or a save without changes).
func (f *Follower) importOnce(ctx context.Context, name, path string) (c FileChange, data []byte, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		return FileChange{API: name, Err: err}, nil, true
	}
	c = FileChange{API: name, Text: string(data)}
	res, err := Import(ctx, f.Store, path, name, spec.Options{})
	switch {
	case err != nil:
		c.Err = err
	case res.Added:
		c.Result = res
	default:
		return c, data, false
	}
	return c, data, true
}

func (f *Follower) report(c FileChange) {
	if f.OnChange != nil {
		f.OnChange(c)
	}
}
