#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (with
# LeakSanitizer): builds ./build-asan (KILN_SANITIZE=address,undefined, -O1)
# and runs the same tests as scripts/test.sh there: lit (including the
# broken-model corpus and the fuzz regressions), ONNX conformance, the
# runtime GoogleTests and the fast real-model subset.  Every sanitizer
# report aborts the process that hit it (-fno-sanitize-recover=all), so it
# fails its test.  The libraries kiln-compile generates are not
# instrumented.  Then a ThreadSanitizer build of the runtime runs one model
# from several threads (test/Tools/Inputs/arena_threads.c).  KILN_MODELS=full / 0 as for scripts/test.sh.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
start=$(date +%s)
KILN_SANITIZE=address,undefined ./scripts/build.sh
built=$(date +%s)
echo "test-sanitizers.sh: build took $((built - start)) s"
export KILN_E2E_CACHE=${KILN_E2E_CACHE:-$(pwd)/build-asan/e2e-models}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
cd build-asan
case "${KILN_MODELS:-fast}" in
  full) ctest --output-on-failure -LE fuzz ;;
  0|none) ctest --output-on-failure -LE 'models|fuzz' ;;
  *) ctest --output-on-failure -LE 'models-full|fuzz' ;;
esac
# ThreadSanitizer: the runtime (its per-model arena) under concurrent runs of
# one model from several threads, and of several instances
# (test/Tools/arena.test's program, runtime sources built with -fsanitize=thread;
# the generated model code is not instrumented).
tsan=$(mktemp -d)
clang -fsanitize=thread -g -O1 -std=gnu11 -I../runtime/include \
  ../test/Tools/Inputs/arena_threads.c ../runtime/src/*.c -ldl -lm -lpthread \
  -o "$tsan/arena_threads"
/usr/bin/python3 ../test/Import/Inputs/make_model.py cnn "$tsan/m.onnx"
./bin/kiln-compile "$tsan/m.onnx" -o "$tsan/libm.so"
# (libomp's own locks suppressed: scripts/tsan.supp.)
TSAN_OPTIONS="halt_on_error=1 suppressions=$(cd .. && pwd)/scripts/tsan.supp" \
  "$tsan/arena_threads" "$tsan/libm.so" 3
rm -rf "$tsan"
echo "test-sanitizers.sh: tests took $(( $(date +%s) - built )) s"
