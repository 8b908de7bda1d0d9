#!/usr/bin/env bash
# Proof of a stable pipeline: runs the README's test command (.ci/run: install pnpm, pnpm install,
# pnpm test) N times, each from a fresh clone of this repository's HEAD in its own `mktemp -d`
# folder, and prints each run's result and wall time.
#
#   scripts/ci-repeat.sh N [--node 22|24] [--busy-core]
#
#   --node V       run under Node V (npx -p node@V), e.g. 22 or 24; default: the machine's node
#   --busy-core    keep one core busy the whole time (node -e 'for(;;){}'), to prove there is margin
#
# Logs are kept in a folder it names at the end; the clones are removed. Exit status 0 when every
# run passed.
set -euo pipefail

usage() {
  echo "usage: scripts/ci-repeat.sh N [--node 22|24] [--busy-core]" >&2
  exit 2
}
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
runs=$1
shift
node_version=""
busy=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --node) node_version=${2:-}; [[ -n $node_version ]] || usage; shift 2 ;;
    --busy-core) busy=true; shift ;;
    *) usage ;;
  esac
done

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse --short HEAD)
logs=$(mktemp -d "${TMPDIR:-/tmp}/ci-repeat-logs-XXXXXX")
prefix=()
if [[ -n $node_version ]]; then
  prefix=(npx --yes -p "node@$node_version" --)
  # npm finds its global npmrc next to the node that runs it: under npx's node that is another folder,
  # so the machine's settings (its registry's CA, for one) would be lost in the runs' own npm installs.
  NPM_CONFIG_GLOBALCONFIG=$(npm config get globalconfig)
  export NPM_CONFIG_GLOBALCONFIG
fi

busy_pid=""
cleanup() { [[ -n $busy_pid ]] && kill "$busy_pid" 2>/dev/null || true; }
trap cleanup EXIT
if $busy; then
  node -e 'for(;;){}' &
  busy_pid=$!
fi

node_shown=$("${prefix[@]}" node --version)
echo "ci-repeat: $runs run(s) of .ci/run on commit $commit, Node $node_shown, $(nproc) cores$($busy && echo ', one core kept busy')"
failures=0
for ((i = 1; i <= runs; i++)); do
  work=$(mktemp -d)
  git clone --quiet "$repo" "$work/repo"
  git -C "$work/repo" checkout --quiet "$commit"
  log="$logs/run-$i.log"
  start=$(date +%s)
  if (cd "$work/repo" && "${prefix[@]}" bash .ci/run) >"$log" 2>&1; then status=passed; else status=FAILED; failures=$((failures + 1)); fi
  seconds=$(($(date +%s) - start))
  tests=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
  test_seconds=$(grep -E '^pnpm test: [0-9]+ s$' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  printf 'run %d: %s, %s s in all, pnpm test %s s, tests: %s\n' "$i" "$status" "$seconds" "${test_seconds:-?}" "${tests:-none counted}"
  rm -rf "$work"
done
echo "ci-repeat: $((runs - failures)) of $runs passed; logs in $logs"
[[ $failures -eq 0 ]]
