package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/gosru/gosru/datasets"
	"github.com/gosru/gosru/experiments"
)

func init() {
	register(&command{
		name:    "data",
		summary: "list, download and verify the datasets",
		run:     runData,
	})
}

const dataUsage = `data list|download|verify|prepare [flags] [NAME...]

  sru data list [NAME...]        the datasets: the task that trains on each (or that its task
                                 is not implemented yet), files, size, how many are present;
                                 with names, each file with its source, URL and licence
  sru data download NAME...|all  fetch the files, check their size and sha256, move them
                                 into place; files already there are skipped
  sru data verify [NAME...]      hash the present files: ok, missing or corrupt (a file
                                 absent but for its substitute: the substitute, checked
                                 against its own sha256)
  sru data prepare RECIPE...     make files no URL serves from official ones, and check each
                                 against the registry: sst-phrases (from the sst-trees zip),
                                 fsdd (from the FSDD repository's archive at the pinned
                                 commit, -from FILE or downloaded; else the index from the
                                 tarball present), yesno (from OpenSLR's waves_yesno.tar.gz,
                                 likewise)

NAME is a dataset (mr, subj, cr, mpqa, trec, sst2, sst5, sst-trees, ptb, squad, fsdd, yesno,
multi30k, wmt14), a task (classification, lm, squad, speech, translation) or all.
The data directory is --data-dir, else $SRU_DATA, else ./data.
A few files were made when gosru's data was staged and no URL has them (SST phrases, the
speech archives and indexes): prepare makes most of them from official files, download says
how to make each, or takes them from a copy of the staged data with --mirror.
SQuAD train is the official train-v1.1.json, which download fetches; the staged reconstruction
(squad/train-v1.1.reconstructed.json.gz) is its accepted substitute: with it in place of the
official file the dataset counts as present, and the squad task reads it.`

func runData(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: list, download, verify or prepare (run 'sru help data')")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintf(e.stderr, "usage: sru %s\n\nflags of each subcommand:\n", dataUsage)
		fs := dataFlags(e, "data")
		fs.String("mirror", "", "download only: take the files from this base URL or directory (a copy of a data directory) instead of their URLs")
		fs.PrintDefaults()
		return flag.ErrHelp
	case "list":
		return runDataList(e, args[1:])
	case "download":
		return runDataDownload(e, args[1:])
	case "verify":
		return runDataVerify(e, args[1:])
	case "prepare":
		return runDataPrepare(e, args[1:])
	}
	return usagef("unknown subcommand %q: want list, download, verify or prepare", args[0])
}

// dataRegistry is the registry the data commands work on (tests replace it).
var dataRegistry = datasets.Default

// dataFlags is the flag set of a data subcommand, with --data-dir.
func dataFlags(e *env, name string) *flag.FlagSet {
	fs := newFlags(e, name, dataUsage)
	fs.String("data-dir", "", "data directory (default $SRU_DATA, else ./data)")
	return fs
}

// parseNames parses flags anywhere among the names ("download all --data-dir d" works too).
func parseNames(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errFlagParse
		}
		args = fs.Args()
		if len(args) == 0 {
			return names, nil
		}
		names = append(names, args[0])
		args = args[1:]
	}
}

func dataDir(fs *flag.FlagSet) string {
	return datasets.DirFrom(fs.Lookup("data-dir").Value.String())
}

// knownNames rejects unknown names as a usage error, before any work.
func knownNames(names []string) error {
	if _, err := dataRegistry.Select(names...); err != nil {
		return usagef("%s", strings.TrimPrefix(err.Error(), "datasets: "))
	}
	return nil
}

