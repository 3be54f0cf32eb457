# Installs the build tree into a scratch prefix, then builds and runs the consumer project against it;
# the consumer also builds every top-level example from the installed package (it does not run them:
# they need a server). Arguments: BUILD_DIR, CONSUMER_SOURCE, EXAMPLES_DIR, WORK_DIR, INSTALLS_TOOLS,
# the tree's CXX_COMPILER, COMPILER_LAUNCHER, CXX_FLAGS and LINKER_FLAGS (a sanitizer build's
# library needs its runtime in the consumer too).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
# The command-line tools are installed and run from the prefix (--help needs no server).
if(INSTALLS_TOOLS)
  run(${WORK_DIR}/prefix/bin/ddbcache --help)
  run(${WORK_DIR}/prefix/bin/ddbcache-bench --help)
endif()
# Only the prefix: the consumer must not see the source tree's include/ or src/.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release -DEXAMPLES_DIR=${EXAMPLES_DIR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "find_package(ddbcache) consumer built and ran; the examples built from the installed package")
