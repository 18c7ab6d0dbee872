package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/train"
)

// resumeConfig is the experiment a resume trains: the one stored in the checkpoint. When the
// run's config.toml says otherwise, resume refuses with the difference, unless force, which
// takes config.toml's settings and says so.
func resumeConfig(e *env, dir, ckPath string, ck *train.Checkpoint, force bool) (*experiments.Experiment, error) {
	stored, err := experiments.Parse(ckPath+" (its stored config)", []byte(ck.Config), nil)
	if err != nil {
		return nil, err
	}
	storedTOML, err := stored.TOML()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, train.ConfigFile)
	file, err := experiments.Load(cfgPath, nil)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "warning: %s is missing; using the config stored in the checkpoint\n", cfgPath)
		return stored, nil
	}
	if err != nil {
		if force {
			return nil, err
		}
		return nil, fmt.Errorf("%w (resume trains with the checkpoint's config; restore the file or remove it)", err)
	}
	fileTOML, err := file.TOML()
	if err != nil {
		return nil, err
	}
	diff := configDiff(storedTOML, fileTOML)
	if len(diff) == 0 {
		return stored, nil
	}
	text := "  " + strings.Join(diff, "\n  ")
	if !force {
		return nil, fmt.Errorf("%s differs from the config the checkpoint was trained with (- checkpoint, + file):\n%s\n"+
			"resume trains with the checkpoint's config: restore %s, or pass -force to train on with the file's settings",
			cfgPath, text, train.ConfigFile)
	}
	fmt.Fprintf(e.stderr, "resuming with %s's settings (-force), which differ from the checkpoint's (- checkpoint, + file):\n%s\n", cfgPath, text)
	return file, nil
}

// configDiff compares two resolved experiments (as TOML) setting by setting: "- key = old"
// and "+ key = new" lines, keys as section.key, in the order of the first text.
func configDiff(a, b string) []string {
	ka, va := flattenTOML(a)
	kb, vb := flattenTOML(b)
	var out []string
	for _, k := range ka {
		old, now := va[k], vb[k]
		_, inB := vb[k]
		switch {
		case !inB:
			out = append(out, "- "+k+" = "+old)
		case old != now:
			out = append(out, "- "+k+" = "+old, "+ "+k+" = "+now)
		}
	}
	for _, k := range kb {
		if _, inA := va[k]; !inA {
			out = append(out, "+ "+k+" = "+vb[k])
		}
	}
	return out
}

// flattenTOML lists the "key = value" lines of TOML text as section.key → value, keys in order.
func flattenTOML(text string) ([]string, map[string]string) {
	var keys []string
	vals := map[string]string{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "[") {
			section = strings.Trim(l, "[] ")
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if section != "" {
			k = section + "." + k
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		vals[k] = strings.TrimSpace(v)
	}
	return keys, vals
}

// Interrupted runs exit with this status, the shell's convention for SIGINT.
const exitInterrupted = 130
