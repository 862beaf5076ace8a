package lint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// RulesetFileNames are the names a workspace ruleset may have, in the order they are looked for.
var RulesetFileNames = []string{".spectral.yaml", ".spectral.yml", ".spectral.json"}

// FindRulesetFile looks for a workspace ruleset (.spectral.yaml, .spectral.yml or
// .spectral.json) in dir, then in each parent folder, and stops after stop (inclusive).
// An empty stop, or one that is not an ancestor of dir, searches up to the first folder
// holding a .git entry, else to the file system's root. It returns "" when there is none.
func FindRulesetFile(dir, stop string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if stop != "" {
		if stop, err = filepath.Abs(stop); err != nil {
			return "", err
		}
		if rel, err := filepath.Rel(stop, dir); err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
			stop = ""
		}
	}
	for {
		for _, name := range RulesetFileNames {
			p := filepath.Join(dir, name)
			fi, err := os.Stat(p)
			if err == nil && !fi.IsDir() {
				return p, nil
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		if stop != "" && dir == stop {
			return "", nil
		}
		if stop == "" {
			if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
				return "", nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// RulesetFor returns the ruleset that applies to a spec in folder dir: the workspace ruleset
// FindRulesetFile finds (searching up to stop), else DefaultRuleset. path is the ruleset file
// used, "" for the default.
func RulesetFor(dir, stop string) (rs *Ruleset, path string, err error) {
	p, err := FindRulesetFile(dir, stop)
	if err != nil {
		return nil, "", err
	}
	if p == "" {
		return DefaultRuleset(), "", nil
	}
	rs, err = LoadRuleset(p)
	if err != nil {
		return nil, p, err
	}
	return rs, p, nil
}
