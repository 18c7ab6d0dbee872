package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gosru/gosru/train"
)

// Settings are a run's resolved experiment (its config.toml) flattened to section.key → value,
// without the keys that tell runs of one setting apart (see sampleKeys).
type Settings map[string]string

// sampleKeys are what may differ between the runs pooled into one mean: the seed and fold the
// runs are samples over, where they ran or were written, and the bookkeeping that does not
// change what is trained. "<task>.fold" is dropped too.
var sampleKeys = []string{"name", "seed", "runs_dir", "data_dir", "device",
	"train.checkpoint_every_steps", "train.keep_last", "train.log_every_steps", "train.prefetch"}

// readSettings reads dir's config.toml; a missing one is (nil, nil).
func readSettings(dir string) (Settings, string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, train.ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("report: %w", err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(raw), &doc); err != nil {
		return nil, "", fmt.Errorf("report: %s: %w", filepath.Join(dir, train.ConfigFile), err)
	}
	s := Settings{}
	flatten(s, "", doc)
	task, _ := doc["task"].(string)
	fold := s[task+".fold"]
	for _, k := range sampleKeys {
		delete(s, k)
	}
	delete(s, task+".fold")
	return s, fold, nil
}

func flatten(out Settings, prefix string, m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(out, prefix+k+".", sub)
			continue
		}
		out[prefix+k] = fmt.Sprint(v)
	}
}

// key is the settings as one comparable string.
func (s Settings) key() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, s[k])
	}
	return b.String()
}

// differing lists the keys whose values are not the same in all of sets (a key missing from
// one counts as differing), sorted.
func differing(sets []Settings) []string {
	var keys []string
	for _, s := range sets {
		for k := range s {
			if slices.Contains(keys, k) {
				continue
			}
			for _, o := range sets {
				if v, ok := o[k]; !ok || v != s[k] {
					keys = append(keys, k)
					break
				}
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// variantName names one settings group by its values of the differing keys.
func variantName(s Settings, keys []string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, ok := s[k]
		if !ok {
			v = "?"
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}
