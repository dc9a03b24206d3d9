#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs the importer fuzzer (test/fuzz/import_fuzzer.cpp) for a given time.
#
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [--bin DIR] [--work DIR] [-- libFuzzer args]
#
# Seeds: every model of ONNX's backend tests (Debian libonnx-testdata) and
# the hand-made broken models of test/robustness/broken.  New inputs that
# reach new code go to WORK/corpus (kept between runs), crashes, leaks,
# timeouts and out-of-memory inputs to WORK/artifacts.  Exits non-zero when
# the fuzzer found one.  The last lines of the log (WORK/fuzz-*.log) give
# the number of executions (stat::number_of_executed_units).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIME=60
JOBS=1
BIN="$ROOT/build/bin"
WORK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --time) TIME=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$WORK" ] || WORK="$(dirname "$BIN")/fuzz"
FUZZER="$BIN/kiln-import-fuzzer"
if [ ! -x "$FUZZER" ]; then
  echo "fuzz.sh: $FUZZER not built (needs libclang-rt-22-dev; see docs/robustness.md)" >&2
  exit 2
fi
mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/artifacts"
TESTDATA=/usr/share/libonnx-testdata/data
if [ -d "$TESTDATA" ]; then
  # One seed per distinct backend-test model, named by its test folder.
  find "$TESTDATA" -name model.onnx | while read -r m; do
    cp -f "$m" "$WORK/seeds/$(basename "$(dirname "$m")").onnx"
  done
fi
cp -f "$ROOT"/test/robustness/broken/*.onnx "$WORK/seeds/" 2>/dev/null || true
echo "fuzz.sh: $(ls "$WORK/seeds" | wc -l) seeds, $(ls "$WORK/corpus" | wc -l) corpus inputs, ${TIME}s, $JOBS job(s)"

# -timeout: one input may take at most 10 s; -rss_limit_mb/-malloc_limit_mb:
# the importer must refuse oversized tensors, not try to allocate them.
LOG="$WORK/fuzz-$(date +%Y%m%d-%H%M%S).log"
FORK=""
[ "$JOBS" -gt 1 ] && FORK="-fork=$JOBS -ignore_crashes=0"
set +e
# shellcheck disable=SC2086  # FORK is zero or two words
"$FUZZER" "$WORK/corpus" "$WORK/seeds" -max_total_time="$TIME" -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="$WORK/artifacts/" \
  -print_final_stats=1 $FORK "$@" >"$LOG" 2>&1
rc=$?
set -e
tail -n 15 "$LOG"
echo "fuzz.sh: log $LOG"
if [ $rc -ne 0 ]; then
  echo "fuzz.sh: the fuzzer found a problem (exit $rc); inputs in $WORK/artifacts" >&2
  exit 1
fi
