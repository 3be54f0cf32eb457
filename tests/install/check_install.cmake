# Installs the build tree into a scratch prefix, then builds and runs the consumer project against it;
# the consumer also builds every top-level example from the installed package (it does not run them:
# they need a server). Arguments: BUILD_DIR, CONSUMER_SOURCE, EXAMPLES_DIR, WORK_DIR, INSTALLS_TOOLS,
# the tree's CXX_COMPILER, COMPILER_LAUNCHER, CXX_FLAGS and LINKER_FLAGS (a sanitizer build's
# library needs its runtime in the consumer too).
include(${CMAKE_CURRENT_LIST_DIR}/consumer_steps.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
# The command-line tools are installed and run from the prefix (--help needs no server).
if(INSTALLS_TOOLS)
  run(${WORK_DIR}/prefix/bin/ddbcache --help)
  run(${WORK_DIR}/prefix/bin/ddbcache-bench --help)
endif()
# Only the prefix: the consumer must not see the source tree's include/ or src/.
build_find_package_consumer(${WORK_DIR}/prefix ${WORK_DIR}/build ${EXAMPLES_DIR})
message(STATUS "find_package(ddbcache) consumer built and ran; the examples built from the installed package")
