// The DynamoDB response parser: any body, read as each result type, fails cleanly or succeeds.
#include "dynamodb/operations_json.hpp"
#include "fuzz_input.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ddbcache::fuzz::input in(data, size);
    const std::uint8_t kind = in.byte();
    std::string body(in.rest());
    namespace d = ddbcache;
    switch (kind % 7) {
    case 0: { d::get_item_result r; (void)d::dynamodb::read_result(body, r); break; }
    case 1: { d::write_item_result r; (void)d::dynamodb::read_result(body, r); break; }
    case 2: { d::batch_get_item_result r; (void)d::dynamodb::read_result(body, r); break; }
    case 3: { d::batch_write_item_result r; (void)d::dynamodb::read_result(body, r); break; }
    case 4: { d::scan_result r; (void)d::dynamodb::read_result(body, r); break; }
    case 5: { d::table_description r; (void)d::dynamodb::read_result(body, r); break; }
    default: { d::time_to_live_result r; (void)d::dynamodb::read_result(body, r); break; }
    }
    return 0;
}
