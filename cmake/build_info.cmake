# Writes the `allot` binary's build information (apps/allot/build_info.h):
# run at every build by the allot_build_info target, as a script
# (cmake -P) so the commit is read when the binary is built, not only when the
# tree was configured. configure_file() leaves the output alone when its text
# is unchanged, so a build on the same commit recompiles nothing and a new
# commit recompiles one small file and relinks `allot`.
#
# In: SOURCE_DIR, OUTPUT, VERSION. A tree without .git (a release tarball) or
# without git says "unknown". SOURCE_DATE_EPOCH, when set, fixes the date
# (reproducible builds); string(TIMESTAMP) reads it.
set(ALLOT_COMMIT "unknown")
find_program(GIT_PROGRAM git)
if(GIT_PROGRAM AND EXISTS "${SOURCE_DIR}/.git")
  # --match of a tag name that never occurs: always the bare commit, 12 hex
  # digits, "-dirty" when the work tree differs from it.
  execute_process(
    COMMAND "${GIT_PROGRAM}" -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
            --match "allot-no-such-tag"
    OUTPUT_VARIABLE described
    RESULT_VARIABLE result
    ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(result EQUAL 0 AND described MATCHES "^[0-9a-f]+(-dirty)?$")
    set(ALLOT_COMMIT "${described}")
  endif()
endif()
string(TIMESTAMP ALLOT_BUILD_DATE "%Y-%m-%d" UTC)
set(ALLOT_VERSION "${VERSION}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/build_info.cc.in" "${OUTPUT}" @ONLY)
