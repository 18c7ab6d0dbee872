#!/usr/bin/env bash
# Downloads the data of every gosru task (classification, PTB, SQuAD, speech, translation) into
# the data directory ($SRU_DATA, else ./data; or --data-dir DIR), checking each file's size and
# sha256: it runs the Go command `sru data download all`, passing on its arguments, e.g.
#
#   scripts/download_data.sh --data-dir /srv/sru-data
#   scripts/download_data.sh --mirror ../shared/data    # copy from the staged data instead
#
# Files already in place are skipped. A few files exist only in gosru's staged data (SST
# phrases, the speech archives and indexes): the command says how to make each (most with
# `sru data prepare`) and exits 1 while they are missing. SQuAD train is fetched from its
# official URL; the staged reconstruction is only its substitute (--mirror takes it from a
# copy of the staged data). `sru data verify` checks the result.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Built rather than `go run` from the repository root, so that ./data and relative paths in the
# arguments mean the caller's directory.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/sru" ./cmd/sru)
"$tmp/sru" data download all "$@"
