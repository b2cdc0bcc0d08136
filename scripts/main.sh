#!/usr/bin/env bash
# The main job: set up, build, then run make, extract (with the old version as seed) and info on a
# generated real-files image, printing a table and writing a JSON report to out/demo/report.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
exec "$here/scripts/demo.sh" "$@"
