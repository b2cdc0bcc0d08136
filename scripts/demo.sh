#!/usr/bin/env bash
# make -> extract (seeded update) -> info on a generated image; prints a table, writes a report.
#   scripts/demo.sh [--size 128M] [--chunk 16:64:256] [--out DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CHUNKBENCH_BIN:-$here/build/cli/chunkbench}
size=128M chunk=16:64:256 out=$here/out/demo
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;; --chunk) chunk=$2; shift 2 ;; --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,3p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1" >&2; exit 2 ;;
  esac
done
rm -rf "$out" && mkdir -p "$out"
echo "== generating a $size tar image of this machine's files and its next version" >&2
"$bin" testimage --kind tar --size "$size" --out "$out/img" --json >"$out/testimage.json"
echo "== make: v1 and v2 into one store ($chunk KiB)" >&2
"$bin" make -s "$out/store" -m "$chunk" --json "$out/v1.caibx" "$out/img/v1.img" >"$out/make-v1.json"
"$bin" make -s "$out/store" -m "$chunk" --json "$out/v2.caibx" "$out/img/v2.img" >"$out/make-v2.json"
cp "$out/v1.caibx" "$out/img/v1.img.caibx"
echo "== extract: v2 from the store alone, then as an update seeded by v1" >&2
"$bin" extract -s "$out/store" --json "$out/v2.caibx" "$out/v2-full.img" >"$out/extract-full.json"
"$bin" extract -s "$out/store" --seed "$out/img/v1.img" --json "$out/v2.caibx" "$out/v2-seeded.img" >"$out/extract-seeded.json"
cmp "$out/v2-full.img" "$out/img/v2.img" && cmp "$out/v2-seeded.img" "$out/img/v2.img"
"$bin" info --compare --json "$out/v1.caibx" "$out/v2.caibx" >"$out/compare.json"
"$bin" info --json "$out/v2.caibx" >"$out/info-v2.json"
rm -f "$out/v2-full.img" "$out/v2-seeded.img"

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
j = lambda n: json.load(open(os.path.join(out, n)))
m1, m2, xf, xs, cmp_, info = j("make-v1.json"), j("make-v2.json"), j("extract-full.json"), j("extract-seeded.json"), j("compare.json"), j("info-v2.json")
mb = lambda b: b / 1e6
rows = [
    ("make v1", m1["bytes_in"], m1["seconds"], f'{m1["chunks"]} chunks, {m1["stored"]} stored, {mb(m1["bytes_stored"]):.1f} MB written'),
    ("make v2", m2["bytes_in"], m2["seconds"], f'{m2["stored"]} new chunks, {m2["already_present"]} already in store'),
    ("extract v2 (store)", xf["bytes_total"], xf["seconds"], f'{xf["chunks_fetched"]} chunks read, {mb(xf["bytes_fetched"]):.1f} MB'),
    ("extract v2 (seed v1)", xs["bytes_total"], xs["seconds"], f'{mb(xs["bytes_from_seeds"]):.1f} MB from seed, {mb(xs["bytes_from_store"]):.1f} MB from store'),
]
print(f'{"step":<22} {"MB":>9} {"s":>8} {"MB/s":>9}  notes')
for name, b, s, note in rows:
    print(f'{name:<22} {mb(b):9.1f} {s:8.3f} {mb(b)/s if s else 0:9.1f}  {note}')
print(f'update v1 -> v2 downloads {cmp_["download_unique"]} of {cmp_["to_unique"]} chunks, '
      f'{mb(cmp_["download_bytes"]):.1f} MB of {mb(cmp_["to_bytes"]):.1f} MB ({100*cmp_["download_bytes"]/max(cmp_["to_bytes"],1):.1f}%)')
print(f'v2: {info["chunks"]} chunks, mean {info["chunk_size_actual"]["mean"]/1024:.1f} KiB, {info["chunks_at_max"]} cut at max size')
report = {"schema": "chunkbench.demo/1", "make": [m1, m2], "extract": {"store": xf, "seeded": xs}, "compare": cmp_, "info": info}
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=2)
print(f'report: {os.path.join(out, "report.json")}')
PY
