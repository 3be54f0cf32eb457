# Debian packages, made by `cpack -G DEB` in a build tree (after the build):
#   libddbcache-dev  the "dev" component: headers, static libraries, CMake config, ddbcache.pc.
#                    Depends on the -dev packages its find_dependency calls (ddbcacheConfig.cmake)
#                    and ddbcache.pc's Requires and Libs need.
#   ddbcache         the "tools" component: the ddbcache and ddbcache-bench commands; its
#                    dependencies are the shared libraries they link, found by dpkg-shlibdeps.
# The packages install under /usr (CPACK_PACKAGING_INSTALL_PREFIX), whatever CMAKE_INSTALL_PREFIX
# the tree was configured with. tests/install's deb_package_then_consumers builds both and uses them.
set(CPACK_PACKAGE_NAME ddbcache)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ddbcache maintainers")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL dev)
if(TARGET ddbcache-cli)
  list(APPEND CPACK_COMPONENTS_ALL tools) # built with DDBCACHE_BUILD_EXAMPLES
endif()

set(CPACK_DEB_COMPONENT_INSTALL ON)
# Each package's synopsis is the first line of its own description (not one shared summary).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libddbcache-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "C++20 DynamoDB-backed cache for Boost.Asio: headers and static libraries
The ddbcache and sigv4 libraries with their CMake package (find_package(ddbcache)) and
pkg-config file (ddbcache.pc).")
# Boost 1.81 (Asio, Boost.System, Boost.URL), OpenSSL 3, simdjson, zlib and zstd 1.5, as
# ddbcacheConfig.cmake finds them (keep the two lists, and ddbcache.pc's Requires, alike).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-system1.81-dev, libboost-url1.81-dev, libssl-dev (>= 3), libsimdjson-dev, zlib1g-dev, libzstd-dev (>= 1.5)")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "prometheus-cpp-dev")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ddbcache)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION database)
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "DynamoDB-backed cache: command-line tools
ddbcache reads and writes a cache table from the shell (compatible with Python cachelib);
ddbcache-bench measures it.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
# The tools without their debug information (CMake strips executables only: the static libraries
# keep theirs).
set(CPACK_STRIP_FILES ON)
include(CPack)
