# Makes the Debian packages with cpack, unpacks them (dpkg-deb -x) into a scratch root, and checks
# them as a user of each would: the tools run from it and print the version; the consumer project
# builds and runs against libddbcache-dev's files there, once with find_package(ddbcache)
# (CMAKE_PREFIX_PATH) and once with `pkg-config --cflags --libs ddbcache` (PKG_CONFIG_PATH, the .pc
# finding its prefix from its own place). Nothing is installed on the machine.
# Arguments: BUILD_DIR, CPACK_COMMAND, CONSUMER_SOURCE, WORK_DIR, VERSION, LIBDIR (CMAKE_INSTALL_LIBDIR),
# and the tree's CXX_COMPILER, COMPILER_LAUNCHER, CXX_FLAGS and LINKER_FLAGS.
include(${CMAKE_CURRENT_LIST_DIR}/consumer_steps.cmake)
file(REMOVE_RECURSE ${WORK_DIR})

run(${CPACK_COMMAND} -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}/packages)
file(GLOB dev_deb ${WORK_DIR}/packages/libddbcache-dev_${VERSION}_*.deb)
file(GLOB tools_deb ${WORK_DIR}/packages/ddbcache_${VERSION}_*.deb)
if(NOT dev_deb OR NOT tools_deb)
  file(GLOB made ${WORK_DIR}/packages/*.deb)
  message(FATAL_ERROR "cpack made ${made}; expected libddbcache-dev_${VERSION}_ARCH.deb and ddbcache_${VERSION}_ARCH.deb")
endif()

# The development package declares what ddbcacheConfig.cmake's find_dependency calls and ddbcache.pc need.
run_for_output(dev_depends dpkg-deb --field ${dev_deb} Depends)
foreach(needed libboost1.81-dev libboost-system1.81-dev libboost-url1.81-dev libssl-dev libsimdjson-dev zlib1g-dev
               libzstd-dev)
  string(FIND "${dev_depends}" "${needed}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "libddbcache-dev does not depend on ${needed}: Depends: ${dev_depends}")
  endif()
endforeach()
# The tools' dependencies are the shared libraries they link (dpkg-shlibdeps), OpenSSL's among them.
run_for_output(tools_depends dpkg-deb --field ${tools_deb} Depends)
if(NOT tools_depends MATCHES "libssl3")
  message(FATAL_ERROR "the ddbcache package does not depend on libssl3: Depends: ${tools_depends}")
endif()

set(root ${WORK_DIR}/root)
run(dpkg-deb -x ${dev_deb} ${root})
run(dpkg-deb -x ${tools_deb} ${root})

foreach(tool ddbcache ddbcache-bench)
  run_for_output(printed ${root}/usr/bin/${tool} --version)
  if(NOT printed STREQUAL "${tool} ${VERSION}")
    message(FATAL_ERROR "${tool} --version printed '${printed}', not '${tool} ${VERSION}'")
  endif()
endforeach()

# find_package(ddbcache), from the unpacked /usr only.
build_find_package_consumer(${root}/usr ${WORK_DIR}/cmake-build "")

# pkg-config, from the unpacked /usr only: the .pc's paths must lead into it.
set(ENV{PKG_CONFIG_PATH} ${root}/usr/${LIBDIR}/pkgconfig)
run_for_output(pc_flags pkg-config --cflags --libs ddbcache)
string(REGEX MATCH "^-I([^ ]+)" include_flag "${pc_flags}")
file(REAL_PATH "${CMAKE_MATCH_1}" include_dir)
file(REAL_PATH ${root}/usr/include unpacked_include_dir)
if(NOT include_dir STREQUAL unpacked_include_dir)
  message(FATAL_ERROR "pkg-config --cflags does not name the unpacked include directory first: ${pc_flags}")
endif()
run_for_output(pc_version pkg-config --modversion ddbcache)
if(NOT pc_version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config --modversion ddbcache is '${pc_version}', not '${VERSION}'")
endif()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
separate_arguments(linker_flags UNIX_COMMAND "${LINKER_FLAGS}")
file(MAKE_DIRECTORY ${WORK_DIR}/pkg-config-build)
run(${COMPILER_LAUNCHER} ${CXX_COMPILER} -std=c++20 -O1 ${cxx_flags} ${CONSUMER_SOURCE}/main.cpp ${pc_flags}
    ${linker_flags} -o ${WORK_DIR}/pkg-config-build/consumer)
run_for_output(printed ${WORK_DIR}/pkg-config-build/consumer)
string(FIND "${printed}" "${VERSION} " at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "the pkg-config consumer printed '${printed}', not the version ${VERSION} first")
endif()
message(STATUS "libddbcache-dev and ddbcache packages made; consumers built with find_package and pkg-config")
