// libFuzzer target for the HTTP/1.1 request parser: parsing the whole input at once and in
// small appended steps (in a buffer that moves) must agree, and nothing may read out of bounds.
#include "http/request_parser.hpp"
#include "http/response.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace rtc::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Small limits so the fuzzer reaches every limit quickly.
    const ParserLimits limits{
        .max_line = 200, .max_header_bytes = 1024, .max_headers = 8, .max_body = 256};

    RequestParser whole(limits);
    const ParseStatus status = whole.parse(input);

    RequestParser steps(limits);
    std::string buffer;
    ParseStatus step_status = ParseStatus::NeedMore;
    const std::size_t step = size == 0 ? 1 : data[0] % 13 + 1;
    for (std::size_t off = 0; off < size && step_status == ParseStatus::NeedMore; off += step) {
        std::string moved = buffer; // a fresh allocation: stale pointers would be caught by ASan
        moved.append(input.substr(off, step));
        buffer.swap(moved);
        step_status = steps.parse(buffer);
    }
    if (size == 0)
        step_status = steps.parse(buffer);
    if (status != step_status)
        __builtin_trap();

    if (status == ParseStatus::Complete) {
        const Request& a = whole.request();
        const Request& b = steps.request();
        if (whole.consumed() != steps.consumed() || a.method != b.method || a.target != b.target ||
            a.body != b.body || a.headers.size() != b.headers.size() || whole.consumed() > size)
            __builtin_trap();
        std::size_t sum = 0;
        for (const auto& h : a.headers)
            sum += h.name.size() + h.value.size();
        sum += a.header("host").value_or("").size() + a.path().size() + a.query().size();
        sum += a.keep_alive() ? 1 : 0;
        sum += a.has_token("connection", "upgrade") ? 1 : 0;
        std::string out;
        write_response(out, {.status = 200,
                             .content_type = a.target,
                             .body = a.body,
                             .keep_alive = a.keep_alive(),
                             .extra_headers = a.headers});
        if (out.size() + sum == 0)
            __builtin_trap();
    } else if (status == ParseStatus::Error) {
        if (whole.error() == ParseError::None || status_for(whole.error()) < 400)
            __builtin_trap();
    }
    return 0;
}
