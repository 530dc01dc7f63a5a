#!/usr/bin/env bash
# Pack mmsim as `npm pack` does, install the tarball into a scratch prefix as a user would (npm install -g),
# and run the installed command: --version, a scenario shipped in the package, and `-` as standard input.
# Run by CI after the tests (.ci/run); the scratch directory is removed whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$(npm pack --silent --pack-destination "$tmp" | tail -1)
echo "test-pack: packed $tgz ($(du -h "$tmp/$tgz" | cut -f1))"
npm install -g --silent --no-audit --no-fund --prefix "$tmp/prefix" "$tmp/$tgz"
bin="$tmp/prefix/bin/mmsim"
pkg="$tmp/prefix/lib/node_modules/mmsim"
v=$("$bin" --version)
[ "$v" = "$(node -p 'require("./package.json").version')" ] || { echo "test-pack: --version printed '$v'"; exit 1; }
"$bin" run "$pkg/scenarios/seed-thp-split-uffd-wp.yaml" --kernel v6.18 -q >"$tmp/run.txt"
grep -q '^PASS' "$tmp/run.txt" || { cat "$tmp/run.txt"; echo "test-pack: the shipped seed scenario did not pass"; exit 1; }
"$bin" run - -k v4.19-uffd-wp-2018 --format klog <"$pkg/scenarios/seed-thp-split-uffd-wp.yaml" | grep -q 'FAULT_FLAG_ALLOW_RETRY missing 71' \
  || { echo "test-pack: mmsim run - (standard input) did not replay the seed"; exit 1; }
"$bin" completion bash | grep -q 'complete -F' || { echo "test-pack: no bash completion"; exit 1; }
# the page is built into the package: --export writes it with the scenarios
"$bin" serve --export "$tmp/site" >/dev/null
for f in index.html assets/main.js assets/worker.js scenarios/index.json scenarios/seed-thp-split-uffd-wp.yaml; do
  [ -s "$tmp/site/$f" ] || { echo "test-pack: mmsim serve --export wrote no $f"; exit 1; }
done
echo "test-pack: the packed tarball installs and runs (mmsim $v)"
