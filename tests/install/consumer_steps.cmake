# What the package tests share (included by check_install.cmake and check_deb_package.cmake): running
# a step, and building and running the find_package consumer against an installed tree. They use the
# tree's CXX_COMPILER, COMPILER_LAUNCHER, CXX_FLAGS and LINKER_FLAGS (a sanitizer build's library
# needs its runtime in the consumer too).

# Runs a command; a failure stops the test, showing its output.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# Runs a command and sets `var` to its standard output, without the trailing newline.
function(run_for_output var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

# Configures, builds and runs the consumer project (CONSUMER_SOURCE) in `build_dir` with
# find_package(ddbcache) looking only in `prefix`; it also builds the examples in `examples_dir`
# when that is not empty.
function(build_find_package_consumer prefix build_dir examples_dir)
  run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${build_dir} -G Ninja
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release -DEXAMPLES_DIR=${examples_dir}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER}"
      "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
  run(${CMAKE_COMMAND} --build ${build_dir})
  run(${build_dir}/consumer)
endfunction()
