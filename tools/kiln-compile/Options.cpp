//===- Options.cpp - kiln-compile's command-line syntax -------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "Options.h"
#include "kiln/Version.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cstdio>
#include <unistd.h>

using namespace llvm;
using namespace kiln::compile;

void kiln::compile::printError(const Twine &message) {
  errs() << kTool << ": error: " << message << "\n";
}

void kiln::compile::printVersion(raw_ostream &os) {
  os << kiln::versionString(kTool) << "Default target: " << sys::getDefaultTargetTriple()
     << "\nHost CPU: " << sys::getHostCPUName() << "\n";
}

//===----------------------------------------------------------------------===//
// -O<level> and --emit=<kind>
//===----------------------------------------------------------------------===//

bool EmitParser::parse(cl::Option &o, StringRef argName, StringRef arg, Emit &value) {
  for (const auto &v : Values) {
    if (v.Name == arg) {
      value = v.V.getValue();
      return false;
    }
  }
  std::string valid;
  for (const auto &v : Values)
    valid += (valid.empty() ? "" : ", ") + v.Name.str();
  printError("unknown --" + argName + " kind '" + arg + "' (valid: " + valid + ")");
  return true;
}

bool OptLevelParser::parse(cl::Option &o, StringRef argName, StringRef arg, char &value) {
  if (arg.size() == 1 && arg[0] >= '0' && arg[0] <= '3') {
    value = arg[0];
    return false;
  }
  if (arg.empty())
    printError("-O needs a level, attached: -O0, -O1, -O2 (the default) or -O3");
  else if (arg == "fast")
    printError("-Ofast is not supported: Kiln keeps IEEE floating-point semantics "
               "(no fast-math); -O3 is the highest level");
  else
    printError("invalid optimization level -O" + arg + " (expected -O0..-O3)");
  return true;
}

void OptLevelParser::printOptionInfo(const cl::Option &o, size_t globalWidth) const {
  outs() << "  -" << o.ArgStr << " <" << (o.ValueStr.empty() ? getValueName() : o.ValueStr) << '>';
  cl::Option::printHelpStr(o.HelpStr, globalWidth, getOptionWidth(o));
}

//===----------------------------------------------------------------------===//
// LLVM's option errors in Kiln's format
//===----------------------------------------------------------------------===//

namespace {
std::string lowerFirst(StringRef s) {
  std::string out = s.str();
  if (!out.empty() && isUpper(out[0]) && !(out.size() > 1 && isUpper(out[1])))
    out[0] = toLower(out[0]);
  return out;
}

/// One line that llvm::cl printed, as Kiln prints it; empty to drop it.
std::string rewriteLine(StringRef line, StringRef prog) {
  std::string tool = std::string(kTool) + ": ";
  if (line.starts_with("Can specify at most"))
    return ""; // second line of "Too many positional arguments"
  if (!line.consume_front(prog) || !line.consume_front(": "))
    return line.str();
  if (line.starts_with("error: ") || line.starts_with("note: ") || line.starts_with("warning: "))
    return tool + line.str();
  if (line.consume_front("for the ")) {
    auto [opt, msg] = line.split(" option: ");
    msg = msg.rtrim().rtrim('!');
    if (msg == "requires a value")
      return tool + "error: " + opt.str() + " needs a value";
    if (msg.consume_front("Cannot find option named ")) {
      if (opt.starts_with("--mlir-print-ir-"))
        return tool + "error: " + opt.str() + ": unknown pass " + msg.str() +
               " (pass names as kiln-opt --help lists them, e.g. kiln-nn-fuse-epilogue, "
               "canonicalize)";
      return tool + "error: " + opt.str() + ": unknown value " + msg.str();
    }
    return tool + "error: " + opt.str() + ": " + lowerFirst(msg);
  }
  if (line.consume_front("Unknown command line argument '")) {
    StringRef arg = line.substr(0, line.find("'.  Try"));
    return tool + "error: unknown option '" + arg.str() + "' (kiln-compile --help lists them)";
  }
  if (line.consume_front("Did you mean "))
    return tool + "note: did you mean " + line.str();
  if (line.starts_with("Too many positional arguments"))
    return tool + "error: more than one input file (usage: kiln-compile model.onnx -o libmodel.so)";
  return tool + "error: " + lowerFirst(line.rtrim().rtrim('!'));
}
} // namespace

