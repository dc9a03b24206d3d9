// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Unit tests of the Kiln C runtime (kiln/runtime.h) against hand-written
// fake model libraries (fake_model_*.c).
#include "kiln/runtime.h"
#include "fake_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern "C" {
// Statically linked fake models (fake_models_static).
const kiln_abi_model *kiln_model_abi_v1(void); // fake_model_add.c
const kiln_abi_model *fake_multi_abi(void);    // fake_model_multi.c
void fake_add_set_mode(int mode);
void fake_multi_set_mode(int mode);

// free() is wrapped by wrap_free.c (-Wl,--wrap=free).
}

namespace {

using ::testing::HasSubstr;

std::string lastError() { return kiln_last_error(); }

kiln_tensor makeTensor(void *data, size_t bytes, kiln_dtype dtype,
                       std::vector<int64_t> dims) {
  kiln_tensor t;
  std::memset(&t, 0, sizeof t);
  t.data = data;
  t.size_bytes = bytes;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(dims.size());
  for (size_t i = 0; i < dims.size() && i < KILN_MAX_RANK; ++i)
    t.dims[i] = dims[i];
  return t;
}

kiln_tensor emptyOutput() { return makeTensor(nullptr, 0, KILN_DTYPE_UNDEFINED, {}); }

// Fixture around the statically linked add model: out[N,3] = x[N,3] + y[3].
class AddModel : public ::testing::Test {
protected:
  void SetUp() override {
    fake_add_set_mode(0);
    ASSERT_EQ(kiln_model_from_abi(kiln_model_abi_v1(), &model), KILN_OK)
        << lastError();
    x = {1, 2, 3, 4, 5, 6};
    y = {10, 20, 30};
    in[0] = makeTensor(x.data(), x.size() * 4, KILN_DTYPE_FLOAT, {2, 3});
    in[1] = makeTensor(y.data(), y.size() * 4, KILN_DTYPE_FLOAT, {3});
    out[0] = makeTensor(result, sizeof result, KILN_DTYPE_UNDEFINED, {});
  }
  void TearDown() override {
    fake_add_set_mode(0);
    kiln_model_free(model);
    EXPECT_EQ(fake_outstanding(), 0) << "a model buffer leaked";
  }
  kiln_status run() { return kiln_model_run(model, in, 2, out, 1); }

  kiln_model *model = nullptr;
  std::vector<float> x, y;
  float result[6] = {0};
  kiln_tensor in[2];
  kiln_tensor out[1];
};

// Fixture around the statically linked multi-output model.
class MultiModel : public ::testing::Test {
protected:
  void SetUp() override {
    fake_multi_set_mode(0);
    ASSERT_EQ(kiln_model_from_abi(fake_multi_abi(), &model), KILN_OK)
        << lastError();
    a = {1, -2, 3, -4, 5, 6}; // [2,3]
    in[0] = makeTensor(a.data(), a.size() * 4, KILN_DTYPE_INT32, {2, 3});
    for (auto &o : out)
      o = emptyOutput();
  }
  void TearDown() override {
    fake_multi_set_mode(0);
    kiln_model_free(model);
    EXPECT_EQ(fake_outstanding(), 0) << "a model buffer leaked";
  }
  kiln_model *model = nullptr;
  std::vector<int32_t> a;
  kiln_tensor in[1];
  kiln_tensor out[3];
};

// ---------------------------------------------------------------------------
TEST(Basics, DtypeSizesAndNames) {
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_FLOAT), 4u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_UINT8), 1u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_INT8), 1u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_UINT16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_INT16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_INT32), 4u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_INT64), 8u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_BOOL), 1u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_FLOAT16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_DOUBLE), 8u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_UINT32), 4u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_UINT64), 8u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_BFLOAT16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_UNDEFINED), 0u);
  EXPECT_EQ(kiln_dtype_size(static_cast<kiln_dtype>(8)), 0u); // STRING
  EXPECT_EQ(kiln_dtype_size(static_cast<kiln_dtype>(12345)), 0u);
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_FLOAT), "float");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_BFLOAT16), "bfloat16");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_BOOL), "bool");
  EXPECT_STREQ(kiln_dtype_name(static_cast<kiln_dtype>(-3)), "unknown");
  // ONNX TensorProto.DataType numbering.
  EXPECT_EQ(KILN_DTYPE_INT64, 7);
  EXPECT_EQ(KILN_DTYPE_FLOAT16, 10);
  EXPECT_EQ(KILN_DTYPE_BFLOAT16, 16);
}

TEST(Basics, StatusStrings) {
  EXPECT_STREQ(kiln_status_string(KILN_OK), "KILN_OK");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_SHAPE), "KILN_ERROR_SHAPE");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_INTERNAL), "KILN_ERROR_INTERNAL");
  EXPECT_STREQ(kiln_status_string(static_cast<kiln_status>(99)),
               "KILN_ERROR_UNKNOWN");
}

TEST(Basics, NullsAreHarmless) {
  kiln_free(nullptr);
  kiln_model_free(nullptr);
  EXPECT_STREQ(kiln_model_name(nullptr), "");
  EXPECT_EQ(kiln_model_num_inputs(nullptr), -1);
  EXPECT_EQ(kiln_model_num_outputs(nullptr), -1);
  EXPECT_EQ(kiln_model_find_input(nullptr, "x"), -1);
  EXPECT_EQ(kiln_model_find_output(nullptr, "out"), -1);
  kiln_tensor_info info;
  EXPECT_EQ(kiln_model_input_info(nullptr, 0, &info),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(nullptr, 0, &info),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_run(nullptr, nullptr, 0, nullptr, 0),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("model is NULL"));
}

