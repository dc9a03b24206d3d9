// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Tests of the kiln-run tool: writes ONNX TensorProto data sets with the
// protobuf API, runs kiln-run on the fake model libraries and checks exit
// codes (0 pass, 1 mismatch, 2 error) and reports.
#include <onnx/onnx_pb.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct Result {
  int code = -1;
  std::string output; // stdout + stderr
};

Result runKilnRun(const std::string &args) {
  Result r;
  std::string cmd = std::string("'") + KILN_RUN_EXE + "' " + args + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

onnx::TensorProto floatTensor(const std::string &name, std::vector<int64_t> dims,
                              const std::vector<float> &values, bool raw = true) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  if (raw)
    t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                               values.size() * sizeof(float)));
  else
    for (float v : values)
      t.add_float_data(v);
  return t;
}

class KilnRun : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-run-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
  }
  void TearDown() override { fs::remove_all(root); }

  std::string dataSet(const std::string &name) {
    fs::path d = root / name;
    fs::create_directories(d);
    return d.string();
  }
  void write(const std::string &dir, const std::string &file,
             const onnx::TensorProto &t) {
    std::ofstream out(dir + "/" + file, std::ios::binary);
    ASSERT_TRUE(t.SerializeToOstream(&out));
  }
  // A correct data set for fake_model_add: out[2,3] = x[2,3] + y[3].
  std::string addDataSet(const std::string &name, bool raw = true) {
    std::string d = dataSet(name);
    write(d, "input_0.pb", floatTensor("x", {2, 3}, {1, 2, 3, 4, 5, 6}, raw));
    write(d, "input_1.pb", floatTensor("y", {3}, {10, 20, 30}, raw));
    write(d, "output_0.pb",
          floatTensor("out", {2, 3}, {11, 22, 33, 14, 25, 36}, raw));
    return d;
  }
  fs::path root;
};

const std::string kAdd = std::string("'") + FAKE_ADD_SO + "'";
const std::string kMulti = std::string("'") + FAKE_MULTI_SO + "'";

TEST_F(KilnRun, HelpDocumentsEveryOption) {
  Result r = runKilnRun("--help");
  EXPECT_EQ(r.code, 0);
  for (const char *opt : {"--data-dir", "--rtol", "--atol", "--repeat",
                          "--warmup", "--batch", "--seed", "--profile",
                          "--profile-top", "--profile-json", "-v"})
    EXPECT_THAT(r.output, HasSubstr(opt));
}

TEST_F(KilnRun, UsageErrors) {
  EXPECT_EQ(runKilnRun("").code, 2);
  Result r = runKilnRun(kAdd + " --frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown option '--frobnicate'"));
  r = runKilnRun(kAdd + " --rtol abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("--rtol must be"));
  EXPECT_EQ(runKilnRun(kAdd + " --repeat 0").code, 2);
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir").code, 2);
  EXPECT_EQ(runKilnRun(kAdd + " " + kAdd).code, 2);
}

TEST_F(KilnRun, LoadErrors) {
  Result r = runKilnRun("/nonexistent/libmodel.so");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("KILN_ERROR_LOAD"));
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/libmodel.so"));
  r = runKilnRun(std::string("'") + FAKE_NOT_A_MODEL_SO + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("not a Kiln model library"));
}

TEST_F(KilnRun, PassingDataSetRawAndTypedFields) {
  Result r = runKilnRun(kAdd + " --data-dir " + addDataSet("raw"));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("output 0 'out' float [2,3]"));
  EXPECT_THAT(r.output, HasSubstr("mismatches 0/6 OK"));
  r = runKilnRun(kAdd + " -v --data-dir=" + addDataSet("typed", false));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("'x': float [?,3]")); // -v signature
}

