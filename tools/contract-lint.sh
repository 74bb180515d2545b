#!/usr/bin/env bash
# The published contracts (openapi/*.json) judged by tools nobody here wrote, pinned in contract-lint/
# (package-lock.json for Node, python-tools.txt with hashes for Python):
#   - Spectral with spectral:oas and the OWASP API Security ruleset (contract-lint/.spectral.yaml), zero errors;
#   - Redocly's `recommended` rules (contract-lint/redocly.yaml), zero errors;
#   - openapi-typescript's output compiled by `tsc --strict --noEmit`, with every field the server defaults optional
#     in it (--default-non-nullable=false; tests/contract/test_typescript_defaults.py reads the types to check);
#   - openapi-python-client's packages, generated without a warning and imported; then
#     tests/contract/test_python_client.py round-trips every example of the contracts through their models.
# The linters run on the contract files alone, so this takes well under two minutes (the npm and uv caches warm).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/contract-lint
python=${PYTHON:-$root/.venv/bin/python}
uv=${UV:-$root/.venv/bin/uv}
contracts=("$root"/openapi/*.json)

# node_modules exactly as package-lock.json says, reinstalled only when the lock changed. npm ci makes it once per
# lock, in a cache outside the tree (the Makefile's DUBAN_CACHE_DIR: a fresh checkout, as CI's, would otherwise spend
# ~50 s in it on each run), and contract-lint/node_modules links to it.
cached=${DUBAN_CACHE_DIR:?run through make contract-lint, which sets it}/contract-lint/node-$(sha256sum "$tools/package-lock.json" | cut -c1-16)
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.package-lock.json.installed" 2>/dev/null; then
  if ! cmp -s "$tools/package-lock.json" "$cached/node_modules/.package-lock.json.installed" 2>/dev/null; then
    mkdir -p "$(dirname "$cached")"
    fresh=$(mktemp -d "$cached.XXXXXX")
    cp "$tools/package.json" "$tools/package-lock.json" "$fresh/"
    (cd "$fresh" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$tools/package-lock.json" "$fresh/node_modules/.package-lock.json.installed"
    rm -rf "$cached"
    mv -T "$fresh" "$cached" 2>/dev/null || rm -rf "$fresh"  # another run may have made it meanwhile: the same
  fi
  rm -rf "$tools/node_modules"  # a directory or an older link (rm removes the link, not what it names)
  ln -s "$cached/node_modules" "$tools/node_modules"
fi
bin=$tools/node_modules/.bin

# The four judges are independent, and each mostly one process on one core: they run side by side, each into a log
# of its own, printed in this order once all have finished (66 s one after the other on a slow two-core machine).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

spectral() {
  "$bin/spectral" lint --ruleset "$tools/.spectral.yaml" --fail-severity error --display-only-failures \
    --format text "${contracts[@]}"
}

redocly() {
  "$bin/redocly" lint --config "$tools/redocly.yaml" --format stylish "${contracts[@]}" 2>&1 | grep -v '^$' | tail -40
  test "${PIPESTATUS[0]}" -eq 0
}

typescript() {
  # A field with a default is optional in a request (the server fills it in); the answers list theirs in `required`.
  mkdir "$work/ts"
  for contract in "${contracts[@]}"; do
    "$bin/openapi-typescript" "$contract" --default-non-nullable=false \
      --output "$work/ts/$(basename "$contract" .json).ts" --silent
  done
  "$bin/tsc" --strict --noEmit --target es2022 --module esnext "$work"/ts/*.ts
  DUBAN_TYPESCRIPT_DIR=$work/ts PYTHONPATH=$root "$python" -m pytest -p no:xdist -p no:cacheprovider -q \
    tests/contract/test_typescript_defaults.py
}

python_client() {
  if ! cmp -s "$tools/python-tools.txt" "$tools/.pyvenv/python-tools.txt" 2>/dev/null; then
    rm -rf "$tools/.pyvenv"
    "$uv" venv --quiet --python "$python" "$tools/.pyvenv"
    "$uv" pip sync --quiet --python "$tools/.pyvenv/bin/python" "$tools/python-tools.txt"
    cp "$tools/python-tools.txt" "$tools/.pyvenv/python-tools.txt"
  fi
  PYTHONPATH=$root "$python" -m pytest -p no:xdist -p no:cacheprovider tests/contract/test_python_client.py
}

judges=(spectral redocly typescript python_client)
titles=("spectral (spectral:oas + OWASP)" "redocly lint (recommended)" "openapi-typescript + tsc --strict" \
  "openapi-python-client")
pids=()
for judge in "${judges[@]}"; do
  (set -euo pipefail; "$judge") > "$work/$judge.log" 2>&1 &
  pids+=($!)
done
failed=()
for i in "${!judges[@]}"; do
  echo "== ${titles[$i]}"
  wait "${pids[$i]}" || failed+=("${judges[$i]}")
  cat "$work/${judges[$i]}.log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "contract-lint: ${failed[*]} failed" >&2
  exit 1
fi