TEST(Basics, ErrorMessageIsThreadLocal) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load("/nonexistent/main-thread.so", &m), KILN_ERROR_LOAD);
  std::string other;
  std::thread t([&] {
    other = lastError(); // nothing failed on this thread yet
    kiln_model *m2 = nullptr;
    kiln_model_load("/nonexistent/other-thread.so", &m2);
  });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_THAT(lastError(), HasSubstr("main-thread.so"));
}

// ---------------------------------------------------------------------------
TEST(Load, NullArguments) {
  kiln_model *m = reinterpret_cast<kiln_model *>(0x1);
  EXPECT_EQ(kiln_model_load(nullptr, &m), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(kiln_model_load("", &m), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_load(FAKE_ADD_SO, nullptr), KILN_ERROR_INVALID_ARGUMENT);
}

TEST(Load, NonexistentFile) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load("/nonexistent/dir/libmodel.so", &m),
            KILN_ERROR_LOAD);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("/nonexistent/dir/libmodel.so"));
  EXPECT_THAT(lastError(), HasSubstr("No such file"));
}

TEST(Load, FileThatIsNotALibrary) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load(TEST_SOURCE_DIR "/fake_tracker.h", &m),
            KILN_ERROR_LOAD);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("cannot load model library"));
}

TEST(Load, LibraryWithoutAbiSymbol) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load(FAKE_NOT_A_MODEL_SO, &m), KILN_ERROR_LOAD);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("not a Kiln model library"));
  EXPECT_THAT(lastError(), HasSubstr("kiln_model_abi_v1"));
}

TEST(Load, WrongAbiVersion) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load(FAKE_BAD_VERSION_SO, &m), KILN_ERROR_ABI);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("unsupported ABI version 99"));
}

TEST(Load, SymbolReturnsNull) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load(FAKE_NULL_ABI_SO, &m), KILN_ERROR_ABI);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("metadata is NULL"));
}

TEST(Load, SharedModelRunsAndDescribesItself) {
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_load(FAKE_ADD_SO, &m), KILN_OK) << lastError();
  EXPECT_STREQ(kiln_model_name(m), "fake_add");
  ASSERT_EQ(kiln_model_num_inputs(m), 2);
  ASSERT_EQ(kiln_model_num_outputs(m), 1);
  kiln_tensor_info info;
  ASSERT_EQ(kiln_model_input_info(m, 0, &info), KILN_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, KILN_DTYPE_FLOAT);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.dims[1], 3);
  ASSERT_EQ(kiln_model_output_info(m, 0, &info), KILN_OK);
  EXPECT_STREQ(info.name, "out");

  float x[3] = {1, 2, 3}, y[3] = {0.5f, 0.5f, 0.5f};
  kiln_tensor in[2] = {makeTensor(x, sizeof x, KILN_DTYPE_FLOAT, {1, 3}),
                       makeTensor(y, sizeof y, KILN_DTYPE_FLOAT, {3})};
  kiln_tensor out[1] = {emptyOutput()};
  ASSERT_EQ(kiln_model_run(m, in, 2, out, 1), KILN_OK) << lastError();
  ASSERT_NE(out[0].data, nullptr);
  EXPECT_EQ(out[0].size_bytes, 12u);
  const float *r = static_cast<const float *>(out[0].data);
  EXPECT_FLOAT_EQ(r[0], 1.5f);
  EXPECT_FLOAT_EQ(r[2], 3.5f);
  kiln_free(out[0].data);
  kiln_model_free(m);
}

TEST(Load, SameLibraryTwice) {
  kiln_model *a = nullptr, *b = nullptr;
  ASSERT_EQ(kiln_model_load(FAKE_MULTI_SO, &a), KILN_OK) << lastError();
  ASSERT_EQ(kiln_model_load(FAKE_MULTI_SO, &b), KILN_OK) << lastError();
  kiln_model_free(a);
  EXPECT_STREQ(kiln_model_name(b), "fake_multi"); // still mapped
  kiln_model_free(b);
}

// ---------------------------------------------------------------------------
// kiln_model_from_abi validates hand-made metadata.
void noInvoke(void **) {}

class FromAbi : public ::testing::Test {
protected:
  void SetUp() override {
    for (int i = 0; i < 9; ++i)
      dims[i] = i == 0 ? -1 : i == 1 ? 3 : 1;
    tensors[0] = {"t", KILN_DTYPE_FLOAT, 2, dims};
    abi = {KILN_ABI_VERSION, 1, 1, 0, "m", tensors, tensors, noInvoke, nullptr};
  }
  kiln_status load() {
    kiln_model *m = nullptr;
    kiln_status s = kiln_model_from_abi(&abi, &m);
    if (s != KILN_OK) {
      EXPECT_EQ(m, nullptr);
    }
    kiln_model_free(m);
    return s;
  }
  int64_t dims[9] = {-1, 3, 1, 1, 1, 1, 1, 1, 1};
  kiln_abi_tensor tensors[1];
  kiln_abi_model abi;
};

TEST_F(FromAbi, ValidMetadata) { EXPECT_EQ(load(), KILN_OK) << lastError(); }

TEST_F(FromAbi, NullArguments) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_from_abi(nullptr, &m), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_from_abi(&abi, nullptr), KILN_ERROR_INVALID_ARGUMENT);
}

TEST_F(FromAbi, WrongVersion) {
  abi.abi_version = KILN_ABI_VERSION + 1;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("unsupported ABI version " +
                                     std::to_string(KILN_ABI_VERSION + 1)));
  SetUp();
  abi.abi_version = 0;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("unsupported ABI version 0"));
}

TEST_F(FromAbi, ArenaFields) {
  abi.arena_bytes = -2;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("invalid arena size -2"));
  SetUp();
  abi.arena_bytes = -1; // sized by arena_size(), which is missing
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("arena_size is NULL"));
  SetUp();
  abi.abi_version = 2; // v2 metadata ends before the arena fields
  abi.arena_bytes = -2;
  EXPECT_EQ(load(), KILN_OK) << lastError();
}

