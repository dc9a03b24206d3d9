// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The misuse matrix of the Kiln C runtime API (kiln/runtime.h).
//
// Every public function, and every argument, index, count and tensor field
// a caller can get wrong, is called wrongly once.  Each case (a row of the
// table) says what the call must return and what the message of
// kiln_last_error() must contain.  For every case the test checks that
//   - the call fails with exactly that status (never KILN_OK),
//   - it set a fresh message (the previous one is replaced) that contains
//     every expected substring (the function and argument, or the tensor),
//   - no output buffer was handed over and no model buffer leaked,
//   - the models it was made on still work: correct calls afterwards give
//     the right results.
// Functions that answer with a sentinel instead of a status have a table of
// their own.  The models are the fake libraries of runtime_test.cpp plus one
// built here ("fake_empty", whose input has a static 0 dim).
#include "kiln/runtime.h"
#include "fake_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

extern "C" {
const kiln_abi_model *kiln_model_abi_v1(void); // fake_model_add.c
const kiln_abi_model *fake_multi_abi(void);    // fake_model_multi.c
void fake_add_set_mode(int mode);
void fake_multi_set_mode(int mode);

// free() is wrapped by wrap_free.c (-Wl,--wrap=free).
}

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// "fake_empty": input "z" float [0,?,?] (never has elements), output "n"
// int64 [] = dim 1 * dim 2 of z.
struct Desc0 {
  void *allocated, *aligned;
  int64_t offset;
};
struct Desc3 {
  void *allocated, *aligned;
  int64_t offset, sizes[3], strides[3];
};
void emptyInvoke(void **args) {
  auto *result = static_cast<Desc0 *>(args[0]);
  const auto *z = static_cast<const Desc3 *>(args[1]);
  auto *n = static_cast<int64_t *>(fake_alloc(sizeof(int64_t)));
  *n = static_cast<int64_t>(static_cast<uint64_t>(z->sizes[1]) *
                            static_cast<uint64_t>(z->sizes[2]));
  result->allocated = result->aligned = n;
  result->offset = 0;
}
const int64_t kZDims[3] = {0, -1, -1};
const kiln_abi_tensor kEmptyInputs[1] = {{"z", KILN_DTYPE_FLOAT, 3, kZDims}};
const kiln_abi_tensor kEmptyOutputs[1] = {{"n", KILN_DTYPE_INT64, 0, nullptr}};
const kiln_abi_model kEmptyAbi = {KILN_ABI_VERSION, 1, 1, 0, "fake_empty",
                                  kEmptyInputs, kEmptyOutputs, emptyInvoke, nullptr};

// A valid profile descriptor, the base of the malformed ones.
uint64_t gProfNs[2], gProfCalls[2];
uint64_t gProfFlops[2];
const char kProfStrings[] = "p\0Add\0q\0Mul";
kiln_abi_profile validProfile() {
  return {KILN_PROFILE_VERSION, 2, kProfStrings, gProfNs, gProfCalls, gProfFlops};
}

kiln_tensor makeTensor(void *data, size_t bytes, kiln_dtype dtype,
                       const std::vector<int64_t> &dims) {
  kiln_tensor t;
  std::memset(&t, 0, sizeof t);
  t.data = data;
  t.size_bytes = bytes;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    t.dims[i] = dims[i];
  return t;
}

kiln_tensor runtimeAllocated() {
  return makeTensor(nullptr, 0, KILN_DTYPE_UNDEFINED, {});
}

// ---------------------------------------------------------------------------
// The models and correct arguments for them; a case spoils one thing.
struct Env {
  kiln_model *add = nullptr;      // static fake_add:   out = x[N,3] + y[3]
  kiln_model *multi = nullptr;    // static fake_multi: a[2,N] -> 3 outputs
  kiln_model *empty = nullptr;    // fake_empty above
  kiln_model *profiled = nullptr; // shared fake_model_profiled (fake_add)
  int baseline = 0;               // fake_outstanding() before the case

  float x[6], y[3];
  int32_t a[6];
  float addBuf[6];
  int64_t rowsumBuf[2], countBuf;
  uint8_t positiveBuf[6];
  kiln_tensor addIn[2], addOut[1];
  kiln_tensor multiIn[1], multiOut[3];
  kiln_tensor emptyIn[1], emptyOut[1];

  void open() {
    fake_add_set_mode(0);
    fake_multi_set_mode(0);
    ASSERT_EQ(kiln_model_from_abi(kiln_model_abi_v1(), &add), KILN_OK)
        << kiln_last_error();
    ASSERT_EQ(kiln_model_from_abi(fake_multi_abi(), &multi), KILN_OK)
        << kiln_last_error();
    ASSERT_EQ(kiln_model_from_abi(&kEmptyAbi, &empty), KILN_OK)
        << kiln_last_error();
    ASSERT_EQ(kiln_model_load(FAKE_PROFILED_SO, &profiled), KILN_OK)
        << kiln_last_error();
    reset();
  }
  void close() {
    kiln_model_free(add);
    kiln_model_free(multi);
    kiln_model_free(empty);
    kiln_model_free(profiled);
    add = multi = empty = profiled = nullptr;
  }
  // Correct inputs; every output runtime-allocated.
  void reset() {
    for (int i = 0; i < 6; ++i) {
      x[i] = 0.5f * static_cast<float>(i + 1);
      a[i] = (i % 2 ? -1 : 1) * (i + 1); // 1,-2,3,-4,5,-6
    }
    for (int i = 0; i < 3; ++i)
      y[i] = 10.f * static_cast<float>(i + 1);
    addIn[0] = makeTensor(x, sizeof x, KILN_DTYPE_FLOAT, {2, 3});
    addIn[1] = makeTensor(y, sizeof y, KILN_DTYPE_FLOAT, {3});
    multiIn[0] = makeTensor(a, sizeof a, KILN_DTYPE_INT32, {2, 3});
    emptyIn[0] = makeTensor(nullptr, 0, KILN_DTYPE_FLOAT, {0, 2, 3});
    addOut[0] = runtimeAllocated();
    for (auto &o : multiOut)
      o = runtimeAllocated();
    emptyOut[0] = runtimeAllocated();
  }
  kiln_status runAdd() { return kiln_model_run(add, addIn, 2, addOut, 1); }
  kiln_status runMulti() { return kiln_model_run(multi, multiIn, 1, multiOut, 3); }
  kiln_status runEmpty() { return kiln_model_run(empty, emptyIn, 1, emptyOut, 1); }