TEST_F(KilnRun, InputsMatchedByName) {
  std::string d = dataSet("swapped");
  write(d, "input_0.pb", floatTensor("y", {3}, {10, 20, 30}));
  write(d, "input_1.pb", floatTensor("x", {1, 3}, {1, 2, 3}));
  write(d, "output_0.pb", floatTensor("out", {1, 3}, {11, 22, 33}));
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(KilnRun, MismatchReportsFirstIndexAndValues) {
  std::string d = addDataSet("wrong");
  write(d, "output_0.pb", floatTensor("out", {2, 3}, {11, 22, 33, 14, 26, 36}));
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("mismatches 1/6 FAIL"));
  EXPECT_THAT(r.output, HasSubstr("first at index 4 [1,1]: got 25, expected 26"));
  EXPECT_THAT(r.output, HasSubstr("max_abs_err 1 "));
}

TEST_F(KilnRun, Tolerances) {
  std::string d = addDataSet("close");
  write(d, "output_0.pb",
        floatTensor("out", {2, 3}, {11, 22, 33, 14, 25.1f, 36}));
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d).code, 1);
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d + " --rtol 1e-3").code, 1);
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d + " --rtol 1e-2").code, 0);
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d + " --rtol 0 --atol 0.2").code, 0);
}

TEST_F(KilnRun, NanMatchesNan) {
  std::string d = dataSet("nan");
  write(d, "input_0.pb", floatTensor("x", {1, 3}, {NAN, 1, 2}));
  write(d, "input_1.pb", floatTensor("y", {3}, {0, 0, 0}));
  write(d, "output_0.pb", floatTensor("out", {1, 3}, {NAN, 1, 2}));
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d).code, 0);
  write(d, "output_0.pb", floatTensor("out", {1, 3}, {0, 1, 2}));
  EXPECT_EQ(runKilnRun(kAdd + " --data-dir " + d).code, 1);
}

TEST_F(KilnRun, ShapeMismatchIsAFailure) {
  std::string d = addDataSet("shape");
  write(d, "output_0.pb", floatTensor("out", {3, 2}, {11, 22, 33, 14, 25, 36}));
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("shape mismatch: expected [3,2]"));
}

TEST_F(KilnRun, DataErrors) {
  std::string d = addDataSet("missing");
  fs::remove(d + "/input_1.pb");
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("has 1 input_<i>.pb files, but the model has 2"));

  d = addDataSet("malformed");
  { std::ofstream(d + "/input_0.pb") << "\xff\xff\xff this is not protobuf"; }
  r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("input_0.pb"));

  d = addDataSet("short");
  write(d, "input_0.pb", floatTensor("x", {2, 3}, {1, 2, 3}));
  r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("raw_data has 12 bytes"));

  d = addDataSet("dtype");
  onnx::TensorProto t;
  t.set_name("x");
  t.set_data_type(onnx::TensorProto::INT32);
  t.add_dims(1);
  t.add_dims(3);
  for (int v : {1, 2, 3})
    t.add_int32_data(v);
  write(d, "input_0.pb", t);
  r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("holds int32, the model expects float"));

  r = runKilnRun(kAdd + " --data-dir " + (root / "nope").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("does not exist"));
}

TEST_F(KilnRun, RuntimeShapeErrorIsReported) {
  std::string d = addDataSet("badshape");
  write(d, "input_0.pb", floatTensor("x", {2, 2}, {1, 2, 3, 4}));
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("KILN_ERROR_SHAPE"));
  EXPECT_THAT(r.output, HasSubstr("input 0 ('x'): dim 1 is 2, model expects 3"));
}

TEST_F(KilnRun, SeveralDataSets) {
  std::string good = addDataSet("good");
  std::string bad = addDataSet("bad");
  write(bad, "output_0.pb", floatTensor("out", {2, 3}, {0, 0, 0, 0, 0, 0}));
  Result r = runKilnRun(kAdd + " --data-dir " + good + " --data-dir " + bad);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 of 2 data sets passed"));
}

