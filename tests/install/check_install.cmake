# Installs the build tree into a scratch prefix, then builds and runs the consumer project against it.
# Arguments: BUILD_DIR, CONSUMER_SOURCE, WORK_DIR, INSTALLS_CLI, and the tree's CXX_FLAGS and LINKER_FLAGS (a
# sanitizer build's library needs its runtime in the consumer too).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
# The command-line tool is installed and runs from the prefix (--help needs no server).
if(INSTALLS_CLI)
  run(${WORK_DIR}/prefix/bin/ddbcache --help)
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "find_package(ddbcache) consumer built and ran")
