// The shared credentials/config file parser: any text parses or fails naming a line inside it.
#include "credentials/ini_file.hpp"

#include <algorithm>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace f = ddbcache::credentials_files;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto lines = static_cast<unsigned>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (f::file_kind kind : {f::file_kind::credentials, f::file_kind::config, f::file_kind::services}) {
        f::parse_error error;
        if (!f::parse(text, kind, error) && (error.line == 0 || error.line > lines || error.reason.empty())) std::abort();
    }
    return 0;
}