TEST_F(KilnRun, IntegerAndBoolOutputsAreExact) {
  std::string d = dataSet("multi");
  onnx::TensorProto a;
  a.set_name("a");
  a.set_data_type(onnx::TensorProto::INT32);
  a.add_dims(2);
  a.add_dims(2);
  for (int v : {1, -2, 3, 4})
    a.add_int32_data(v);
  write(d, "input_0.pb", a);
  onnx::TensorProto rowsum;
  rowsum.set_name("rowsum");
  rowsum.set_data_type(onnx::TensorProto::INT64);
  rowsum.add_dims(2);
  rowsum.add_int64_data(-1);
  rowsum.add_int64_data(7);
  write(d, "output_0.pb", rowsum);
  onnx::TensorProto pos;
  pos.set_name("positive");
  pos.set_data_type(onnx::TensorProto::BOOL);
  pos.add_dims(2);
  pos.add_dims(2);
  for (int v : {1, 0, 1, 1})
    pos.add_int32_data(v);
  write(d, "output_1.pb", pos);
  Result r = runKilnRun(kMulti + " --data-dir " + d);
  EXPECT_EQ(r.code, 0) << r.output;

  pos.set_int32_data(1, 1);
  write(d, "output_1.pb", pos);
  r = runKilnRun(kMulti + " --data-dir " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("got false, expected true"));
  rowsum.set_int64_data(0, -2);
  write(d, "output_0.pb", rowsum);
  r = runKilnRun(kMulti + " --data-dir " + d);
  EXPECT_THAT(r.output, HasSubstr("got -1, expected -2"));
}

TEST_F(KilnRun, RandomInputsBenchmark) {
  Result r = runKilnRun(kAdd + " --batch 4 --repeat 5 --warmup 1 --seed 7 -v");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("random input 0 'x' float [4,3]"));
  EXPECT_THAT(r.output, HasSubstr("output 0 'out' float [4,3]"));
  EXPECT_THAT(r.output, HasSubstr("latency over 5 runs"));
  r = runKilnRun(kMulti + " --repeat 2");
  EXPECT_EQ(r.code, 0) << r.output;
}

// A version 1.0 .npy file: the header numpy writes, padded to 64 bytes.
std::string npyBytes(const std::string &descr, const std::string &shape, const void *data,
                     size_t size) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  h.append(63 - (10 + h.size()) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + std::string(static_cast<const char *>(data), size);
}

std::string readFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --input a=FILE.npy and --save-outputs on a model with int32 input and
// int64, bool (column-major in the model) and rank-0 outputs: every output
// becomes NAME.npy with numpy's header for its dtype and shape, data in C
// order.
TEST_F(KilnRun, NpyInputAndSavedOutputsOfEveryDtype) {
  const int32_t a[6] = {1, -2, 3, -4, 5, 6}; // [2,3]
  {
    std::ofstream f(root / "a.npy", std::ios::binary);
    f << npyBytes("<i4", "(2, 3)", a, sizeof a);
  }
  const fs::path out = root / "saved" / "deeper";
  Result r = runKilnRun(kMulti + " --input a=" + (root / "a.npy").string() +
                        " --save-outputs " + out.string() + " --repeat 2 --warmup 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("saved output 0 'rowsum' int64 [2] to " +
                                  (out / "rowsum.npy").string()));
  EXPECT_THAT(r.output, HasSubstr("saved output 1 'positive' bool [2,3]"));
  EXPECT_THAT(r.output, HasSubstr("saved output 2 'count' int64 [] to"));
  const int64_t rowsum[2] = {2, 7};
  EXPECT_EQ(readFile(out / "rowsum.npy"), npyBytes("<i8", "(2,)", rowsum, sizeof rowsum));
  const uint8_t positive[6] = {1, 0, 1, 0, 1, 1};
  EXPECT_EQ(readFile(out / "positive.npy"),
            npyBytes("|b1", "(2, 3)", positive, sizeof positive));
  const int64_t count = 4;
  EXPECT_EQ(readFile(out / "count.npy"), npyBytes("<i8", "()", &count, sizeof count));
  // An input of another dtype: the error names both types.
  const int64_t a64[6] = {1, -2, 3, -4, 5, 6};
  {
    std::ofstream f(root / "a64.npy", std::ios::binary);
    f << npyBytes("<i8", "(2, 3)", a64, sizeof a64);
  }
  r = runKilnRun(kMulti + " --input a=" + (root / "a64.npy").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("holds int64, the model expects int32"));
  // The runtime checks the shape of a given input.
  {
    std::ofstream f(root / "a32.npy", std::ios::binary);
    f << npyBytes("<i4", "(3, 2)", a, sizeof a);
  }
  r = runKilnRun(kMulti + " --input a=" + (root / "a32.npy").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("KILN_ERROR_SHAPE"));
}

