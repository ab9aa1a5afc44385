# Sanitizer and fuzzing builds (CMakePresets.json: asan, tsan, fuzz; scripts/sanitize.sh and scripts/fuzz.sh).
#   KILN_SANITIZE=address,undefined   ASan + UBSan on every target (clang or gcc); UBSan reports abort the program.
#   KILN_SANITIZE=thread              TSan (clang: its OpenMP runtime, libomp, is what the build links).
#   KILN_FUZZ=ON                      the libFuzzer targets in fuzz/ (clang only); kiln's libraries get
#                                     -fsanitize=fuzzer-no-link coverage, the targets link -fsanitize=fuzzer.
# Third-party libraries (OpenVINO, OpenBLAS, protobuf) are not instrumented: tools/sanitizers/ holds the suppression
# files for what they report, and scripts/sanitize.sh sets the *SAN_OPTIONS that name them.
set(KILN_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined or thread (empty: none)")
option(KILN_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)

if(KILN_SANITIZE)
  if(KILN_SANITIZE MATCHES "thread" AND KILN_SANITIZE MATCHES "address")
    message(FATAL_ERROR "kiln: KILN_SANITIZE=${KILN_SANITIZE}: thread and address cannot be combined")
  endif()
  add_compile_options(-fsanitize=${KILN_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${KILN_SANITIZE})
  if(KILN_SANITIZE MATCHES "undefined")
    # A UBSan report fails the test instead of scrolling past.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  message(STATUS "kiln: sanitizers: ${KILN_SANITIZE}")
endif()

if(KILN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "kiln: KILN_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