// ABI v3: the arena a run gets, as the generated code sees it.
struct SeenArena {
  void *base;
  int64_t bytes;
  int32_t threads; // *args[4]: the run's thread count
};
std::vector<SeenArena> seenArenas;

int64_t arenaSizeOf(void **args) {
  const int64_t *in = static_cast<const int64_t *>(args[1]);
  return in[3] * 1000; // 1000 bytes per batch item
}

// Returns its input (the runtime copies a result that aliases an input)
// after writing every byte of the arena it was given.
void arenaInvoke(void **args) {
  const int64_t *in = static_cast<const int64_t *>(args[1]);
  const int64_t *arena = static_cast<const int64_t *>(args[3]);
  void *base;
  std::memcpy(&base, &arena[1], sizeof base);
  EXPECT_EQ(std::memcmp(&arena[0], &arena[1], sizeof base), 0);
  EXPECT_EQ(arena[2], 0);
  EXPECT_EQ(arena[4], 1);
  seenArenas.push_back({base, arena[3], *static_cast<const int32_t *>(args[4])});
  std::memset(base, 0x5a, static_cast<size_t>(arena[3]));
  int64_t *out = static_cast<int64_t *>(args[0]);
  std::memcpy(out, in, 7 * sizeof(int64_t)); // rank 2: 3 + 2 * 2 slots
}

TEST_F(FromAbi, ArenaIsAllocatedOnceAndGrown) {
  abi.invoke = arenaInvoke;
  abi.arena_bytes = -1;
  abi.arena_lower_bound = -1;
  abi.arena_size = arenaSizeOf;
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_from_abi(&abi, &m), KILN_OK) << lastError();
  seenArenas.clear();
  float x[5 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int64_t n : {2, 1, 5, 1}) {
    kiln_tensor in = {x, sizeof x, KILN_DTYPE_FLOAT, 2, {n, 3}};
    kiln_tensor out = {};
    ASSERT_EQ(kiln_model_run(m, &in, 1, &out, 1), KILN_OK) << lastError();
    EXPECT_EQ(std::memcmp(out.data, x, sizeof(float) * n * 3), 0);
    kiln_free(out.data);
  }
  ASSERT_EQ(seenArenas.size(), 4u);
  for (const SeenArena &a : seenArenas)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.base) % 64, 0u);
  EXPECT_EQ(seenArenas[0].bytes, 2000);
  EXPECT_EQ(seenArenas[1].bytes, 1000);
  EXPECT_EQ(seenArenas[1].base, seenArenas[0].base); // kept and reused
  EXPECT_EQ(seenArenas[2].bytes, 5000);               // grown
  EXPECT_EQ(seenArenas[3].base, seenArenas[2].base);
  kiln_model_free(m);

  // A static size: arena_size is not needed.
  SetUp();
  abi.invoke = arenaInvoke;
  abi.arena_bytes = 4096;
  abi.arena_lower_bound = 4096;
  ASSERT_EQ(kiln_model_from_abi(&abi, &m), KILN_OK) << lastError();
  seenArenas.clear();
  kiln_tensor in = {x, sizeof x, KILN_DTYPE_FLOAT, 2, {5, 3}};
  kiln_tensor out = {};
  ASSERT_EQ(kiln_model_run(m, &in, 1, &out, 1), KILN_OK) << lastError();
  kiln_free(out.data);
  ASSERT_EQ(seenArenas.size(), 1u);
  EXPECT_EQ(seenArenas[0].bytes, 4096);
  kiln_model_free(m);
}

TEST_F(FromAbi, ThreadCount) {
  abi.invoke = arenaInvoke;
  abi.arena_bytes = 64;
  kiln_model *m = nullptr;
  setenv("KILN_NUM_THREADS", "3", 1);
  ASSERT_EQ(kiln_model_from_abi(&abi, &m), KILN_OK) << lastError();
  unsetenv("KILN_NUM_THREADS");
  int32_t n = 0;
  ASSERT_EQ(kiln_model_get_num_threads(m, &n), KILN_OK);
  EXPECT_EQ(n, 3); // the environment's default
  float x[3] = {1, 2, 3};
  auto runOnce = [&] {
    kiln_tensor in = {x, sizeof x, KILN_DTYPE_FLOAT, 2, {1, 3}};
    kiln_tensor out = {};
    ASSERT_EQ(kiln_model_run(m, &in, 1, &out, 1), KILN_OK) << lastError();
    kiln_free(out.data);
  };
  seenArenas.clear();
  runOnce();
  ASSERT_EQ(kiln_model_set_num_threads(m, 5), KILN_OK);
  EXPECT_EQ(kiln_model_get_num_threads(m, &n), KILN_OK);
  EXPECT_EQ(n, 5);
  runOnce();
  ASSERT_EQ(seenArenas.size(), 2u);
  EXPECT_EQ(seenArenas[0].threads, 3);
  EXPECT_EQ(seenArenas[1].threads, 5);
  // 0: back to the default (no KILN_NUM_THREADS now: the affinity mask).
  ASSERT_EQ(kiln_model_set_num_threads(m, 0), KILN_OK);
  EXPECT_EQ(kiln_model_get_num_threads(m, &n), KILN_OK);
  EXPECT_GE(n, 1);
  // Errors.
  EXPECT_EQ(kiln_model_set_num_threads(m, -1), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("num_threads is -1"));
  EXPECT_EQ(kiln_model_set_num_threads(nullptr, 1), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("kiln_model_set_num_threads: model is NULL"));
  EXPECT_EQ(kiln_model_get_num_threads(m, nullptr), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_get_num_threads(nullptr, &n), KILN_ERROR_INVALID_ARGUMENT);
  kiln_model_free(m);
}

