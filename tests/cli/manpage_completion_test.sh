#!/usr/bin/env bash
# Every command `chunkbench --help` lists has a section in the man page, and the bash completion
# completes commands and a command's long options. Exit 77 (skip) without help2man's output.
set -euo pipefail
bin=$1 man=$2 completion=$3
[ -f "$man" ] || { echo "SKIP: $man was not built (help2man missing)"; exit 77; }
fail=0
for cmd in $("$bin" --help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p'); do
  grep -q "^\.SS $cmd\$" "$man" || { echo "man page lacks command $cmd"; fail=1; }
done
grep -q -- '--seed' "$man" || { echo "man page lacks extract's --seed"; fail=1; }
# Drive the completion function as bash would.
# The function calls the binary by the name typed; make it resolvable.
out=$(PATH="$(dirname "$bin"):$PATH" bash -c '
  source "$1"
  COMP_WORDS=(chunkbench ext); COMP_CWORD=1; _chunkbench; echo "cmds: ${COMPREPLY[*]}"
  COMP_WORDS=(chunkbench extract --see); COMP_CWORD=2; _chunkbench; echo "opts: ${COMPREPLY[*]}"
' _ "$completion")
echo "$out"
grep -q '^cmds: extract$' <<<"$out" || { echo "completion of 'ext' is not 'extract'"; fail=1; }
grep -q '^opts: .*--seed' <<<"$out" || { echo "completion of 'extract --see' lacks --seed"; fail=1; }
exit $fail