  bool isCallerBuffer(const void *p) const {
    return p == addBuf || p == rowsumBuf || p == &countBuf || p == positiveBuf;
  }
  // No buffer may be handed over by a failing call.  Releases whatever was
  // (so that one wrongly accepted call does not fail the cases after it).
  void expectNothingHandedOver() {
    kiln_tensor *all[] = {&addOut[0], &multiOut[0], &multiOut[1],
                          &multiOut[2], &emptyOut[0]};
    for (kiln_tensor *t : all)
      if (t->data && !isCallerBuffer(t->data)) {
        ADD_FAILURE() << "a failing call handed over a buffer";
        kiln_free(t->data);
        t->data = nullptr;
      }
  }
};

// An output's dtype, rank and dims are results: what the caller leaves in
// them is ignored.
void garbleOutputFields(kiln_tensor *outs, int n) {
  for (int j = 0; j < n; ++j) {
    outs[j].dtype = static_cast<kiln_dtype>(77);
    outs[j].rank = -7;
    for (int64_t &d : outs[j].dims)
      d = -9;
  }
}

// Correct calls on every model, checked against results computed here.
void expectModelsWork(Env &e) {
  e.reset();
  garbleOutputFields(e.addOut, 1);
  garbleOutputFields(e.multiOut, 3);
  garbleOutputFields(e.emptyOut, 1);
  EXPECT_STREQ(kiln_model_name(e.add), "fake_add");
  EXPECT_EQ(kiln_model_num_inputs(e.multi), 1);
  EXPECT_EQ(kiln_model_num_outputs(e.multi), 3);
  EXPECT_EQ(kiln_model_find_input(e.add, "y"), 1);
  EXPECT_EQ(kiln_model_find_output(e.multi, "count"), 2);
  kiln_tensor_info info;
  ASSERT_EQ(kiln_model_input_info(e.add, 1, &info), KILN_OK) << kiln_last_error();
  EXPECT_STREQ(info.name, "y");
  ASSERT_EQ(kiln_model_output_info(e.multi, 1, &info), KILN_OK) << kiln_last_error();
  EXPECT_STREQ(info.name, "positive");

  // fake_add, runtime-allocated output and then a caller buffer.
  ASSERT_EQ(e.runAdd(), KILN_OK) << kiln_last_error();
  ASSERT_NE(e.addOut[0].data, nullptr);
  EXPECT_EQ(e.addOut[0].size_bytes, 6 * sizeof(float));
  EXPECT_EQ(e.addOut[0].dtype, KILN_DTYPE_FLOAT);
  ASSERT_EQ(e.addOut[0].rank, 2);
  EXPECT_EQ(e.addOut[0].dims[0], 2);
  EXPECT_EQ(e.addOut[0].dims[1], 3);
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(static_cast<const float *>(e.addOut[0].data)[i],
                    e.x[i] + e.y[i % 3]);
  kiln_free(e.addOut[0].data);
  e.addOut[0] = makeTensor(e.addBuf, sizeof e.addBuf, KILN_DTYPE_UNDEFINED, {});
  ASSERT_EQ(e.runAdd(), KILN_OK) << kiln_last_error();
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(e.addBuf[i], e.x[i] + e.y[i % 3]);

  // fake_multi: three outputs.
  ASSERT_EQ(e.runMulti(), KILN_OK) << kiln_last_error();
  int64_t rowsum[2] = {0, 0}, count = 0;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) {
      rowsum[r] += e.a[r * 3 + c];
      count += e.a[r * 3 + c] > 0;
    }
  ASSERT_EQ(e.multiOut[0].size_bytes, sizeof rowsum);
  EXPECT_EQ(static_cast<const int64_t *>(e.multiOut[0].data)[0], rowsum[0]);
  EXPECT_EQ(static_cast<const int64_t *>(e.multiOut[0].data)[1], rowsum[1]);
  ASSERT_EQ(e.multiOut[1].size_bytes, 6u);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(static_cast<const uint8_t *>(e.multiOut[1].data)[i], e.a[i] > 0);
  ASSERT_EQ(e.multiOut[2].size_bytes, sizeof(int64_t));
  EXPECT_EQ(e.multiOut[2].rank, 0);
  EXPECT_EQ(*static_cast<const int64_t *>(e.multiOut[2].data), count);
  for (auto &o : e.multiOut)
    kiln_free(o.data);

  // fake_empty: an input without elements may have data == NULL.
  ASSERT_EQ(e.runEmpty(), KILN_OK) << kiln_last_error();
  ASSERT_EQ(e.emptyOut[0].size_bytes, sizeof(int64_t));
  EXPECT_EQ(*static_cast<const int64_t *>(e.emptyOut[0].data),
            e.emptyIn[0].dims[1] * e.emptyIn[0].dims[2]);
  kiln_free(e.emptyOut[0].data);

  // The profiled library runs and counts.
  EXPECT_EQ(kiln_model_has_profile(e.profiled), 1);
  EXPECT_EQ(kiln_model_has_profile(e.add), 0);
  int32_t n = 0;
  ASSERT_EQ(kiln_model_profile_count(e.profiled, &n), KILN_OK) << kiln_last_error();
  EXPECT_EQ(n, 2);
  kiln_profile_entry before, after;
  ASSERT_EQ(kiln_model_profile_entry(e.profiled, 0, &before), KILN_OK)
      << kiln_last_error();
  EXPECT_STREQ(before.name, "x_plus_y");
  EXPECT_STREQ(before.op_type, "Add");
  kiln_tensor out[1] = {runtimeAllocated()};
  ASSERT_EQ(kiln_model_run(e.profiled, e.addIn, 2, out, 1), KILN_OK)
      << kiln_last_error();
  EXPECT_FLOAT_EQ(static_cast<const float *>(out[0].data)[5], e.x[5] + e.y[2]);
  kiln_free(out[0].data);
  ASSERT_EQ(kiln_model_profile_entry(e.profiled, 0, &after), KILN_OK);
  EXPECT_EQ(after.calls, before.calls + 1);

  EXPECT_EQ(fake_outstanding(), e.baseline) << "a model buffer leaked";
  e.reset();
}