func runDataList(e *env, args []string) error {
	fs := dataFlags(e, "data list")
	names, err := parseNames(fs, args)
	if err != nil {
		return err
	}
	if err := knownNames(names); err != nil {
		return err
	}
	dir := dataDir(fs)
	if len(names) > 0 {
		return listFiles(e, dir, names)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tTASK\tFILES\tSIZE\tPRESENT\tNOTE")
	for _, d := range dataRegistry.Datasets() {
		present, made, substituted := 0, 0, 0
		for _, f := range d.Files {
			if _, sub, ok := f.Find(dir); ok {
				present++
				if sub {
					substituted++
				}
			}
			if !f.Downloadable() {
				made++
			}
		}
		note := d.Desc
		if made > 0 {
			note = fmt.Sprintf("%s [%d not downloadable]", note, made)
		}
		if substituted > 0 {
			note = fmt.Sprintf("%s [%d present as %s]", note, substituted, plural(substituted, "substitute"))
		}
		task := d.Task
		if _, ok := experiments.TaskSummary(d.Task); !ok {
			task += " (task not yet implemented)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d/%d\t%s\n", d.Name, task, len(d.Files), datasets.HumanSize(d.Size()), present, len(d.Files), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "data directory: %s\n", dir)
	return nil
}

// listFiles describes each file of the named datasets.
func listFiles(e *env, dir string, names []string) error {
	ds, err := dataRegistry.Select(names...)
	if err != nil {
		return err
	}
	for _, f := range datasets.Files(ds) {
		state := "absent"
		switch p, sub, ok := f.Find(dir); {
		case ok && sub:
			state = "PRESENT (substitute: " + p + ")"
		case ok:
			state = "present"
		}
		fmt.Fprintf(e.stdout, "%s  %s  %s\n    %s\n", f.Path, datasets.HumanSize(f.Size), state, f.Desc)
		url := f.URL
		if f.Compress {
			url += " (the original; gzipped here)"
		}
		for _, kv := range [][2]string{{"url", url}, {"derive", f.Derive}, {"official", f.Official}, {"source", f.Source}, {"licence", f.Licence}, {"sha256", f.SHA256}} {
			if kv[1] != "" {
				fmt.Fprintf(e.stdout, "    %-9s %s\n", kv[0]+":", kv[1])
			}
		}
		if s := f.Substitute; s != nil {
			fmt.Fprintf(e.stdout, "    substitute (accepted in its place while it is absent): %s  %s\n        %s\n", s.Path, datasets.HumanSize(s.Size), s.Desc)
			for _, kv := range [][2]string{{"made", s.Derive}, {"source", s.Source}, {"sha256", s.SHA256}} {
				fmt.Fprintf(e.stdout, "        %-7s %s\n", kv[0]+":", kv[1])
			}
		}
	}
	return nil
}

func runDataDownload(e *env, args []string) error {
	fs := dataFlags(e, "data download")
	mirror := fs.String("mirror", "", "take the files from this base URL or directory (a copy of a data directory) instead of their URLs")
	idle := fs.Duration("idle-timeout", datasets.DefaultIdleTimeout, "give up on an attempt when the server sends nothing for this long")
	attempts := fs.Int("attempts", datasets.DefaultAttempts, "tries per file when a failure may be transient (network errors, stalls, HTTP 5xx), with doubling waits between them")
	names, err := parseNames(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return usagef("name what to download: a dataset, a task or all (run 'sru data list')")
	}
	if err := knownNames(names); err != nil {
		return err
	}
	dir := dataDir(fs)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *idle <= 0 || *attempts < 1 {
		return usagef("-idle-timeout must be positive and -attempts at least 1")
	}
	opt := datasets.Options{Mirror: *mirror, Log: e.stderr, IdleTimeout: *idle, Attempts: *attempts}
	if e.stderrIsTerminal {
		opt.Progress = e.stderr
	}
	out, err := dataRegistry.Download(ctx, dir, names, opt)
	count := map[datasets.Action]int{}
	for _, o := range out {
		count[o.Action]++
	}
	fmt.Fprintf(e.stderr, "data: %d fetched, %d already present in %s\n", count[datasets.Fetched], count[datasets.Present], dir)
	var derr *datasets.DownloadError
	if !errors.As(err, &derr) {
		return err
	}
	var parts []string
	if n := len(derr.Failed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s failed (see above)", n, plural(n, "file")))
	}
	if n := len(derr.NotDownloadable); n > 0 {
		var paths []string
		for _, o := range derr.NotDownloadable {
			paths = append(paths, o.File.Path)
		}
		parts = append(parts, fmt.Sprintf("%d %s cannot be downloaded, how to make each is printed above (or use --mirror with a copy of the staged data): %s",
			n, plural(n, "file"), strings.Join(paths, ", ")))
	}
	return errors.New(strings.Join(parts, "; "))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func runDataVerify(e *env, args []string) error {
	fs := dataFlags(e, "data verify")
	names, err := parseNames(fs, args)
	if err != nil {
		return err
	}
	if err := knownNames(names); err != nil {
		return err
	}
	dir := dataDir(fs)
	checks, err := dataRegistry.Verify(dir, names...)
	if err != nil {
		return err
	}
	count := map[datasets.Status]int{}
	for _, c := range checks {
		count[c.Status]++
		detail := ""
		if c.Substitute {
			detail = " (substitute for " + c.File.Path + ")"
		}
		if c.Detail != "" {
			detail += " (" + c.Detail + ")"
		}
		fmt.Fprintf(e.stdout, "%-8s %s%s\n", c.Status, c.Path(), detail)
	}
	ok, missing, corrupt := count[datasets.StatusOK], count[datasets.StatusMissing], count[datasets.StatusCorrupt]
	fmt.Fprintf(e.stderr, "data: %d ok, %d missing, %d corrupt in %s\n", ok, missing, corrupt, dir)
	switch {
	case corrupt > 0:
		return fmt.Errorf("%d corrupt %s (listed above); replace them with: %s", corrupt, plural(corrupt, "file"), downloadCommand(fs, names))
	case missing > 0 && len(names) > 0:
		return fmt.Errorf("%d %s missing; fetch them with: %s", missing, plural(missing, "file"), downloadCommand(fs, names))
	}
	return nil
}

// downloadCommand is the command line that fetches names into the data directory of fs.
func downloadCommand(fs *flag.FlagSet, names []string) string {
	cmd := "sru data download"
	if d := fs.Lookup("data-dir").Value.String(); d != "" {
		cmd += " --data-dir " + d
	}
	if len(names) == 0 {
		names = []string{"all"}
	}
	return cmd + " " + strings.Join(names, " ")
}

func runDataPrepare(e *env, args []string) error {
	fs := dataFlags(e, "data prepare")
	from := fs.String("from", "", "a local copy of the official download the recipe starts from (one recipe only)")
	names, err := parseNames(fs, args)
	if err != nil {
		return err
	}
	var known []string
	for _, r := range datasets.Recipes() {
		known = append(known, r.Name)
	}
	if len(names) == 0 {
		return usagef("name a recipe to prepare: %s", strings.Join(known, ", "))
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return usagef("unknown recipe %q: want %s", n, strings.Join(known, ", "))
		}
	}
	if *from != "" && len(names) > 1 {
		return usagef("-from names the source of one recipe; prepare one at a time")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := dataDir(fs)
	for _, n := range names {
		opt := datasets.PrepareOptions{From: *from, Log: e.stderr}
		if err := dataRegistry.Prepare(ctx, dir, n, opt); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "datasets: "))
		}
	}
	return nil
}
