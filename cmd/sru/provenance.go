package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/gosru/gosru/datasets"
	"github.com/gosru/gosru/experiments"
	"github.com/gosru/gosru/tasks/classification"
	"github.com/gosru/gosru/train"
)

// dataRecord describes the data a run uses: the resolved data directory and the sha256 of
// the files the task says it reads (train.DataFiles), else of the files the dataset registry
// lists for the task's dataset label (for a file absent but for its substitute, the
// substitute: the file read).
func dataRecord(exp *experiments.Experiment, task any, labels map[string]string) (*train.DataRecord, error) {
	dir := exp.DataPath()
	if dir == classification.EmbeddedDataDir {
		return &train.DataRecord{Dir: dir, Dataset: labels["dataset"]}, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	source := ""
	if df, ok := task.(train.DataFiles); ok {
		files, source = df.DataFiles(), "task"
	} else if ds, err := datasets.Default.Select(labels["dataset"]); err == nil && labels["dataset"] != "" {
		for _, f := range datasets.Files(ds) {
			p, _, ok := f.Find(abs)
			if !ok {
				p = f.Path
			}
			files = append(files, p)
		}
		source = "registry"
	}
	return train.HashDataFiles(abs, labels["dataset"], source, files)
}

// recordData writes data.json at a run's start; on a resume it warns when the data differ
// from the recorded ones (data.json keeps what the run started with). It says which files
// read are substitutes of absent official files.
func recordData(e *env, dir string, resuming bool, rec *train.DataRecord) error {
	var read []string
	for p := range rec.Files {
		read = append(read, p)
	}
	sort.Strings(read)
	for _, p := range read {
		if f, sub, ok := datasets.Default.Lookup(p); ok && sub {
			fmt.Fprintf(e.stderr, "data: %s is read in place of the official %s, which is absent (%s)\n", p, f.Path, f.Substitute.Desc)
		}
	}
	if resuming {
		old, err := train.ReadDataRecord(dir)
		if err != nil {
			return err
		}
		if old != nil {
			for _, c := range old.Changes(rec) {
				fmt.Fprintf(e.stderr, "warning: the data changed since the run started (%s): %s\n", train.DataFile, c)
			}
			return nil
		}
	}
	return train.WriteDataRecord(dir, rec)
}