TEST_F(FromAbi, NullFields) {
  abi.invoke = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("invoke"));
  SetUp();
  abi.name = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  abi.inputs = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  abi.outputs = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  tensors[0].name = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  tensors[0].dims = nullptr;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
}

TEST_F(FromAbi, BadCountsRanksDtypesDims) {
  abi.num_inputs = -1;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  tensors[0].rank = KILN_MAX_RANK + 1;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("rank 9"));
  SetUp();
  tensors[0].rank = -1;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  tensors[0].dtype = 8; // STRING: not supported
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("unknown dtype 8"));
  SetUp();
  dims[1] = -2;
  EXPECT_EQ(load(), KILN_ERROR_ABI);
  SetUp();
  tensors[0].rank = KILN_MAX_RANK;
  EXPECT_EQ(load(), KILN_OK) << lastError();
}

// ---------------------------------------------------------------------------
TEST_F(AddModel, InfoQueries) {
  kiln_tensor_info info;
  EXPECT_EQ(kiln_model_input_info(model, 2, &info), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("index 2 out of range"));
  EXPECT_EQ(kiln_model_input_info(model, -1, &info), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(model, 1, &info), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(model, -5, &info), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_input_info(model, 0, nullptr), KILN_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(kiln_model_input_info(model, 1, &info), KILN_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.dims[0], 3);
  EXPECT_EQ(kiln_model_find_input(model, "x"), 0);
  EXPECT_EQ(kiln_model_find_input(model, "y"), 1);
  EXPECT_EQ(kiln_model_find_input(model, "out"), -1);
  EXPECT_EQ(kiln_model_find_input(model, nullptr), -1);
  EXPECT_EQ(kiln_model_find_output(model, "out"), 0);
  EXPECT_EQ(kiln_model_find_output(model, "x"), -1);
}

TEST_F(AddModel, RunIntoCallerBuffer) {
  ASSERT_EQ(run(), KILN_OK) << lastError();
  const float expected[6] = {11, 22, 33, 14, 25, 36};
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(result[i], expected[i]) << i;
  EXPECT_EQ(out[0].data, result);
  EXPECT_EQ(out[0].size_bytes, sizeof result); // capacity left unchanged
  EXPECT_EQ(out[0].dtype, KILN_DTYPE_FLOAT);
  ASSERT_EQ(out[0].rank, 2);
  EXPECT_EQ(out[0].dims[0], 2);
  EXPECT_EQ(out[0].dims[1], 3);
}

TEST_F(AddModel, RuntimeAllocatedOutput) {
  out[0] = emptyOutput();
  ASSERT_EQ(run(), KILN_OK) << lastError();
  ASSERT_NE(out[0].data, nullptr);
  EXPECT_EQ(out[0].size_bytes, 24u);
  EXPECT_EQ(fake_outstanding(), 1); // the model's buffer, handed over as is
  EXPECT_FLOAT_EQ(static_cast<float *>(out[0].data)[5], 36.f);
  kiln_free(out[0].data);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(AddModel, DynamicBatchSizes) {
  for (int64_t n : {1, 2, 7, 100}) {
    std::vector<float> xs(n * 3);
    for (size_t i = 0; i < xs.size(); ++i)
      xs[i] = static_cast<float>(i);
    std::vector<float> res(n * 3, -1.f);
    in[0] = makeTensor(xs.data(), xs.size() * 4, KILN_DTYPE_FLOAT, {n, 3});
    out[0] = makeTensor(res.data(), res.size() * 4, KILN_DTYPE_UNDEFINED, {});
    ASSERT_EQ(run(), KILN_OK) << lastError();
    EXPECT_EQ(out[0].dims[0], n);
    for (size_t i = 0; i < res.size(); ++i)
      ASSERT_FLOAT_EQ(res[i], xs[i] + y[i % 3]);
  }
}

TEST_F(AddModel, NullInputsOrOutputs) {
  EXPECT_EQ(kiln_model_run(model, nullptr, 2, out, 1),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("inputs is NULL"));
  EXPECT_EQ(kiln_model_run(model, in, 2, nullptr, 1),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("outputs is NULL"));
}

TEST_F(AddModel, WrongCounts) {
  EXPECT_EQ(kiln_model_run(model, in, 1, out, 1), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("has 2 inputs, got num_inputs = 1"));
  EXPECT_EQ(kiln_model_run(model, in, 3, out, 1), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_run(model, in, -1, out, 1), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_run(model, in, 2, out, 0), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("has 1 outputs, got num_outputs = 0"));
  EXPECT_EQ(kiln_model_run(model, in, 2, out, 2), KILN_ERROR_INVALID_ARGUMENT);
}

TEST_F(AddModel, WrongDtype) {
  in[1].dtype = KILN_DTYPE_INT32;
  EXPECT_EQ(run(), KILN_ERROR_DTYPE);
  EXPECT_THAT(lastError(), HasSubstr("input 1 ('y')"));
  EXPECT_THAT(lastError(), HasSubstr("expects float, got int32"));
  in[1].dtype = static_cast<kiln_dtype>(77);
  EXPECT_EQ(run(), KILN_ERROR_DTYPE);
  EXPECT_THAT(lastError(), HasSubstr("got unknown (77)"));
}

TEST_F(AddModel, WrongRank) {
  in[0] = makeTensor(x.data(), x.size() * 4, KILN_DTYPE_FLOAT, {1, 2, 3});
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("input 0 ('x')"));
  EXPECT_THAT(lastError(), HasSubstr("expects rank 2 [?,3], got rank 3 [1,2,3]"));
  in[0].rank = -4;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  in[0].rank = 1000;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
}

TEST_F(AddModel, WrongStaticDim) {
  in[0] = makeTensor(x.data(), x.size() * 4, KILN_DTYPE_FLOAT, {3, 2});
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("input 0 ('x'): dim 1 is 2, model expects 3"));
  EXPECT_THAT(lastError(), HasSubstr("expected shape [?,3], got [3,2]"));
  in[0] = makeTensor(x.data(), x.size() * 4, KILN_DTYPE_FLOAT, {2, 3});
  in[1].dims[0] = 4;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("input 1 ('y')"));
}

