# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -*- Python -*-
# Lit configuration for Kiln's regression tests.
import os
import subprocess
import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "runtime"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_bin", config.kiln_tools_dir))
config.substitutions.append(("%runtime_include", os.path.join(config.kiln_src_root, "runtime", "include")))
config.substitutions.append(("%runtime_lib", config.kiln_lib_dir))
# C programs that link the runtime's static library need the same
# sanitizers as the runtime in a sanitizer build (KILN_SANITIZE).
# Linking a static model library: its parallel loops call libomp.
config.substitutions.append(
    ("%omp_libs", "-L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib -lomp"))
config.substitutions.append(
    ("%sanitize_cflags", "-fsanitize=" + config.kiln_sanitize if config.kiln_sanitize else ""))

llvm_config.with_system_environment(["HOME", "TMPDIR", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.kiln_tools_dir, config.llvm_tools_dir]
tools = ["kiln-opt", "kiln-compile", "kiln-run", "kiln-cpu-dev", "kiln-dataset-check"]
import platform
import shutil
config.substitutions.append(("%onnx_testdata", "/usr/share/libonnx-testdata/data"))
# valgrind watches generated libraries, which no sanitizer instruments; not
# in the sanitizer build (valgrind and ASan do not mix).
if shutil.which("valgrind") and not config.kiln_sanitize:
    config.available_features.add("valgrind")
# Tests of multi-threaded runs that need two CPUs to run on.
if len(os.sched_getaffinity(0)) >= 2:
    config.available_features.add("multicore")
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64")
# CPU features of the host that generated code paths need to run (the int8
# VNNI micro-kernel: AVX-512 VNNI with AVX-512 BW; its AVX2 form: AVX2).
try:
    _flags = set(next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split(":", 1)[1].split())
except (OSError, StopIteration):
    _flags = set()
if {"avx512f", "avx512bw", "avx512_vnni"} <= _flags:
    config.available_features.add("avx512vnni")
if "avx2" in _flags:
    config.available_features.add("avx2")
# The int8 depthwise kernel (vpermb + vpdpbusd).
if {"avx512f", "avx512bw", "avx512_vnni", "avx512vbmi"} <= _flags:
    config.available_features.add("avx512vbmi")
# The int4 kernel's 16-lane form.
if "avx512f" in _flags:
    config.available_features.add("avx512f")
# bf16 layers' kernels (vdpbf16ps).
if {"avx512f", "avx512bw", "avx512_bf16"} <= _flags:
    config.available_features.add("avx512bf16")
# The host's per-core L2 (glibc's sysconf, from CPUID: what kiln-compile
# --mcpu=native records as kiln.l2_cache_bytes), where the C library has it.
try:
    _l2 = int(subprocess.run(["getconf", "LEVEL2_CACHE_SIZE"], capture_output=True, text=True).stdout.strip() or 0)
except (OSError, ValueError):
    _l2 = 0
if _l2 > 0:
    config.available_features.add("host-l2")
    config.substitutions.append(("%host_l2_bytes", str(_l2)))
# The C target on a Cortex-M under QEMU (scripts/run-cortex-m.sh).
if shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm"):
    config.available_features.add("cortex-m")
if shutil.which("gcc"):
    config.available_features.add("gcc")
# The importer fuzzer is built where clang's libFuzzer runtime exists.
if os.path.exists(os.path.join(config.kiln_tools_dir, "kiln-import-fuzzer")):
    config.available_features.add("fuzzer")
    tools.append("kiln-import-fuzzer")
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.kiln_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

if os.environ.get("KILN_E2E_CACHE"):
    config.environment["KILN_E2E_CACHE"] = os.environ["KILN_E2E_CACHE"]