// Marks the message before each case: the case must replace it.
const char kPrimeMarker[] = "kiln-misuse-prime";
void primeLastError() {
  kiln_model *m = nullptr;
  ASSERT_EQ(kiln_model_load("/nonexistent/kiln-misuse-prime.so", &m),
            KILN_ERROR_LOAD);
  ASSERT_THAT(kiln_last_error(), HasSubstr(kPrimeMarker));
}

// ---------------------------------------------------------------------------
// Helpers that spell values the way the runtime's messages do.
std::string str(int64_t v) { return std::to_string(v); }

// "[2,?,3]" for metadata (dynamic dims as '?'), "[2,-1,3]" for a shape.
std::string dims(const int64_t *d, int32_t rank, bool dynamicAsQuestion) {
  std::string s = "[";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      s += ",";
    s += dynamicAsQuestion && d[i] < 0 ? "?" : str(d[i]);
  }
  return s + "]";
}
std::string dims(const std::vector<int64_t> &d, bool dynamicAsQuestion) {
  return dims(d.data(), static_cast<int32_t>(d.size()), dynamicAsQuestion);
}

std::string tensorTag(const char *kind, int index, const char *name) {
  return std::string(kind) + " " + str(index) + " ('" + name + "')";
}

// ---------------------------------------------------------------------------
struct Case {
  std::string what;
  std::function<kiln_status(Env &)> call;
  kiln_status expected;
  std::vector<std::string> message; // substrings of kiln_last_error()
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.what; }

using TensorOf = kiln_tensor &(*)(Env &);
using RunOf = kiln_status (*)(Env &);

// One model input and how to run its model.
struct InputTarget {
  const char *model;
  int index;
  const char *name;
  const char *dtypeName;
  std::vector<int64_t> meta; // -1: dynamic
  std::vector<int64_t> good; // the shape Env::reset() passes
  size_t elemSize;
  TensorOf tensor;
  RunOf run;
};

std::vector<InputTarget> inputTargets() {
  return {
      {"add", 0, "x", "float", {-1, 3}, {2, 3}, 4,
       [](Env &e) -> kiln_tensor & { return e.addIn[0]; },
       [](Env &e) { return e.runAdd(); }},
      {"add", 1, "y", "float", {3}, {3}, 4,
       [](Env &e) -> kiln_tensor & { return e.addIn[1]; },
       [](Env &e) { return e.runAdd(); }},
      {"multi", 0, "a", "int32", {2, -1}, {2, 3}, 4,
       [](Env &e) -> kiln_tensor & { return e.multiIn[0]; },
       [](Env &e) { return e.runMulti(); }},
      {"empty", 0, "z", "float", {0, -1, -1}, {0, 2, 3}, 4,
       [](Env &e) -> kiln_tensor & { return e.emptyIn[0]; },
       [](Env &e) { return e.runEmpty(); }},
  };
}

// Builds a case that applies `spoil` to one input and runs its model.
Case inputCase(const InputTarget &t, const std::string &what,
               std::function<void(kiln_tensor &)> spoil, kiln_status expected,
               std::vector<std::string> message) {
  Case c;
  c.what = std::string("run ") + t.model + " input " + t.name + ": " + what;
  TensorOf tensor = t.tensor;
  RunOf run = t.run;
  c.call = [tensor, run, spoil](Env &e) {
    spoil(tensor(e));
    return run(e);
  };
  c.expected = expected;
  c.message = std::move(message);
  return c;
}

