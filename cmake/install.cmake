include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS sigv4 ddbcache EXPORT ddbcacheTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# prometheus.hpp only with its target (ddbcache::prometheus, when prometheus-cpp was found).
if(TARGET ddbcache_prometheus)
  install(DIRECTORY include/ddbcache DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS ddbcache_prometheus EXPORT ddbcachePrometheusTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT ddbcachePrometheusTargets FILE ddbcachePrometheusTargets.cmake NAMESPACE ddbcache::
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache)
else()
  install(DIRECTORY include/ddbcache DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} PATTERN prometheus.hpp EXCLUDE)
endif()
install(FILES ${PROJECT_BINARY_DIR}/include/ddbcache/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ddbcache)
install(DIRECTORY sigv4/include/sigv4 DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# sigv4 is exported under its own namespace, as the issue asks: sigv4::sigv4 and ddbcache::ddbcache.
install(EXPORT ddbcacheTargets FILE ddbcacheTargets.cmake NAMESPACE ddbcache::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache)
configure_package_config_file(cmake/ddbcacheConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ddbcacheConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ddbcache)
