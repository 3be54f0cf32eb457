# Warnings for the project's own targets only; consumers of the installed package get none of these.
function(ddbcache_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  # GCC 12 reports Asio's coroutine-frame allocator (operator new paired with its own free) as a
  # mismatch: a known false positive, raised where our coroutines instantiate it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
endfunction()
