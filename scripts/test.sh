#!/bin/sh
# The full test suite on a fresh machine: install, build, run every test
# (lit + FileCheck, runtime GoogleTests, end-to-end model checks).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
start=$(date +%s)
./scripts/build.sh
built=$(date +%s)
echo "test.sh: build took $((built - start)) s"
# End-to-end suites export torchvision models during the run (cached in
# build/e2e-models); set KILN_E2E_MODELS=0 to skip them.
export KILN_E2E_MODELS=${KILN_E2E_MODELS:-1}
[ "$KILN_E2E_MODELS" = "0" ] && unset KILN_E2E_MODELS
export KILN_E2E_CACHE=${KILN_E2E_CACHE:-$(pwd)/build/e2e-models}
cd build
ctest --output-on-failure
echo "test.sh: tests took $(( $(date +%s) - built )) s"
