// The umbrella header: the cache, and the DynamoDB client beneath it.
#pragma once

#include <ddbcache/attribute_value.hpp>
#include <ddbcache/cache.hpp>
#include <ddbcache/client.hpp>
#include <ddbcache/credentials.hpp>
#include <ddbcache/error.hpp>
#include <ddbcache/operations.hpp>
#include <ddbcache/stats.hpp>
#include <ddbcache/version.hpp>