TEST_F(AddModel, ZeroOrNegativeDynamicDim) {
  in[0].dims[0] = 0;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("dynamic dim 0 must be >= 1, got 0"));
  in[0].dims[0] = -1;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("got -1"));
}

TEST_F(AddModel, OverflowingShape) {
  in[0].dims[0] = INT64_MAX / 2;
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
  EXPECT_THAT(lastError(), HasSubstr("overflows"));
  in[0].dims[0] = (int64_t(1) << 62) / 3 + 1; // count fits, bytes do not
  EXPECT_EQ(run(), KILN_ERROR_SHAPE);
}

TEST_F(AddModel, InputBufferTooSmallOrNull) {
  in[0].size_bytes = 23;
  EXPECT_EQ(run(), KILN_ERROR_BUFFER_TOO_SMALL);
  EXPECT_THAT(lastError(), HasSubstr("input 0 ('x'): size_bytes is 23"));
  EXPECT_THAT(lastError(), HasSubstr("needs 24 bytes"));
  in[0].size_bytes = 24;
  in[1].data = nullptr;
  EXPECT_EQ(run(), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("input 1 ('y'): data is NULL"));
}

TEST_F(AddModel, OutputBufferTooSmallFreesModelBuffer) {
  out[0].size_bytes = 20;
  EXPECT_EQ(run(), KILN_ERROR_BUFFER_TOO_SMALL);
  EXPECT_THAT(lastError(), HasSubstr("output 0 ('out')"));
  EXPECT_THAT(lastError(), HasSubstr("size_bytes is 20"));
  EXPECT_THAT(lastError(), HasSubstr("needs 24 bytes"));
  // The shape is reported so that the caller can retry.
  EXPECT_EQ(out[0].rank, 2);
  EXPECT_EQ(out[0].dims[0], 2);
  EXPECT_EQ(out[0].dims[1], 3);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(AddModel, NoLeakOnRepeatedErrorPaths) {
  out[0].size_bytes = 4;
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(run(), KILN_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(fake_outstanding(), 0);
  out[0] = emptyOutput();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(run(), KILN_OK);
    kiln_free(out[0].data);
    out[0] = emptyOutput();
  }
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(AddModel, ModelReturningItsInputIsCopiedNotFreed) {
  fake_add_set_mode(1); // result descriptor aliases x
  ASSERT_EQ(run(), KILN_OK) << lastError();
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(result[i], x[i]);
  out[0] = emptyOutput();
  ASSERT_EQ(run(), KILN_OK) << lastError();
  ASSERT_NE(out[0].data, static_cast<void *>(x.data()));
  EXPECT_FLOAT_EQ(static_cast<float *>(out[0].data)[4], 5.f);
  kiln_free(out[0].data);
  EXPECT_FLOAT_EQ(x[4], 5.f); // the caller's input is intact
}

TEST_F(AddModel, StaticResultBufferIsNeverFreed) {
  fake_add_set_mode(2); // allocated = 0xdeadbeef, as MLIR globals
  ASSERT_EQ(run(), KILN_OK) << lastError();
  EXPECT_FLOAT_EQ(result[0], 11.f);
  out[0] = emptyOutput();
  ASSERT_EQ(run(), KILN_OK) << lastError();
  EXPECT_FLOAT_EQ(static_cast<float *>(out[0].data)[5], 36.f);
  kiln_free(out[0].data);
}

TEST_F(AddModel, ConcurrentRuns) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 200; ++iter) {
        const int64_t n = 1 + (t + iter) % 5;
        std::vector<float> xs(n * 3, static_cast<float>(t));
        float ys[3] = {1, 2, 3};
        kiln_tensor tin[2] = {
            makeTensor(xs.data(), xs.size() * 4, KILN_DTYPE_FLOAT, {n, 3}),
            makeTensor(ys, sizeof ys, KILN_DTYPE_FLOAT, {3})};
        kiln_tensor tout[1] = {emptyOutput()};
        if (kiln_model_run(model, tin, 2, tout, 1) != KILN_OK ||
            tout[0].dims[0] != n) {
          ++failures;
          continue;
        }
        const float *r = static_cast<const float *>(tout[0].data);
        for (int64_t i = 0; i < n * 3; ++i)
          if (r[i] != static_cast<float>(t) + ys[i % 3])
            ++failures;
        kiln_free(tout[0].data);
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------
TEST_F(MultiModel, ThreeOutputsOfDifferentDtypes) {
  ASSERT_EQ(kiln_model_run(model, in, 1, out, 3), KILN_OK) << lastError();
  ASSERT_EQ(out[0].dtype, KILN_DTYPE_INT64);
  ASSERT_EQ(out[0].rank, 1);
  EXPECT_EQ(out[0].dims[0], 2);
  const int64_t *rowsum = static_cast<const int64_t *>(out[0].data);
  EXPECT_EQ(rowsum[0], 2);
  EXPECT_EQ(rowsum[1], 7);

  // "positive" is column-major at an offset inside the model's buffer: the
  // runtime must hand back a dense row-major copy.
  ASSERT_EQ(out[1].dtype, KILN_DTYPE_BOOL);
  ASSERT_EQ(out[1].rank, 2);
  EXPECT_EQ(out[1].dims[1], 3);
  EXPECT_EQ(out[1].size_bytes, 6u);
  const uint8_t *pos = static_cast<const uint8_t *>(out[1].data);
  const uint8_t expected[6] = {1, 0, 1, 0, 1, 1};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(pos[i], expected[i]) << i;

  ASSERT_EQ(out[2].dtype, KILN_DTYPE_INT64);
  EXPECT_EQ(out[2].rank, 0);
  EXPECT_EQ(out[2].size_bytes, 8u);
  EXPECT_EQ(*static_cast<const int64_t *>(out[2].data), 4);
  for (auto &o : out)
    kiln_free(o.data);
}

TEST_F(MultiModel, StridedOutputIntoCallerBuffer) {
  uint8_t pos[6] = {9, 9, 9, 9, 9, 9};
  int64_t rowsum[2], count = -1;
  out[0] = makeTensor(rowsum, sizeof rowsum, KILN_DTYPE_UNDEFINED, {});
  out[1] = makeTensor(pos, sizeof pos, KILN_DTYPE_UNDEFINED, {});
  out[2] = makeTensor(&count, sizeof count, KILN_DTYPE_UNDEFINED, {});
  ASSERT_EQ(kiln_model_run(model, in, 1, out, 3), KILN_OK) << lastError();
  const uint8_t expected[6] = {1, 0, 1, 0, 1, 1};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(pos[i], expected[i]) << i;
  EXPECT_EQ(rowsum[1], 7);
  EXPECT_EQ(count, 4);
}

TEST_F(MultiModel, ModelBreakingItsShapeContract) {
  fake_multi_set_mode(1); // rowsum comes back as [3] instead of [2]
  EXPECT_EQ(kiln_model_run(model, in, 1, out, 3), KILN_ERROR_INTERNAL);
  EXPECT_THAT(lastError(), HasSubstr("output 0 ('rowsum')"));
  EXPECT_THAT(lastError(), HasSubstr("returned shape [3]"));
  EXPECT_THAT(lastError(), HasSubstr("declared shape [2]"));
  for (auto &o : out)
    EXPECT_EQ(o.data, nullptr); // nothing handed over on failure
  // TearDown checks that all three model buffers were freed.
}

TEST_F(MultiModel, OneOutputTooSmallOthersRuntimeAllocated) {
  int64_t count = -1;
  out[2] = makeTensor(&count, 4, KILN_DTYPE_UNDEFINED, {}); // needs 8
  EXPECT_EQ(kiln_model_run(model, in, 1, out, 3), KILN_ERROR_BUFFER_TOO_SMALL);
  EXPECT_THAT(lastError(), HasSubstr("output 2 ('count')"));
  EXPECT_THAT(lastError(), HasSubstr("needs 8 bytes"));
  EXPECT_EQ(out[0].data, nullptr);
  EXPECT_EQ(out[1].data, nullptr);
  EXPECT_EQ(count, -1);
  EXPECT_EQ(out[1].dims[1], 3); // shapes are still reported
}

TEST_F(MultiModel, WrongInputDtypeNamesTheTensor) {
  in[0].dtype = KILN_DTYPE_INT64;
  EXPECT_EQ(kiln_model_run(model, in, 1, out, 3), KILN_ERROR_DTYPE);
  EXPECT_THAT(lastError(),
              HasSubstr("input 0 ('a'): dtype mismatch: model expects int32, got int64"));
}

} // namespace

// ---------------------------------------------------------------------------
// Per-node profiles (kiln-compile --profile).
namespace {
kiln_status runAddOnce(kiln_model *m) {
  float x[3] = {1, 2, 3}, y[3] = {0.5f, 0.5f, 0.5f};
  kiln_tensor in[2] = {makeTensor(x, sizeof x, KILN_DTYPE_FLOAT, {1, 3}),
                       makeTensor(y, sizeof y, KILN_DTYPE_FLOAT, {3})};
  kiln_tensor out[1] = {emptyOutput()};
  kiln_status s = kiln_model_run(m, in, 2, out, 1);
  kiln_free(out[0].data);
  return s;
}
} // namespace

TEST(Profile, SharedLibraryExposesItsCounters) {
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_load(FAKE_PROFILED_SO, &m), KILN_OK) << lastError();
  EXPECT_EQ(kiln_model_has_profile(m), 1);
  int32_t count = -1;
  ASSERT_EQ(kiln_model_profile_count(m, &count), KILN_OK) << lastError();
  ASSERT_EQ(count, 2);
  ASSERT_EQ(kiln_model_profile_reset(m), KILN_OK);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(runAddOnce(m), KILN_OK) << lastError();
  kiln_profile_entry e;
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK) << lastError();
  EXPECT_STREQ(e.name, "x_plus_y");
  EXPECT_STREQ(e.op_type, "Add");
  EXPECT_EQ(e.ns, 3000u);
  EXPECT_EQ(e.calls, 3u);
  EXPECT_EQ(e.flops, 6000u);
  ASSERT_EQ(kiln_model_profile_entry(m, 1, &e), KILN_OK) << lastError();
  EXPECT_STREQ(e.name, "(unattributed)");
  EXPECT_STREQ(e.op_type, "(none)");
  EXPECT_EQ(e.ns, 30u);
  EXPECT_EQ(e.calls, 3u);
  EXPECT_EQ(e.flops, 0u);
  EXPECT_EQ(kiln_model_profile_entry(m, 2, &e), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("index 2 out of range: the profile has 2 entries"));
  EXPECT_EQ(kiln_model_profile_entry(m, -1, &e), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_profile_entry(m, 0, nullptr), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_profile_count(m, nullptr), KILN_ERROR_INVALID_ARGUMENT);
  // Reset zeroes every counter.
  ASSERT_EQ(kiln_model_profile_reset(m), KILN_OK);
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK);
  EXPECT_EQ(e.ns, 0u);
  EXPECT_EQ(e.calls, 0u);
  EXPECT_EQ(e.flops, 0u);
  ASSERT_EQ(runAddOnce(m), KILN_OK);
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK);
  EXPECT_EQ(e.calls, 1u);
  kiln_model_free(m);
}

