include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Two components, one Debian package each (cmake/packaging.cmake): "dev" (headers, libraries, CMake
# and pkg-config files: libddbcache-dev) and "tools" (ddbcache, ddbcache-bench: the ddbcache package).
install(TARGETS sigv4 ddbcache EXPORT ddbcacheTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
# prometheus.hpp only with its target (ddbcache::prometheus, when prometheus-cpp was found).
if(TARGET ddbcache_prometheus)
  install(DIRECTORY include/ddbcache DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
  install(TARGETS ddbcache_prometheus EXPORT ddbcachePrometheusTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  install(EXPORT ddbcachePrometheusTargets FILE ddbcachePrometheusTargets.cmake NAMESPACE ddbcache::
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache COMPONENT dev)
else()
  install(DIRECTORY include/ddbcache DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
          PATTERN prometheus.hpp EXCLUDE)
endif()
install(FILES ${PROJECT_BINARY_DIR}/include/ddbcache/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ddbcache COMPONENT dev)
install(DIRECTORY sigv4/include/sigv4 DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# sigv4 is exported under its own namespace, as the issue asks: sigv4::sigv4 and ddbcache::ddbcache.
install(EXPORT ddbcacheTargets FILE ddbcacheTargets.cmake NAMESPACE ddbcache::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache COMPONENT dev)
configure_package_config_file(cmake/ddbcacheConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache COMPONENT dev)

# ddbcache.pc, for builds without CMake: `pkg-config --cflags --libs ddbcache`. Its prefix is found
# from the file's own place (${pcfiledir}), so an unpacked or relocated tree works as well as /usr.
# The libraries are static, so Libs names what they need in turn; the Requires are the .pc files
# of the Debian packages the config file's find_dependency calls name (Boost has none).
file(RELATIVE_PATH DDBCACHE_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" DDBCACHE_PC_TO_PREFIX "${DDBCACHE_PC_TO_PREFIX}")
configure_file(cmake/ddbcache.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ddbcache.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ddbcache.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

include(cmake/packaging.cmake)
