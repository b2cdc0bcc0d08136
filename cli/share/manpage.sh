#!/usr/bin/env bash
# Builds chunkbench.1 from the binary's own --help texts with help2man, so the man page cannot
# drift from the options: the top-level help, then one section per command (its --help verbatim).
# usage: manpage.sh CHUNKBENCH_BIN OUT.1
set -euo pipefail
bin=$1 out=$2
include=$(mktemp) && trap 'rm -f "$include"' EXIT
{
  echo '[COMMANDS]'
  "$bin" --help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p' | while read -r cmd; do
    echo ".SS $cmd"
    echo '.nf'
    "$bin" "$cmd" --help | sed 's/\\/\\e/g; s/^\./\\\&./'
    echo '.fi'
  done
  echo '[SEE ALSO]'
  echo 'casync(1), desync, curl(1), h2load(1). The README of the source tree documents every command.'
} >"$include"
help2man --no-info --no-discard-stderr --name "measure chunked OS-image updates and publish them" \
  --include "$include" --output "$out" "$bin"