void addInputCases(std::vector<Case> &cases) {
  for (const InputTarget &t : inputTargets()) {
    const std::string tag = tensorTag("input", t.index, t.name);
    const int32_t rank = static_cast<int32_t>(t.meta.size());
    const std::string want = dims(t.meta, true);

    // dtype: another dtype of the same size (the byte size would pass),
    // another size, UNDEFINED, values outside the enum.
    struct BadDtype {
      int value;
      const char *name;
    };
    const BadDtype sameSize = std::string(t.dtypeName) == "float"
                                  ? BadDtype{KILN_DTYPE_INT32, "int32"}
                                  : BadDtype{KILN_DTYPE_FLOAT, "float"};
    for (BadDtype d : {sameSize, BadDtype{KILN_DTYPE_INT64, "int64"},
                       BadDtype{KILN_DTYPE_UNDEFINED, "unknown"},
                       BadDtype{77, "unknown"}, BadDtype{-1, "unknown"}}) {
      const int value = d.value;
      cases.push_back(inputCase(
          t, "dtype " + str(value),
          [value](kiln_tensor &x) { x.dtype = static_cast<kiln_dtype>(value); },
          KILN_ERROR_DTYPE,
          {tag + ": dtype mismatch: model expects " + t.dtypeName + ", got " +
           d.name + " (" + str(value) + ")"}));
    }

    // rank: one less, one more, 0, negative, above KILN_MAX_RANK, extremes.
    std::vector<int32_t> ranks = {rank + 1, -1, KILN_MAX_RANK + 1, INT32_MAX,
                                  INT32_MIN};
    if (rank >= 1)
      ranks.push_back(rank - 1);
    if (rank >= 2)
      ranks.push_back(0);
    for (int32_t r : ranks) {
      std::string got;
      if (r >= 0 && r <= KILN_MAX_RANK) {
        int64_t d[KILN_MAX_RANK] = {0}; // reset() leaves zeros after the shape
        for (size_t i = 0; i < t.good.size(); ++i)
          d[i] = t.good[i];
        got = " " + dims(d, r, false);
      }
      cases.push_back(inputCase(
          t, "rank " + str(r), [r](kiln_tensor &x) { x.rank = r; },
          KILN_ERROR_SHAPE,
          {tag + ": rank mismatch: model expects rank " + str(rank) + " " +
           want + ", got rank " + str(r) + got}));
    }

    for (int32_t d = 0; d < rank; ++d) {
      const int64_t m = t.meta[d];
      std::vector<int64_t> values;
      if (m >= 0) {
        // Static dim: any other value, negative ones included.
        for (int64_t v : {m + 1, m - 1, int64_t(0), int64_t(-1), INT64_MAX,
                          INT64_MIN})
          if (v != m &&
              std::find(values.begin(), values.end(), v) == values.end())
            values.push_back(v);
        for (int64_t v : values) {
          std::vector<int64_t> shape = t.good;
          shape[d] = v;
          cases.push_back(inputCase(
              t, "static dim " + str(d) + " = " + str(v),
              [d, v](kiln_tensor &x) { x.dims[d] = v; }, KILN_ERROR_SHAPE,
              {tag + ": dim " + str(d) + " is " + str(v) +
               ", model expects " + str(m) + " (expected shape " + want +
               ", got " + dims(shape, false) + ")"}));
        }
        continue;
      }
      // Dynamic dim: zero and negative values are refused...
      for (int64_t v : {int64_t(0), int64_t(-1), INT64_MIN}) {
        std::vector<int64_t> shape = t.good;
        shape[d] = v;
        cases.push_back(inputCase(
            t, "dynamic dim " + str(d) + " = " + str(v),
            [d, v](kiln_tensor &x) { x.dims[d] = v; }, KILN_ERROR_SHAPE,
            {tag + ": dynamic dim " + str(d) + " must be >= 1, got " + str(v) +
             " (expected shape " + want + ", got " + dims(shape, false) +
             ")"}));
      }
      // ... and so are values whose element count or byte size (of the
      // non-zero dims: the strides) does not fit in ptrdiff_t.
      int64_t others = 1;
      for (int32_t k = 0; k < rank; ++k)
        if (k != d && t.good[k] != 0)
          others *= t.good[k];
      const int64_t bytesOverflow =
          PTRDIFF_MAX / static_cast<int64_t>(t.elemSize) / others + 1;
      for (int64_t v : {INT64_MAX, bytesOverflow}) {
        std::vector<int64_t> shape = t.good;
        shape[d] = v;
        cases.push_back(inputCase(
            t, "dynamic dim " + str(d) + " = " + str(v) + " overflows",
            [d, v](kiln_tensor &x) { x.dims[d] = v; }, KILN_ERROR_SHAPE,
            {tag + ": shape " + dims(shape, false) + " of " + t.dtypeName +
             " overflows the addressable size"}));
      }
    }

    // Byte size and data: only an input with elements needs a buffer.
    int64_t count = 1;
    for (int64_t v : t.good)
      count *= v;
    const size_t needed = static_cast<size_t>(count) * t.elemSize;
    const std::string shape = dims(t.good, false);
    if (needed == 0)
      continue;
    for (size_t size : {needed - 1, size_t(1), size_t(0)}) {
      cases.push_back(inputCase(
          t, "size_bytes " + str(static_cast<int64_t>(size)),
          [size](kiln_tensor &x) { x.size_bytes = size; },
          KILN_ERROR_BUFFER_TOO_SMALL,
          {tag + ": size_bytes is " + str(static_cast<int64_t>(size)) +
           ", but shape " + shape + " of " + t.dtypeName + " needs " +
           str(static_cast<int64_t>(needed)) + " bytes"}));
    }
    cases.push_back(inputCase(
        t, "data NULL with size_bytes set",
        [](kiln_tensor &x) { x.data = nullptr; }, KILN_ERROR_INVALID_ARGUMENT,
        {tag + ": data is NULL"}));
    cases.push_back(inputCase(
        t, "data NULL and size_bytes 0",
        [](kiln_tensor &x) {
          x.data = nullptr;
          x.size_bytes = 0;
        },
        KILN_ERROR_BUFFER_TOO_SMALL, {tag + ": size_bytes is 0"}));
  }
}

// One model, for the argument checks of kiln_model_run.
struct RunTarget {
  const char *label;
  const char *name; // graph name
  int32_t numInputs, numOutputs;
  kiln_model *Env::*model;
  kiln_tensor *(*inputs)(Env &);
  kiln_tensor *(*outputs)(Env &);
};

std::vector<RunTarget> runTargets() {
  return {
      {"add", "fake_add", 2, 1, &Env::add,
       [](Env &e) -> kiln_tensor * { return e.addIn; },
       [](Env &e) -> kiln_tensor * { return e.addOut; }},
      {"multi", "fake_multi", 1, 3, &Env::multi,
       [](Env &e) -> kiln_tensor * { return e.multiIn; },
       [](Env &e) -> kiln_tensor * { return e.multiOut; }},
      {"empty", "fake_empty", 1, 1, &Env::empty,
       [](Env &e) -> kiln_tensor * { return e.emptyIn; },
       [](Env &e) -> kiln_tensor * { return e.emptyOut; }},
  };
}

std::vector<int32_t> wrongCounts(int32_t n) {
  std::vector<int32_t> v = {-1, n + 1, INT32_MIN, INT32_MAX};
  if (n > 0)
    v.push_back(0);
  if (n > 1)
    v.push_back(n - 1);
  return v;
}

