// Package cli holds what the repository's commands share: running a
// subcommand and the exit codes (0 success, 1 failure, 2 usage error).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Command runs one subcommand and returns the process exit code.
type Command func(args []string, stdout, stderr io.Writer) int

// Run dispatches args[0] to its command. No command, or an unknown one, is a
// usage error; -h, --help and help print the usage and succeed.
func Run(prog, usage string, cmds map[string]Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n%s", prog, args[0], usage)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

// ParseFailure is the exit code after a flag parse error: -h asked for help
// and got it; anything else is a usage error.
func ParseFailure(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
