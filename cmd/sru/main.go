// Command sru is gosru's command line: it reproduces the experiments of the SRU paper ("Training
// RNNs as Fast as CNNs", Lei & Zhang 2017).
//
//	sru <command> [flags]
//
// Each command lives in its own file (cmd/sru/<command>.go) and registers itself in init.
// Results go to stdout, progress and diagnostics to stderr. Errors print one line and exit 1;
// misuse of the command line exits 2; a run interrupted by Ctrl-C (or SIGTERM) writes a
// checkpoint and exits 130.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gosru/gosru/train"
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line for the command list
	// run executes the command with the arguments after its name.
	run func(env *env, args []string) error
}

// env is what a command may touch of the process: its output streams.
type env struct {
	stdout, stderr io.Writer
	// stderrIsTerminal turns progress output on.
	stderrIsTerminal bool
}

var commands = map[string]*command{}

// register adds a command; the files of the commands call it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("sru: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// usageError marks a misuse of the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(runMain(&env{stdout: os.Stdout, stderr: os.Stderr, stderrIsTerminal: isTerminal(os.Stderr)}, os.Args[1:]))
}

// runMain runs the command line args and returns the exit status.
func runMain(e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	var err error
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			switch rest[0] {
			case "version":
				fmt.Fprintln(e.stdout, "usage: sru version\n\nprints the module version, the VCS revision, the Go version and the platform")
				return 0
			case "help":
				printUsage(e.stdout)
				return 0
			}
			if c, ok := commands[rest[0]]; ok {
				err = c.run(e, []string{"-h"})
				break
			}
			err = usagef("help: unknown command %q", rest[0])
			break
		}
		printUsage(e.stdout)
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(e.stdout, version())
		return 0
	default:
		c, ok := commands[name]
		if !ok {
			err = usagef("unknown command %q (run 'sru help')", name)
			break
		}
		if err = c.run(e, rest); err != nil {
			err = wrapCommand(name, err)
		}
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFlagParse): // the flag package has printed the problem and the usage
		return 2
	}
	fmt.Fprintf(e.stderr, "sru: %v\n", err)
	if errors.Is(err, train.ErrInterrupted) {
		return exitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// wrapCommand prefixes a command's error with its name (unless a package of the same name
// did), keeping a usage error one.
func wrapCommand(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+": ") {
		return err
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return &usageError{name + ": " + ue.msg}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// errFlagParse reports a flag parse error that the flag package has already printed.
var errFlagParse = errors.New("bad flags")

// newFlags returns a flag set for a command that prints its errors and usage on stderr.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: sru %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs; it rejects stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlagParse
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "sru reproduces \"Training RNNs as Fast as CNNs\" (Lei & Zhang 2017).")
	fmt.Fprintln(w, "\nusage: sru <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n  %-10s %s\n", "help", "show this, or 'sru help <command>' for its flags",
		"version", "print the version")
}

// version is the module version and VCS revision when the binary knows them.
func version() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("sru %s%s %s %s/%s", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// isTerminal reports whether f is a character device (a terminal, not a file or pipe).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