TEST(Profile, ModelWithoutProfileSaysHowToGetOne) {
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_load(FAKE_ADD_SO, &m), KILN_OK) << lastError();
  EXPECT_EQ(kiln_model_has_profile(m), 0);
  int32_t count = 5;
  EXPECT_EQ(kiln_model_profile_count(m, &count), KILN_ERROR_NO_PROFILE);
  EXPECT_EQ(count, 0);
  EXPECT_THAT(lastError(), HasSubstr("model 'fake_add' has no per-node profile: "
                                     "compile it with kiln-compile --profile"));
  kiln_profile_entry e;
  EXPECT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_ERROR_NO_PROFILE);
  EXPECT_EQ(kiln_model_profile_reset(m), KILN_ERROR_NO_PROFILE);
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_NO_PROFILE), "KILN_ERROR_NO_PROFILE");
  kiln_model_free(m);
  EXPECT_EQ(kiln_model_has_profile(nullptr), 0);
  EXPECT_EQ(kiln_model_profile_count(nullptr, &count), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_profile_reset(nullptr), KILN_ERROR_INVALID_ARGUMENT);
}

TEST(Profile, BadProfileVersionFailsTheLoad) {
  kiln_model *m = nullptr;
  EXPECT_EQ(kiln_model_load(FAKE_BAD_PROFILE_SO, &m), KILN_ERROR_ABI);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(lastError(), HasSubstr("unsupported profile version 7"));
}