// Header variants numpy may write, and malformed headers.
TEST_F(KilnRun, NpyHeaders) {
  const float x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {10, 20, 30};
  auto save = [&](const std::string &file, const std::string &bytes) {
    std::ofstream f(root / file, std::ios::binary);
    f << bytes;
    return (root / file).string();
  };
  const std::string yFile = save("y.npy", npyBytes("<f4", "(3,)", y, sizeof y));
  auto runWith = [&](const std::string &xFile) {
    return runKilnRun(kAdd + " --input x=" + xFile + " --input y=" + yFile +
                      " --save-outputs " + (root / "o").string() + " --repeat 1 --warmup 0");
  };
  // Key order, quotes and spacing vary between numpy versions.
  std::string header = "{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string v1("\x93NUMPY\x01\x00", 8);
  v1 += static_cast<char>(header.size());
  v1 += '\0';
  Result r = runWith(save("x1.npy", v1 + header + std::string(reinterpret_cast<const char *>(x), sizeof x)));
  ASSERT_EQ(r.code, 0) << r.output;
  const float sum[6] = {11, 22, 33, 14, 25, 36};
  EXPECT_EQ(readFile(root / "o" / "out.npy"), npyBytes("<f4", "(2, 3)", sum, sizeof sum));

  const std::string good = npyBytes("<f4", "(2, 3)", x, sizeof x);
  struct Bad {
    std::string bytes, message;
  } bad[] = {
      {good.substr(0, 9), "is not a .npy file"},
      {std::string(good).replace(6, 1, "\x04"), ".npy version 4.0 is not supported"},
      {npyBytes("<f4", "(2, -3)", x, sizeof x), "shape must hold non-negative integers"},
      {npyBytes("<f4", "[2, 3]", x, sizeof x), "shape must be a tuple"},
      {npyBytes("<f4", "(2, 3)", x, sizeof x - 1), "has 23 data bytes, but its shape and '<f4' need 24"},
      {npyBytes("<c8", "(2, 3)", x, sizeof x), "dtype '<c8' is not supported"},
      {npyBytes(">f8", "(2, 3)", x, sizeof x), "big-endian data ('>f8') is not supported"},
      {npyBytes("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 1)", x, 4), "rank 9 exceeds the maximum of 8"},
      {npyBytes("<f4", "(2, 3)", x, sizeof x).replace(11, 5, "xxxxx"), "malformed .npy header (expected 'key':)"},
      {npyBytes("<f4", "(2, 3)", x, sizeof x).replace(20, 5, "[(1)]"), "the dtype is not a plain numeric type"},
  };
  for (const Bad &b : bad) {
    r = runWith(save("bad.npy", b.bytes));
    EXPECT_EQ(r.code, 2) << b.message;
    EXPECT_THAT(r.output, HasSubstr(b.message));
  }
}

// A data set without output_<j>.pb files is run but not reported as passed.
TEST_F(KilnRun, DataSetWithoutReferenceOutputs) {
  std::string d = dataSet("noref");
  write(d, "input_0.pb", floatTensor("x", {2, 3}, {1, 2, 3, 4, 5, 6}));
  write(d, "input_1.pb", floatTensor("y", {3}, {10, 20, 30}));
  Result r = runKilnRun(kAdd + " --data-dir " + d);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no reference outputs (no output_<j>.pb files): nothing compared"));
  EXPECT_THAT(r.output, Not(HasSubstr("PASS")));
  EXPECT_THAT(r.output, HasSubstr("0 of 1 data sets passed; 1 had no reference outputs"));
}

