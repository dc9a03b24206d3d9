//===- Options.h - kiln-compile's command-line syntax -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What kiln-compile needs beyond llvm::cl: parsers for -O<level> and
// --emit=<kind> with clear messages, LLVM's own option errors rewritten into
// the `kiln-compile: error: ...` format, --input-shape values, and the checks
// on -o that run before any expensive work.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_OPTIONS_H
#define KILN_TOOLS_KILN_COMPILE_OPTIONS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln::compile {

/// The tool's name in every message.
constexpr const char *kTool = "kiln-compile";

/// Prints "kiln-compile: error: <message>" to stderr.
void printError(const llvm::Twine &message);

/// The stages kiln-compile can stop after (--emit), in pipeline order.
enum class Emit { ONNX, NN, QDQONNX, Linalg, MLIR, LLVM, Asm, Obj, Lib, C };

/// --emit=<kind>: an unknown kind is an error that lists the valid ones.
class EmitParser : public llvm::cl::parser<Emit> {
public:
  using llvm::cl::parser<Emit>::parser;
  bool parse(llvm::cl::Option &o, llvm::StringRef argName, llvm::StringRef arg, Emit &value);
};

/// -O<level>, attached (-O0 .. -O3, as clang).  `-O` without a level,
/// `-Ofast` and anything else get a message saying what is accepted.
/// Use with cl::AlwaysPrefix and cl::ValueOptional (so that `-O` alone
/// reaches the parser instead of taking the next argument as its level).
class OptLevelParser : public llvm::cl::parser<char> {
public:
  using llvm::cl::parser<char>::parser;
  bool parse(llvm::cl::Option &o, llvm::StringRef argName, llvm::StringRef arg, char &value);
  // --help shows "-O <char>" as for any one-letter option with a value.
  void printOptionInfo(const llvm::cl::Option &o, size_t globalWidth) const;
};

/// --version: Kiln's version and commit, LLVM's version, the default target
/// and the host CPU.  (Here, not in kiln-compile.cpp: the generated
/// Version.h changes with every commit.)
void printVersion(llvm::raw_ostream &os);

/// llvm::cl::ParseCommandLineOptions with LLVM's messages ("for the --x
/// option: ...", "Unknown command line argument ...") rewritten into the
/// `kiln-compile: error: ...` format.  Returns false on an option error
/// (already reported).
bool parseCommandLine(int argc, char **argv, llvm::StringRef overview);

/// Parses "123", "64K", "512M", "16G", "1T" (powers of 1024); false if it
/// is not such a size.
bool parseSize(llvm::StringRef text, uint64_t &bytes);

/// Parses the --input-shape values "NAME=D0,D1,..." (or D0xD1x...) into
/// `shapes`; reports and returns false on a malformed value or a name given
/// twice.
bool parseInputShapes(llvm::ArrayRef<std::string> values,
                      std::map<std::string, std::vector<int64_t>> &shapes);

/// Whether `emit` writes binary data (object code, a library).
bool isBinary(Emit emit);

/// Checks, before any expensive work, that the output can be written:
/// binary output is not sent to a terminal, a library (which comes with a
/// header next to it) is not sent to stdout, the output is not a folder and
/// its folder exists and is writable.  Reports and returns false otherwise.
bool checkOutputPath(llvm::StringRef path, Emit emit);

} // namespace kiln::compile

#endif