TEST(Profile, AttachToAStaticModel) {
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_from_abi(kiln_model_abi_v1(), &m), KILN_OK) << lastError();
  EXPECT_EQ(kiln_model_has_profile(m), 0);
  static uint64_t ns[3] = {5, 6, 7}, calls[3] = {1, 1, 2};
  static uint64_t flops[3] = {1000, 0, 0};
  static const char strings[] = "a\0Conv\0b\0Relu\0c\0";
  kiln_abi_profile p = {KILN_PROFILE_VERSION, 3, strings, ns, calls, flops};
  ASSERT_EQ(kiln_model_attach_profile(m, &p), KILN_OK) << lastError();
  int32_t count = 0;
  ASSERT_EQ(kiln_model_profile_count(m, &count), KILN_OK);
  EXPECT_EQ(count, 3);
  kiln_profile_entry e;
  ASSERT_EQ(kiln_model_profile_entry(m, 2, &e), KILN_OK);
  EXPECT_STREQ(e.name, "c");
  EXPECT_STREQ(e.op_type, ""); // an empty op type is allowed
  EXPECT_EQ(e.ns, 7u);
  EXPECT_EQ(e.calls, 2u);
  EXPECT_EQ(e.flops, 0u);
  // Malformed descriptors are refused and leave the model as it was.
  kiln_abi_profile bad = p;
  bad.count = -1;
  EXPECT_EQ(kiln_model_attach_profile(m, &bad), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("invalid profile entry count -1"));
  bad = p;
  bad.ns = nullptr;
  EXPECT_EQ(kiln_model_attach_profile(m, &bad), KILN_ERROR_ABI);
  bad = p;
  bad.version = KILN_PROFILE_VERSION + 1;
  EXPECT_EQ(kiln_model_attach_profile(m, &bad), KILN_ERROR_ABI);
  bad = p;
  bad.flops = nullptr;
  EXPECT_EQ(kiln_model_attach_profile(m, &bad), KILN_ERROR_ABI);
  EXPECT_EQ(kiln_model_attach_profile(m, nullptr), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("kiln_model_attach_profile: profile is NULL"));
  EXPECT_EQ(kiln_model_attach_profile(nullptr, &p), KILN_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK);
  EXPECT_STREQ(e.name, "a");
  EXPECT_STREQ(e.op_type, "Conv");
  EXPECT_EQ(e.flops, 1000u);
  ASSERT_EQ(kiln_model_profile_reset(m), KILN_OK);
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK);
  EXPECT_EQ(e.flops, 0u); // reset zeroes the FLOP counters too
  EXPECT_EQ(e.ns, 0u);
  // A version-1 descriptor (libraries of earlier Kilns) ends before
  // `flops`: read as not counted, the member never touched.
  struct V1 {
    int32_t version, count;
    const char *strings;
    uint64_t *ns, *calls;
  };
  static V1 v1 = {1, 3, strings, ns, calls};
  ASSERT_EQ(kiln_model_attach_profile(m, reinterpret_cast<const kiln_abi_profile *>(&v1)), KILN_OK)
      << lastError();
  ns[0] = 9;
  flops[0] = 77;
  ASSERT_EQ(kiln_model_profile_entry(m, 0, &e), KILN_OK);
  EXPECT_EQ(e.ns, 9u);
  EXPECT_EQ(e.flops, 0u);
  ASSERT_EQ(kiln_model_profile_reset(m), KILN_OK);
  EXPECT_EQ(flops[0], 77u); // not part of a version-1 descriptor
  kiln_model_free(m);
}

// ---------------------------------------------------------------------------
// Run-time checks (ABI v2): the generated code records the first failed
// check in the kiln_abi_error at args[1 + num_inputs]; kiln_model_run then
// returns KILN_ERROR_INVALID_INPUT with the check's message and frees every
// output.  The fake model copies x into two outputs (tracked allocations)
// and fails check 2 when x[0] < 0, check `fakeCheckId` if set.
int32_t fakeCheckId = 0;
void *fakeSeenRecord = nullptr;
void checkedInvoke(void **args) {
  const int64_t *in = static_cast<const int64_t *>(args[1]);
  float *x;
  std::memcpy(&x, &in[1], sizeof x);
  const int64_t n = in[3];
  int64_t *out = static_cast<int64_t *>(args[0]);
  for (int j = 0; j < 2; ++j, out += 5) {
    float *buf = static_cast<float *>(fake_alloc(n * sizeof(float)));
    std::memcpy(buf, x, n * sizeof(float));
    std::memcpy(&out[0], &buf, sizeof buf);
    std::memcpy(&out[1], &buf, sizeof buf);
    out[2] = 0;
    out[3] = n;
    out[4] = 1;
  }
  fakeSeenRecord = args[2];
  auto *rec = static_cast<kiln_abi_error *>(args[2]);
  if (rec && rec->check == 0 && (x[0] < 0 || fakeCheckId)) {
    rec->check = fakeCheckId ? fakeCheckId : 2;
    rec->values[0] = static_cast<int64_t>(x[0]);
    rec->values[1] = -10;
    rec->values[2] = 9;
  }
}

