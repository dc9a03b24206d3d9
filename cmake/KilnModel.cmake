# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# kiln_add_model(): compile an ONNX model with kiln-compile at build time
# (docs/runtime.md#cmake-package).  Installed with the CMake package and
# included by KilnConfig.cmake.
#
#   kiln_add_model(<target> MODEL <model.onnx>
#                  [STATIC] [OPT <-O0|-O1|-O2|-O3>] [ARGS <kiln-compile args>...])
#
# Runs `kiln-compile <model.onnx> <OPT> <ARGS> -o lib<target>.so` (or `.a`
# with STATIC) into ${CMAKE_CURRENT_BINARY_DIR}/kiln/<target>/, again
# whenever the model or kiln-compile changes, and defines <target>, an
# INTERFACE library that carries
#   - the include directory of the generated header lib<target>.h,
#   - the model library itself, linked with its directory on the rpath
#     (shared), or the archive, libomp (its parallel loops) and libm
#     (STATIC),
#   - the runtime: Kiln::runtime, or Kiln::runtime_static with STATIC.
# A program that links <target> calls kiln_model_from_abi(kiln_model_abi_v1(), &m)
# (or the names --name gives).  The variables <target>_LIBRARY and
# <target>_HEADER hold the paths of the generated files.
function(kiln_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 KM "STATIC" "MODEL;OPT" "ARGS")
  if(KM_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_model(${target}): unknown arguments: ${KM_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT KM_MODEL)
    message(FATAL_ERROR "kiln_add_model(${target}): MODEL <file.onnx> is required")
  endif()
  if(NOT TARGET Kiln::kiln-compile)
    message(FATAL_ERROR "kiln_add_model(${target}): Kiln::kiln-compile is not defined (find_package(Kiln) first)")
  endif()
  get_filename_component(model "${KM_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(opt "${KM_OPT}")
  if(opt STREQUAL "")
    set(opt -O3)
  elseif(NOT opt MATCHES "^-O[0-3]$")
    message(FATAL_ERROR "kiln_add_model(${target}): OPT must be -O0, -O1, -O2 or -O3, got '${opt}'")
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/kiln/${target}")
  if(KM_STATIC)
    set(lib "${dir}/lib${target}.a")
  else()
    set(lib "${dir}/lib${target}.so")
  endif()
  set(header "${dir}/lib${target}.h")
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${lib}" "${header}"
    COMMAND Kiln::kiln-compile "${model}" ${opt} ${KM_ARGS} -o "${lib}"
    DEPENDS "${model}" Kiln::kiln-compile
    COMMENT "kiln-compile ${KM_MODEL} -> lib${target}"
    VERBATIM)
  add_custom_target(${target}_kiln_compile DEPENDS "${lib}" "${header}")

  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_kiln_compile)
  target_include_directories(${target} INTERFACE "${dir}")
  if(KM_STATIC)
    # The parallel loops of the generated code call the OpenMP runtime
    # (kiln-compile --parallel, the default): LLVM's libomp.
    find_library(KILN_OMP_LIBRARY NAMES omp libomp.so.5 HINTS /usr/lib/llvm-22/lib)
    if(NOT KILN_OMP_LIBRARY)
      message(FATAL_ERROR "kiln_add_model(${target} STATIC): libomp not found "
                          "(package libomp-22-dev), or pass ARGS --parallel=false")
    endif()
    target_link_libraries(${target} INTERFACE "${lib}" Kiln::runtime_static "${KILN_OMP_LIBRARY}" m)
  else()
    # The generated library has no SONAME: an imported target with
    # IMPORTED_NO_SONAME is linked as -l<name> with its directory on the
    # rpath, so the program records "lib<target>.so", not a build path.
    add_library(${target}_kiln_library SHARED IMPORTED)
    set_target_properties(${target}_kiln_library PROPERTIES
      IMPORTED_LOCATION "${lib}"
      IMPORTED_NO_SONAME TRUE)
    target_link_libraries(${target} INTERFACE ${target}_kiln_library Kiln::runtime)
  endif()
  set(${target}_LIBRARY "${lib}" PARENT_SCOPE)
  set(${target}_HEADER "${header}" PARENT_SCOPE)
endfunction()
