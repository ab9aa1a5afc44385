# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: the sanitizer runtime options for kiln's sanitizer builds.
# Settings already in the environment are kept after these (a later option wins).
_kiln_supp="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# oneTBB (inside the openvino wheel) dlopens libtbbbind with RTLD_DEEPBIND, which ASan and TSan refuse (they abort the
# process, google/sanitizers#611); this oneTBB switch makes it load without the flag.
export TBB_ENABLE_SANITIZERS=1
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$_kiln_supp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="suppressions=$_kiln_supp/tsan.supp:ignore_noninstrumented_modules=1:halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
unset _kiln_supp