class Checks : public ::testing::Test {
protected:
  void SetUp() override {
    fakeCheckId = 0;
    fakeSeenRecord = nullptr;
    tensors[0] = {"x", KILN_DTYPE_FLOAT, 1, dims};
    outTensors[0] = {"a", KILN_DTYPE_FLOAT, 1, dims};
    outTensors[1] = {"b", KILN_DTYPE_FLOAT, 1, dims};
    abi = {KILN_ABI_VERSION, 1, 2, 2, "checked", tensors, outTensors, checkedInvoke, messages};
  }
  kiln_status run(float x0, kiln_tensor *out) {
    kiln_model *m = nullptr;
    EXPECT_EQ(kiln_model_from_abi(&abi, &m), KILN_OK) << lastError();
    float x[3] = {x0, 2, 3};
    kiln_tensor in = {x, sizeof x, KILN_DTYPE_FLOAT, 1, {3}};
    kiln_status s = kiln_model_run(m, &in, 1, out, 2);
    kiln_model_free(m);
    return s;
  }
  int64_t dims[1] = {-1};
  kiln_abi_tensor tensors[1], outTensors[2];
  const char *messages[2] = {"unused {0}",
                             "node 'G' (Gather): index {0} is out of range [{1}, {2}] {3} {x} {"};
  kiln_abi_model abi;
};

TEST_F(Checks, PassingChecksGiveTheResults) {
  kiln_tensor out[2] = {};
  ASSERT_EQ(run(1, out), KILN_OK) << lastError();
  EXPECT_NE(fakeSeenRecord, nullptr);
  ASSERT_NE(out[1].data, nullptr);
  EXPECT_EQ(static_cast<float *>(out[1].data)[2], 3.0f);
  kiln_free(out[0].data);
  kiln_free(out[1].data);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(Checks, FailedCheckIsAnErrorAndFreesEveryOutput) {
  kiln_tensor out[2] = {};
  float caller[3];
  out[1].data = caller; // a caller buffer is left alone
  out[1].size_bytes = sizeof caller;
  caller[0] = 42;
  EXPECT_EQ(run(-100000000, out), KILN_ERROR_INVALID_INPUT);
  // Only the three exact placeholders are replaced.
  EXPECT_EQ(std::string(lastError()),
            "node 'G' (Gather): index -100000000 is out of range [-10, 9] {3} {x} {");
  EXPECT_EQ(out[0].data, nullptr);
  EXPECT_EQ(out[0].size_bytes, 0u);
  EXPECT_EQ(caller[0], 42.0f); // nothing copied
  EXPECT_EQ(fake_outstanding(), 0);
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_INVALID_INPUT), "KILN_ERROR_INVALID_INPUT");
}

TEST_F(Checks, UnknownCheckIdIsInternal) {
  fakeCheckId = 3;
  kiln_tensor out[2] = {};
  EXPECT_EQ(run(1, out), KILN_ERROR_INTERNAL);
  EXPECT_THAT(lastError(), HasSubstr("model 'checked' reported failed check 3, but it has 2 checks"));
  EXPECT_EQ(out[0].data, nullptr);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(Checks, ConcurrentRunsKeepTheirOwnRecord) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        kiln_tensor out[2] = {};
        kiln_model *m = nullptr;
        kiln_model_from_abi(&abi, &m);
        float x[3] = {t % 2 ? -1.0f : 1.0f, 2, 3};
        kiln_tensor in = {x, sizeof x, KILN_DTYPE_FLOAT, 1, {3}};
        kiln_status s = kiln_model_run(m, &in, 1, out, 2);
        if (s != (t % 2 ? KILN_ERROR_INVALID_INPUT : KILN_OK))
          ++wrong;
        kiln_free(out[0].data);
        kiln_free(out[1].data);
        kiln_model_free(m);
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(Checks, VersionOneLibrariesRunWithoutChecks) {
  abi.abi_version = 1;
  abi.num_checks = 0; // v1: reserved
  abi.checks = nullptr;
  kiln_tensor out[2] = {};
  ASSERT_EQ(run(1, out), KILN_OK) << lastError();
  kiln_free(out[0].data);
  kiln_free(out[1].data);
  EXPECT_EQ(fake_outstanding(), 0);
}

TEST_F(Checks, MalformedCheckTablesAreRefused) {
  kiln_model *m = nullptr;
  abi.abi_version = 1; // reserved must be 0
  EXPECT_EQ(kiln_model_from_abi(&abi, &m), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("ABI version 1 metadata has reserved field 2"));
  SetUp();
  abi.checks = nullptr;
  EXPECT_EQ(kiln_model_from_abi(&abi, &m), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("check table is NULL"));
  SetUp();
  abi.num_checks = -1;
  EXPECT_EQ(kiln_model_from_abi(&abi, &m), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("invalid check count -1"));
  SetUp();
  messages[1] = nullptr;
  EXPECT_EQ(kiln_model_from_abi(&abi, &m), KILN_ERROR_ABI);
  EXPECT_THAT(lastError(), HasSubstr("check 1 has a NULL message"));
  EXPECT_EQ(m, nullptr);
}
