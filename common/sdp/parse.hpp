#pragma once
// SDP text <-> SessionDescription (RFC 8866 §5). Input is untrusted: parse never throws, bounds
// sizes (kMaxSdpBytes, kMaxMediaSections, kMaxAttributesPerSection) and names the failing line.
#include "sdp/description.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rtc::sdp {

struct ParseResult {
    std::optional<SessionDescription> description;
    std::string error; // "line 7: bad a=rtpmap", set when description is empty

    explicit operator bool() const { return description.has_value(); }
};

// Accepts CRLF and LF line ends; tolerates unknown line types and attributes (kept verbatim).
ParseResult parse(std::string_view text);

// RFC 8866 §5 order, CRLF line ends. parse(serialize(d)) == d for every d that parse produced.
std::string serialize(const SessionDescription& sd);

} // namespace rtc::sdp
