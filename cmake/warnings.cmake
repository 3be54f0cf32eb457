# Warnings for the project's own targets only; consumers of the installed package get none of these.
function(ddbcache_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
endfunction()