TEST_F(KilnRun, TimingPercentilesAndThroughput) {
  Result r = runKilnRun(kAdd + " --batch 8 --repeat 7 --warmup 0");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("latency over 7 runs (after 0 warmup): min "));
  EXPECT_THAT(r.output, HasSubstr("percentiles: p50 "));
  EXPECT_THAT(r.output, HasSubstr("samples/s at batch 8 (one run at a time, "));
}

// The fake profiled model adds exactly 1000 ns and 2000 FLOPs to node
// "x_plus_y" (Add) and 10 ns to "(unattributed)" per run, so the report's
// figures are exact (2 GFLOP/s; the % of the measured peak varies).
TEST_F(KilnRun, ProfileTablesFromKnownCounters) {
  const std::string prof = std::string("'") + FAKE_PROFILED_SO + "'";
  const std::string json = (root / "p.json").string();
  Result r = runKilnRun(prof + " --profile --repeat 4 --warmup 2 --profile-json " + json);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("profile of model 'fake_add' over 4 runs"));
  EXPECT_THAT(r.output, HasSubstr("per node (2 of 2, by time):"));
  // total 4000 ns = 0.004 ms, 0.001 ms/run, 1000/1010 = 99.01 %.
  EXPECT_THAT(r.output, HasSubstr("     0.004     0.0010  99.01%        4      2.00 "));
  EXPECT_THAT(r.output, HasSubstr("%  Add                    x_plus_y\n"));
  EXPECT_THAT(r.output, HasSubstr("     0.000     0.0000   0.99%        4         -       -  (none)"
                                  "                 (unattributed)\n"));
  EXPECT_THAT(r.output, HasSubstr("     0.004     0.0010  99.01%        4      1      2.00 "));
  EXPECT_THAT(r.output, HasSubstr("sum of all entries 0.0010 ms/run"));
  EXPECT_THAT(r.output, HasSubstr("convolutions and matrix products: 0.000 GFLOP/run in 0.0010 "
                                  "ms/run, 2.00 GFLOP/s = "));
  std::ifstream in(json);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("\"runs\": 4,"));
  EXPECT_THAT(text, HasSubstr("{\"name\": \"x_plus_y\", \"op_type\": \"Add\", \"ns\": 4000, "
                              "\"calls\": 4, \"ms_per_run\": 0.001000, \"percent\": 99.0099, "
                              "\"flops\": 8000, \"gflops_per_s\": 2.0000, \"percent_of_peak\": "));
  EXPECT_THAT(text, HasSubstr("\"flops\": 0, \"gflops_per_s\": null, \"percent_of_peak\": null}"));
  EXPECT_THAT(text, HasSubstr("\"peak_gflops_per_s\": "));
  EXPECT_THAT(text, HasSubstr("\"profiled_ms_per_run\": 0.001010,"));
  // --profile-top 1 lists one node; the per-op-type table stays complete.
  r = runKilnRun(prof + " --profile --profile-top 1 --repeat 1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("per node (1 of 2, by time):"));
  EXPECT_THAT(r.output, HasSubstr("1      1         -       -  (none)"));
  // With --data-dir, the profile covers the data-set runs.
  r = runKilnRun(prof + " --profile --data-dir " + addDataSet("a") + " --data-dir " +
                 addDataSet("b"));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("over 2 runs"));
  EXPECT_THAT(r.output, HasSubstr("     0.002     0.0010  99.01%        2      2.00 "));
  // A model without a profile.
  r = runKilnRun(kAdd + " --profile");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("KILN_ERROR_NO_PROFILE"));
  EXPECT_THAT(r.output, HasSubstr("compile it with kiln-compile --profile"));
  EXPECT_EQ(runKilnRun(prof + " --profile-top -1").code, 2);
}

// ONNX's own backend test data, when libonnx-testdata is installed.
TEST_F(KilnRun, OnnxBackendTestData) {
  const std::string dir =
      "/usr/share/libonnx-testdata/data/node/test_add_bcast/test_data_set_0";
  if (!fs::exists(dir))
    GTEST_SKIP() << dir << " not installed";
  Result r = runKilnRun(std::string("'") + FAKE_ADD_BCAST_SO + "' --data-dir " + dir);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("output 0 'sum' float [3,4,5]"));
}

} // namespace