bool kiln::compile::parseCommandLine(int argc, char **argv, StringRef overview) {
  // llvm::cl reports a bad option value through Option::error(), which
  // writes to stderr directly: capture stderr while parsing and rewrite
  // what it printed.  (--help and --version print to stdout and exit.)
  errs().flush();
  std::FILE *capture = std::tmpfile();
  int savedStderr = capture ? ::dup(STDERR_FILENO) : -1;
  if (savedStderr < 0) {
    if (capture)
      std::fclose(capture);
    return cl::ParseCommandLineOptions(argc, argv, overview); // exits on error
  }
  ::dup2(::fileno(capture), STDERR_FILENO);
  bool ok = cl::ParseCommandLineOptions(argc, argv, overview, &errs());
  errs().flush();
  ::dup2(savedStderr, STDERR_FILENO);
  ::close(savedStderr);
  std::string text;
  std::rewind(capture);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), capture)) > 0;)
    text.append(buf, n);
  std::fclose(capture);
  if (ok) {
    errs() << text;
    return true;
  }
  StringRef prog = sys::path::filename(argv[0]);
  SmallVector<StringRef> lines;
  StringRef(text).split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines) {
    std::string out = rewriteLine(line, prog);
    if (!out.empty())
      errs() << out << "\n";
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

bool kiln::compile::parseSize(StringRef text, uint64_t &bytes) {
  unsigned shift = 0;
  if (!text.empty()) {
    switch (toUpper(text.back())) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    }
  }
  if (shift)
    text = text.drop_back();
  uint64_t v;
  if (text.empty() || text.getAsInteger(10, v) || v == 0 || (shift && v > (~uint64_t(0) >> shift)))
    return false;
  bytes = v << shift;
  return true;
}

bool kiln::compile::parseInputShapes(ArrayRef<std::string> values,
                                     std::map<std::string, std::vector<int64_t>> &shapes) {
  for (StringRef v : values) {
    // ONNX names may contain '=' but sizes do not: split at the last one.
    size_t eq = v.rfind('=');
    if (eq == StringRef::npos || eq == 0 || eq + 1 == v.size()) {
      printError("--input-shape '" + v +
                 "': expected NAME=D0,D1,... (e.g. --input-shape input=1,3,224,224)");
      return false;
    }
    StringRef name = v.take_front(eq), text = v.drop_front(eq + 1);
    SmallVector<StringRef> parts;
    text.split(parts, text.contains(',') ? ',' : 'x');
    std::vector<int64_t> dims;
    for (StringRef p : parts) {
      int64_t d;
      if (p.trim().getAsInteger(10, d) || d < 1) {
        printError("--input-shape " + v + ": '" + p +
                   "' is not a dimension size (a positive integer)");
        return false;
      }
      dims.push_back(d);
    }
    if (!shapes.emplace(name.str(), std::move(dims)).second) {
      printError("--input-shape: input '" + name + "' is given twice");
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// -o
//===----------------------------------------------------------------------===//

bool kiln::compile::isBinary(Emit emit) { return emit == Emit::Obj || emit == Emit::Lib; }

bool kiln::compile::checkOutputPath(StringRef path, Emit emit) {
  if (path == "-") {
    if (emit == Emit::C) {
      printError("--emit=c cannot write to stdout: the C file comes with a header written "
                 "next to it; give a file (-o model.c)");
      return false;
    }
    if (emit == Emit::Lib) {
      printError("--emit=lib cannot write to stdout: a library comes with a C header "
                 "written next to it; give a file (-o libmodel.so, or -o libmodel.a for a "
                 "static library)");
      return false;
    }
    if (isBinary(emit) && sys::Process::StandardOutIsDisplayed()) {
      printError("not writing an object file to the terminal; redirect stdout or give a "
                 "file with -o");
      return false;
    }
    return true;
  }
  if (sys::fs::is_directory(path)) {
    printError("-o " + path + ": is a folder; give a file name");
    return false;
  }
  SmallString<256> dir(sys::path::parent_path(path));
  if (dir.empty())
    dir = ".";
  if (!sys::fs::exists(dir)) {
    printError("-o " + path + ": folder '" + dir + "' does not exist");
    return false;
  }
  if (!sys::fs::is_directory(dir)) {
    printError("-o " + path + ": '" + dir + "' is not a folder");
    return false;
  }
  if (sys::fs::exists(path) ? !!sys::fs::access(path, sys::fs::AccessMode::Write)
                            : !!sys::fs::access(dir, sys::fs::AccessMode::Write)) {
    printError("-o " + path + ": permission denied");
    return false;
  }
  if (emit == Emit::Lib || emit == Emit::C) {
    if (emit == Emit::C && sys::path::extension(path) == ".h") {
      printError("-o " + path + ": the C file's header is written next to it with the "
                 "extension .h; give a .c file");
      return false;
    }
    SmallString<256> header(path);
    sys::path::replace_extension(header, ".h");
    if (sys::fs::is_directory(header)) {
      printError("-o " + path + ": the header's path '" + header + "' is a folder");
      return false;
    }
  }
  return true;
}
