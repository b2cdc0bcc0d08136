#!/bin/sh
# Installs chunkbench into a scratch prefix, builds the examples/ project against it with
# find_package(chunkbench) as a downstream user would, and runs one example through
# examples/run_example.sh with the installed binary. Exit 77 (skipped) passes through.
set -eu
build_dir=$1 examples_dir=$2 work=$3 generator=$4 example=$5
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$examples_dir" -B "$work/build" -G "$generator" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" --target "$example" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
sh "$examples_dir/run_example.sh" "$work/build/$example" "$work/prefix/bin/chunkbench"