void addRunArgumentCases(std::vector<Case> &cases) {
  for (const RunTarget &t : runTargets()) {
    const std::string pre = std::string("run ") + t.label + ": ";
    const auto model = t.model;
    const auto inputs = t.inputs;
    const auto outputs = t.outputs;
    const int32_t ni = t.numInputs, no = t.numOutputs;
    cases.push_back({pre + "model NULL",
                     [=](Env &e) {
                       return kiln_model_run(nullptr, inputs(e), ni,
                                             outputs(e), no);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_run: model is NULL"}});
    cases.push_back({pre + "inputs NULL",
                     [=](Env &e) {
                       return kiln_model_run(e.*model, nullptr, ni, outputs(e),
                                             no);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_run: inputs is NULL"}});
    cases.push_back({pre + "outputs NULL",
                     [=](Env &e) {
                       return kiln_model_run(e.*model, inputs(e), ni, nullptr,
                                             no);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_run: outputs is NULL"}});
    cases.push_back({pre + "inputs and outputs NULL",
                     [=](Env &e) {
                       return kiln_model_run(e.*model, nullptr, ni, nullptr,
                                             no);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_run: inputs is NULL"}});
    for (int32_t n : wrongCounts(ni))
      cases.push_back(
          {pre + "num_inputs " + str(n),
           [=](Env &e) {
             return kiln_model_run(e.*model, inputs(e), n, outputs(e), no);
           },
           KILN_ERROR_INVALID_ARGUMENT,
           {std::string("kiln_model_run: model '") + t.name + "' has " +
            str(ni) + " inputs, got num_inputs = " + str(n)}});
    for (int32_t n : wrongCounts(no))
      cases.push_back(
          {pre + "num_outputs " + str(n),
           [=](Env &e) {
             return kiln_model_run(e.*model, inputs(e), ni, outputs(e), n);
           },
           KILN_ERROR_INVALID_ARGUMENT,
           {std::string("kiln_model_run: model '") + t.name + "' has " +
            str(no) + " outputs, got num_outputs = " + str(n)}});
    // A wrong count is reported before a NULL array.
    cases.push_back(
        {pre + "num_inputs 0 and inputs NULL",
         [=](Env &e) {
           return kiln_model_run(e.*model, nullptr, 0, outputs(e), no);
         },
         KILN_ERROR_INVALID_ARGUMENT,
         {"has " + str(ni) + " inputs, got num_inputs = 0"}});
  }
}

// Output buffers too small for the result: the status, the message and the
// result's shape (reported so that the caller can retry).
struct OutputTarget {
  const char *model;
  int index;
  const char *name;
  const char *dtypeName;
  std::vector<int64_t> shape; // of the result for Env::reset()'s inputs
  size_t needed;
  void *(*buffer)(Env &);
  kiln_tensor &(*tensor)(Env &);
  RunOf run;
};

void addOutputCases(std::vector<Case> &cases) {
  const std::vector<OutputTarget> targets = {
      {"add", 0, "out", "float", {2, 3}, 24,
       [](Env &e) -> void * { return e.addBuf; },
       [](Env &e) -> kiln_tensor & { return e.addOut[0]; },
       [](Env &e) { return e.runAdd(); }},
      {"multi", 0, "rowsum", "int64", {2}, 16,
       [](Env &e) -> void * { return e.rowsumBuf; },
       [](Env &e) -> kiln_tensor & { return e.multiOut[0]; },
       [](Env &e) { return e.runMulti(); }},
      {"multi", 1, "positive", "bool", {2, 3}, 6,
       [](Env &e) -> void * { return e.positiveBuf; },
       [](Env &e) -> kiln_tensor & { return e.multiOut[1]; },
       [](Env &e) { return e.runMulti(); }},
      {"multi", 2, "count", "int64", {}, 8,
       [](Env &e) -> void * { return &e.countBuf; },
       [](Env &e) -> kiln_tensor & { return e.multiOut[2]; },
       [](Env &e) { return e.runMulti(); }},
      {"empty", 0, "n", "int64", {}, 8,
       [](Env &e) -> void * { return &e.countBuf; },
       [](Env &e) -> kiln_tensor & { return e.emptyOut[0]; },
       [](Env &e) { return e.runEmpty(); }},
  };
  for (const OutputTarget &t : targets) {
    for (size_t size : {t.needed - 1, size_t(0)}) {
      const OutputTarget tt = t;
      cases.push_back(
          {std::string("run ") + t.model + " output " + t.name +
               ": caller buffer of " + str(static_cast<int64_t>(size)) +
               " bytes",
           [tt, size](Env &e) {
             kiln_tensor &o = tt.tensor(e);
             o.data = tt.buffer(e);
             o.size_bytes = size;
             kiln_status s = tt.run(e);
             // The shape of the result is reported, the buffer kept.
             EXPECT_EQ(o.data, tt.buffer(e));
             EXPECT_EQ(o.size_bytes, size);
             EXPECT_EQ(o.rank, static_cast<int32_t>(tt.shape.size()));
             for (size_t d = 0; d < tt.shape.size(); ++d)
               EXPECT_EQ(o.dims[d], tt.shape[d]) << "dim " << d;
             return s;
           },
           KILN_ERROR_BUFFER_TOO_SMALL,
           {tensorTag("output", t.index, t.name) +
            ": buffer too small: size_bytes is " +
            str(static_cast<int64_t>(size)) + ", but the result " +
            dims(t.shape, false) + " of " + t.dtypeName + " needs " +
            str(static_cast<int64_t>(t.needed)) + " bytes"}});
    }
  }
  // Several outputs too small: the first one is reported.
  cases.push_back({"run multi: every output buffer 1 byte",
                   [](Env &e) {
                     e.multiOut[0].data = e.rowsumBuf;
                     e.multiOut[1].data = e.positiveBuf;
                     e.multiOut[2].data = &e.countBuf;
                     for (auto &o : e.multiOut)
                       o.size_bytes = 1;
                     return e.runMulti();
                   },
                   KILN_ERROR_BUFFER_TOO_SMALL,
                   {"output 0 ('rowsum'): buffer too small: size_bytes is 1"}});
}

void addInfoCases(std::vector<Case> &cases) {
  struct Fn {
    const char *name;
    kiln_status (*fn)(const kiln_model *, int32_t, kiln_tensor_info *);
    bool outputs;
  };
  for (Fn f : {Fn{"kiln_model_input_info", kiln_model_input_info, false},
               Fn{"kiln_model_output_info", kiln_model_output_info, true}}) {
    for (const RunTarget &t : runTargets()) {
      const std::string fn = f.name;
      const auto call = f.fn;
      const auto model = t.model;
      const int32_t count = f.outputs ? t.numOutputs : t.numInputs;
      const std::string pre = fn + " " + t.label + ": ";
      cases.push_back({pre + "model NULL",
                       [call](Env &) {
                         kiln_tensor_info info;
                         return call(nullptr, 0, &info);
                       },
                       KILN_ERROR_INVALID_ARGUMENT, {fn + ": model is NULL"}});
      cases.push_back({pre + "out NULL",
                       [call, model](Env &e) { return call(e.*model, 0, nullptr); },
                       KILN_ERROR_INVALID_ARGUMENT, {fn + ": out is NULL"}});
      for (int32_t i : {-1, count, count + 1, INT32_MIN, INT32_MAX})
        cases.push_back(
            {pre + "index " + str(i),
             [call, model, i](Env &e) {
               kiln_tensor_info info;
               return call(e.*model, i, &info);
             },
             KILN_ERROR_INVALID_ARGUMENT,
             {fn + ": index " + str(i) + " out of range: model '" + t.name +
              "' has " + str(count) + (f.outputs ? " outputs" : " inputs")}});
    }
  }
}

// kiln_model_load / kiln_model_from_abi: on failure *out is NULL.
kiln_status loadExpectingNull(const char *path) {
  kiln_model *m = reinterpret_cast<kiln_model *>(&m); // not NULL
  kiln_status s = kiln_model_load(path, &m);
  EXPECT_EQ(m, nullptr) << "*out must be NULL after a failed load";
  if (s == KILN_OK)
    kiln_model_free(m);
  return s;
}
kiln_status fromAbiExpectingNull(const kiln_abi_model *abi) {
  kiln_model *m = reinterpret_cast<kiln_model *>(&m);
  kiln_status s = kiln_model_from_abi(abi, &m);
  EXPECT_EQ(m, nullptr) << "*out must be NULL after a failed load";
  if (s == KILN_OK)
    kiln_model_free(m);
  return s;
}

void addLoadCases(std::vector<Case> &cases) {
  cases.push_back({"load: out NULL",
                   [](Env &) { return kiln_model_load(FAKE_ADD_SO, nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_load: out is NULL"}});
  cases.push_back({"load: path and out NULL",
                   [](Env &) { return kiln_model_load(nullptr, nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_load: out is NULL"}});
  cases.push_back({"load: path NULL",
                   [](Env &) { return loadExpectingNull(nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_load: path is NULL or empty"}});
  cases.push_back({"load: path empty",
                   [](Env &) { return loadExpectingNull(""); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_load: path is NULL or empty"}});
  cases.push_back({"load: file missing",
                   [](Env &) { return loadExpectingNull("/nonexistent/libm.so"); },
                   KILN_ERROR_LOAD,
                   {"cannot load model library '/nonexistent/libm.so'",
                    "No such file"}});
  cases.push_back({"load: a directory",
                   [](Env &) { return loadExpectingNull(TEST_SOURCE_DIR); },
                   KILN_ERROR_LOAD,
                   {std::string("cannot load model library '") +
                    TEST_SOURCE_DIR + "'"}});
  cases.push_back({"load: not a shared library",
                   [](Env &) {
                     return loadExpectingNull(TEST_SOURCE_DIR "/fake_tracker.h");
                   },
                   KILN_ERROR_LOAD,
                   {"cannot load model library", "fake_tracker.h"}});
  cases.push_back({"load: library without kiln_model_abi_v1",
                   [](Env &) { return loadExpectingNull(FAKE_NOT_A_MODEL_SO); },
                   KILN_ERROR_LOAD,
                   {"is not a Kiln model library: symbol kiln_model_abi_v1 "
                    "not found"}});

  cases.push_back({"from_abi: out NULL",
                   [](Env &) {
                     return kiln_model_from_abi(kiln_model_abi_v1(), nullptr);
                   },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_from_abi: out is NULL"}});
  cases.push_back({"from_abi: abi and out NULL",
                   [](Env &) { return kiln_model_from_abi(nullptr, nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_from_abi: out is NULL"}});
  cases.push_back({"from_abi: abi NULL",
                   [](Env &) { return fromAbiExpectingNull(nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_from_abi: abi is NULL"}});
  cases.push_back({"from_abi: wrong abi_version",
                   [](Env &) {
                     kiln_abi_model abi = *kiln_model_abi_v1();
                     abi.abi_version = KILN_ABI_VERSION + 1;
                     return fromAbiExpectingNull(&abi);
                   },
                   KILN_ERROR_ABI,
                   {"kiln_model_from_abi: unsupported ABI version " +
                    str(KILN_ABI_VERSION + 1)}});
  cases.push_back({"from_abi: negative num_inputs",
                   [](Env &) {
                     kiln_abi_model abi = *kiln_model_abi_v1();
                     abi.num_inputs = -2;
                     return fromAbiExpectingNull(&abi);
                   },
                   KILN_ERROR_ABI,
                   {"kiln_model_from_abi: invalid tensor counts (-2 inputs, "
                    "1 outputs)"}});
}

void addProfileCases(std::vector<Case> &cases) {
  const char noProfile[] = "model 'fake_add' has no per-node profile: compile "
                           "it with kiln-compile --profile";
  // kiln_model_profile_count sets *count to 0 on every failure.
  auto countExpectingZero = [](const kiln_model *m) {
    int32_t n = 7;
    kiln_status s = kiln_model_profile_count(m, &n);
    EXPECT_EQ(n, 0) << "*count must be 0 after a failure";
    return s;
  };
  cases.push_back({"profile_count: model NULL",
                   [=](Env &) { return countExpectingZero(nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_profile_count: model is NULL"}});
  cases.push_back({"profile_count: count NULL",
                   [](Env &e) {
                     return kiln_model_profile_count(e.profiled, nullptr);
                   },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_profile_count: count is NULL"}});
  cases.push_back({"profile_count: model without profile",
                   [=](Env &e) { return countExpectingZero(e.add); },
                   KILN_ERROR_NO_PROFILE,
                   {std::string("kiln_model_profile_count: ") + noProfile}});

  cases.push_back({"profile_entry: model NULL",
                   [](Env &) {
                     kiln_profile_entry pe;
                     return kiln_model_profile_entry(nullptr, 0, &pe);
                   },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_profile_entry: model is NULL"}});
  cases.push_back({"profile_entry: out NULL",
                   [](Env &e) {
                     return kiln_model_profile_entry(e.profiled, 0, nullptr);
                   },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_profile_entry: out is NULL"}});
  for (int32_t i : {-1, 2, 3, INT32_MIN, INT32_MAX})
    cases.push_back({"profile_entry: index " + str(i),
                     [i](Env &e) {
                       kiln_profile_entry pe;
                       return kiln_model_profile_entry(e.profiled, i, &pe);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_profile_entry: index " + str(i) +
                      " out of range: the profile has 2 entries"}});
  cases.push_back({"profile_entry: model without profile",
                   [](Env &e) {
                     kiln_profile_entry pe;
                     return kiln_model_profile_entry(e.add, 0, &pe);
                   },
                   KILN_ERROR_NO_PROFILE,
                   {std::string("kiln_model_profile_entry: ") + noProfile}});

  cases.push_back({"profile_reset: model NULL",
                   [](Env &) { return kiln_model_profile_reset(nullptr); },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_profile_reset: model is NULL"}});
  cases.push_back({"profile_reset: model without profile",
                   [](Env &e) { return kiln_model_profile_reset(e.add); },
                   KILN_ERROR_NO_PROFILE,
                   {std::string("kiln_model_profile_reset: ") + noProfile}});

  // kiln_model_attach_profile, on a model with a profile (which must keep
  // it) and on one without (which must stay without).
  cases.push_back({"attach_profile: model NULL",
                   [](Env &) {
                     kiln_abi_profile p = validProfile();
                     return kiln_model_attach_profile(nullptr, &p);
                   },
                   KILN_ERROR_INVALID_ARGUMENT,
                   {"kiln_model_attach_profile: model is NULL"}});
  struct Bad {
    const char *what;
    void (*spoil)(kiln_abi_profile &);
    const char *message;
  };
  static std::vector<char> unterminated(1 << 17, 'a');
  const Bad bads[] = {
      {"version 3", [](kiln_abi_profile &p) { p.version = 3; },
       "kiln_model_attach_profile: unsupported profile version 3 (this "
       "runtime supports versions 1 to 2)"},
      {"version 0", [](kiln_abi_profile &p) { p.version = 0; },
       "kiln_model_attach_profile: unsupported profile version 0 (this "
       "runtime supports versions 1 to 2)"},
      {"count -1", [](kiln_abi_profile &p) { p.count = -1; },
       "kiln_model_attach_profile: invalid profile entry count -1"},
      {"count INT32_MAX", [](kiln_abi_profile &p) { p.count = INT32_MAX; },
       "kiln_model_attach_profile: invalid profile entry count 2147483647"},
      {"strings NULL", [](kiln_abi_profile &p) { p.strings = nullptr; },
       "kiln_model_attach_profile: profile descriptor has NULL tables"},
      {"ns NULL", [](kiln_abi_profile &p) { p.ns = nullptr; },
       "kiln_model_attach_profile: profile descriptor has NULL tables"},
      {"calls NULL", [](kiln_abi_profile &p) { p.calls = nullptr; },
       "kiln_model_attach_profile: profile descriptor has NULL tables"},
      {"flops NULL", [](kiln_abi_profile &p) { p.flops = nullptr; },
       "kiln_model_attach_profile: profile descriptor has NULL tables"},
      {"unterminated string",
       [](kiln_abi_profile &p) { p.strings = unterminated.data(); },
       "kiln_model_attach_profile: profile string 0 is not terminated"},
  };
  for (const char *target : {"profiled", "add"}) {
    const bool profiled = std::string(target) == "profiled";
    cases.push_back({std::string("attach_profile ") + target + ": profile NULL",
                     [profiled](Env &e) {
                       return kiln_model_attach_profile(
                           profiled ? e.profiled : e.add, nullptr);
                     },
                     KILN_ERROR_INVALID_ARGUMENT,
                     {"kiln_model_attach_profile: profile is NULL"}});
    for (const Bad &b : bads) {
      const auto spoil = b.spoil;
      cases.push_back({std::string("attach_profile ") + target + ": " + b.what,
                       [profiled, spoil](Env &e) {
                         kiln_abi_profile p = validProfile();
                         spoil(p);
                         return kiln_model_attach_profile(
                             profiled ? e.profiled : e.add, &p);
                       },
                       KILN_ERROR_ABI, {b.message}});
    }
  }
}

std::vector<Case> allCases() {
  std::vector<Case> cases;
  addLoadCases(cases);
  addInfoCases(cases);
  addRunArgumentCases(cases);
  addInputCases(cases);
  addOutputCases(cases);
  addProfileCases(cases);
  return cases;
}

/// gtest parameter names: PREFIX + index + the case's description.
template <class P, char Prefix>
std::string paramName(const ::testing::TestParamInfo<P> &info) {
  std::string name = Prefix + std::to_string(1000 + info.index).substr(1) + "_";
  for (char ch : info.param.what)
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

/// Opens the fake models before each case and checks afterwards that no
/// model buffer leaked.
template <class P>
class MisuseFixture : public ::testing::TestWithParam<P> {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(env.open());
    env.baseline = fake_outstanding();
  }
  void TearDown() override {
    env.close();
    EXPECT_EQ(fake_outstanding(), env.baseline) << "a model buffer leaked";
  }
  Env env;
};
using Misuse = MisuseFixture<Case>;

TEST_P(Misuse, FailsWithStatusAndMessageAndLeavesModelsUsable) {
  const Case &c = GetParam();
  ASSERT_NE(c.expected, KILN_OK) << "a misuse case must expect an error";
  ASSERT_NO_FATAL_FAILURE(primeLastError());
  const kiln_status s = c.call(env);
  const std::string message = kiln_last_error();
  EXPECT_NE(s, KILN_OK) << "accepted: " << c.what;
  EXPECT_STREQ(kiln_status_string(s), kiln_status_string(c.expected));
  EXPECT_FALSE(message.empty());
  EXPECT_THAT(message, Not(HasSubstr(kPrimeMarker)))
      << "the failing call did not set its own message";
  for (const std::string &m : c.message)
    EXPECT_THAT(message, HasSubstr(m));
  env.expectNothingHandedOver();
  EXPECT_EQ(fake_outstanding(), env.baseline)
      << "the error path leaked a model buffer";
  expectModelsWork(env);
}

INSTANTIATE_TEST_SUITE_P(Matrix, Misuse, ::testing::ValuesIn(allCases()),
                         (paramName<Case, 'c'>));

// ---------------------------------------------------------------------------
// Functions that answer with a value instead of a status: the documented
// sentinel, and a message only where an argument is NULL.
struct Sentinel {
  std::string what;
  std::function<std::string(Env &)> call; // the answer, as a string
  std::string expected;
  std::string message; // "" : the call must leave kiln_last_error() alone
};

void PrintTo(const Sentinel &c, std::ostream *os) { *os << c.what; }

std::vector<Sentinel> allSentinels() {
  std::vector<Sentinel> v;
  auto num = [](int64_t n) { return std::to_string(n); };
  v.push_back({"kiln_model_name(NULL)",
               [](Env &) { return std::string(kiln_model_name(nullptr)); }, "",
               "kiln_model_name: model is NULL"});
  v.push_back({"kiln_model_num_inputs(NULL)",
               [=](Env &) { return num(kiln_model_num_inputs(nullptr)); }, "-1",
               "kiln_model_num_inputs: model is NULL"});
  v.push_back({"kiln_model_num_outputs(NULL)",
               [=](Env &) { return num(kiln_model_num_outputs(nullptr)); },
               "-1", "kiln_model_num_outputs: model is NULL"});
  v.push_back({"kiln_model_has_profile(NULL)",
               [=](Env &) { return num(kiln_model_has_profile(nullptr)); }, "0",
               "kiln_model_has_profile: model is NULL"});
  struct Find {
    const char *fn;
    int32_t (*find)(const kiln_model *, const char *);
    const char *otherSide; // a name of the other kind
  };
  for (Find f : {Find{"kiln_model_find_input", kiln_model_find_input, "out"},
                 Find{"kiln_model_find_output", kiln_model_find_output, "x"}}) {
    const std::string fn = f.fn;
    const auto find = f.find;
    v.push_back({fn + "(NULL, name)",
                 [=](Env &) { return num(find(nullptr, "x")); }, "-1",
                 fn + ": model is NULL"});
    v.push_back({fn + "(model, NULL)",
                 [=](Env &e) { return num(find(e.add, nullptr)); }, "-1",
                 fn + ": name is NULL"});
    v.push_back({fn + "(NULL, NULL)",
                 [=](Env &) { return num(find(nullptr, nullptr)); }, "-1",
                 fn + ": model is NULL"});
    // Not found is an answer, not a failure.
    const std::string other = f.otherSide;
    for (std::string name : {std::string(""), std::string("X"), other,
                             std::string("x "), std::string(1000, 'x')})
      v.push_back({fn + "(model, \"" + name.substr(0, 8) + "\")",
                   [=](Env &e) { return num(find(e.add, name.c_str())); },
                   "-1", ""});
  }
  v.push_back({"kiln_free(NULL)",
               [](Env &) {
                 kiln_free(nullptr);
                 return std::string();
               },
               "", ""});
  v.push_back({"kiln_model_free(NULL)",
               [](Env &) {
                 kiln_model_free(nullptr);
                 return std::string();
               },
               "", ""});
  for (int bad : {-1, 8 /* STRING */, 14, 15, 17, 77, INT32_MAX}) {
    v.push_back({"kiln_dtype_size(" + num(bad) + ")",
                 [=](Env &) {
                   return num(static_cast<int64_t>(
                       kiln_dtype_size(static_cast<kiln_dtype>(bad))));
                 },
                 "0", ""});
    v.push_back({"kiln_dtype_name(" + num(bad) + ")",
                 [=](Env &) {
                   return std::string(
                       kiln_dtype_name(static_cast<kiln_dtype>(bad)));
                 },
                 "unknown", ""});
  }
  v.push_back({"kiln_dtype_size(UNDEFINED)",
               [=](Env &) {
                 return num(static_cast<int64_t>(
                     kiln_dtype_size(KILN_DTYPE_UNDEFINED)));
               },
               "0", ""});
  for (int bad : {-1, 11, 99, INT32_MAX})
    v.push_back({"kiln_status_string(" + num(bad) + ")",
                 [=](Env &) {
                   return std::string(
                       kiln_status_string(static_cast<kiln_status>(bad)));
                 },
                 "KILN_ERROR_UNKNOWN", ""});
  return v;
}

using SentinelMisuse = MisuseFixture<Sentinel>;

TEST_P(SentinelMisuse, ReturnsTheDocumentedSentinel) {
  const Sentinel &c = GetParam();
  ASSERT_NO_FATAL_FAILURE(primeLastError());
  EXPECT_EQ(c.call(env), c.expected);
  const std::string message = kiln_last_error();
  if (c.message.empty()) {
    EXPECT_THAT(message, HasSubstr(kPrimeMarker))
        << "a call that did not fail changed kiln_last_error()";
  } else {
    EXPECT_THAT(message, Not(HasSubstr(kPrimeMarker)))
        << "the call did not set a message";
    EXPECT_THAT(message, HasSubstr(c.message));
  }
  expectModelsWork(env);
}

INSTANTIATE_TEST_SUITE_P(Matrix, SentinelMisuse,
                         ::testing::ValuesIn(allSentinels()), (paramName<Sentinel, 's'>));

} // namespace
