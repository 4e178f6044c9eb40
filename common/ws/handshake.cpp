#include "ws/handshake.hpp"

#include "crypto/base64.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "http/response.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace rtc::ws {

namespace {

// RFC 6455 §1.3: the GUID every server appends to the client's key.
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Calls f(item) for each trimmed, non-empty element of a comma-separated list (RFC 9110 §5.6.1).
template <class F> void for_each_list_item(std::string_view list, F&& f) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (!item.empty())
            f(item);
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
}

bool list_has_token(std::string_view list, std::string_view token) {
    bool found = false;
    for_each_list_item(list, [&](std::string_view item) { found = found || iequals(item, token); });
    return found;
}

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

bool is_token_char(char c) {
    // RFC 9110 §5.6.2 tchar.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (!is_token_char(c))
            return false;
    return true;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (!is_token(name) || has_line_break(value))
        return; // never let a caller's value split the head
    out.append(name).append(": ").append(value).append("\r\n");
}

std::size_t count_fields(const http::Request& request, std::string_view name) {
    std::size_t n = 0;
    for (const auto& h : request.headers)
        if (iequals(h.name, name))
            ++n;
    return n;
}

} // namespace

std::string accept_key(std::string_view client_key) {
    crypto::Sha1 sha;
    sha.update({reinterpret_cast<const uint8_t*>(client_key.data()), client_key.size()});
    sha.update({reinterpret_cast<const uint8_t*>(kGuid.data()), kGuid.size()});
    const auto digest = sha.finish();
    return crypto::base64_encode(digest);
}

bool is_upgrade_request(const http::Request& request) {
    return request.method == "GET" && request.has_token("Upgrade", "websocket");
}

UpgradeCheck check_upgrade(const http::Request& request) {
    // RFC 6455 §4.2.1, in the order listed there.
    UpgradeCheck check;
    if (request.method != "GET") {
        check.error = "a WebSocket upgrade must be a GET";
        return check;
    }
    if (request.version_minor < 1) {
        check.error = "a WebSocket upgrade needs HTTP/1.1";
        return check;
    }
    if (!request.header("Host")) {
        check.error = "missing Host";
        return check;
    }
    if (!request.has_token("Upgrade", "websocket")) {
        check.error = "missing Upgrade: websocket";
        return check;
    }
    if (!request.has_token("Connection", "upgrade")) {
        check.error = "missing Connection: Upgrade";
        return check;
    }
    // RFC 6455 §11.3.1: exactly one key, the base64 of 16 bytes.
    const auto key = request.header("Sec-WebSocket-Key");
    if (!key || count_fields(request, "Sec-WebSocket-Key") != 1) {
        check.error = "missing or repeated Sec-WebSocket-Key";
        return check;
    }
    const auto decoded = crypto::base64_decode(*key);
    if (!decoded || decoded->size() != 16) {
        check.error = "Sec-WebSocket-Key is not 16 bytes in base64";
        return check;
    }
    // RFC 6455 §4.2.2 step 4 / §4.4: only version 13; say which one we speak.
    const auto version = request.header("Sec-WebSocket-Version");
    if (!version || *version != "13" || count_fields(request, "Sec-WebSocket-Version") != 1) {
        check.status = 426;
        check.error = "unsupported Sec-WebSocket-Version (13 is supported)";
        return check;
    }
    check.ok = true;
    check.status = 101;
    check.key = *key;
    return check;
}

std::vector<std::string_view> offered_protocols(const http::Request& request) {
    std::vector<std::string_view> out;
    for (const auto& h : request.headers)
        if (iequals(h.name, "Sec-WebSocket-Protocol"))
            for_each_list_item(h.value, [&](std::string_view item) { out.push_back(item); });
    return out;
}

void write_upgrade_response(std::string& out, std::string_view client_key,
                            std::string_view protocol,
                            const std::vector<std::pair<std::string, std::string>>& extra) {
    // RFC 6455 §4.2.2 step 5.
    out.append("HTTP/1.1 101 Switching Protocols\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n");
    append_field(out, "Sec-WebSocket-Accept", accept_key(client_key));
    if (!protocol.empty())
        append_field(out, "Sec-WebSocket-Protocol", protocol);
    for (const auto& [name, value] : extra)
        append_field(out, name, value);
    out.append("\r\n");
}

void write_upgrade_refusal(std::string& out, int status, std::string_view body,
                           const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<http::Header> fields;
    fields.reserve(extra.size() + 1);
    if (status == 426)
        fields.push_back({"Sec-WebSocket-Version", "13"}); // RFC 6455 §4.4
    for (const auto& [name, value] : extra)
        if (is_token(name))
            fields.push_back({name, value}); // write_response skips values with CR/LF
    http::write_response(out, {.status = status,
                               .content_type = "text/plain; charset=utf-8",
                               .body = body,
                               .keep_alive = false,
                               .extra_headers = fields});
}

ClientHandshake make_client_handshake(const ClientHandshakeOptions& options) {
    // RFC 6455 §4.1: a random 16-byte nonce, base64-encoded.
    std::array<uint8_t, 16> nonce{};
    crypto::random_bytes(nonce);
    ClientHandshake hs;
    hs.key = crypto::base64_encode(nonce);

    std::string& r = hs.request;
    const std::string_view target =
        options.target.empty() ? std::string_view("/") : std::string_view(options.target);
    r.append("GET ").append(has_line_break(target) ? "/" : target).append(" HTTP/1.1\r\n");
    append_field(r, "Host", options.host);
    r.append("Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n");
    append_field(r, "Sec-WebSocket-Key", hs.key);
    r.append("Sec-WebSocket-Version: 13\r\n");
    if (!options.origin.empty())
        append_field(r, "Origin", options.origin);
    std::string protocols;
    for (const auto& p : options.protocols) {
        if (!is_token(p))
            continue; // RFC 6455 §4.1: each subprotocol is a token
        if (!protocols.empty())
            protocols.append(", ");
        protocols.append(p);
    }
    if (!protocols.empty())
        append_field(r, "Sec-WebSocket-Protocol", protocols);
    for (const auto& [name, value] : options.headers)
        append_field(r, name, value);
    r.append("\r\n");
    return hs;
}

std::string_view ResponseHead::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequals(n, name))
            return v;
    return {};
}

HeadStatus parse_response_head(std::string_view input, ResponseHead& head, std::size_t& used,
                               std::size_t max_bytes) {
    used = 0;
    // The head ends at the first empty line (RFC 9112 §2.1); a bare LF ends lines too (§2.2).
    std::size_t end = std::string_view::npos;
    std::size_t line_start = 0;
    const std::size_t limit = std::min(input.size(), max_bytes);
    for (std::size_t i = 0; i < limit; ++i) {
        if (input[i] != '\n')
            continue;
        const std::size_t length = i - line_start;
        if (length == 0 || (length == 1 && input[line_start] == '\r')) {
            end = i + 1;
            break;
        }
        line_start = i + 1;
    }
    if (end == std::string_view::npos)
        return input.size() >= max_bytes ? HeadStatus::Error : HeadStatus::NeedMore;

    head = ResponseHead{};
    std::string_view rest = input.substr(0, end);
    auto next_line = [&rest]() {
        const std::size_t lf = rest.find('\n');
        std::string_view line = rest.substr(0, lf);
        rest.remove_prefix(lf + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        return line;
    };

    // RFC 9112 §4: HTTP/1.x SP 3DIGIT SP [reason]
    std::string_view status_line = next_line();
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[7] < '0' ||
        status_line[7] > '9' || status_line[8] != ' ')
        return HeadStatus::Error;
    int status = 0;
    const char* digits = status_line.data() + 9;
    const auto [ptr, ec] = std::from_chars(digits, digits + 3, status);
    if (ec != std::errc() || ptr != digits + 3 || status < 100 || status > 999)
        return HeadStatus::Error;
    if (status_line.size() > 12 && status_line[12] != ' ')
        return HeadStatus::Error;
    head.status = status;
    if (status_line.size() > 13)
        head.reason = std::string(trim(status_line.substr(13)));

    for (;;) {
        const std::string_view line = next_line();
        if (line.empty())
            break;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return HeadStatus::Error;
        const std::string_view name = line.substr(0, colon);
        if (!is_token(name)) // also refuses obsolete line folding (RFC 9112 §5.2)
            return HeadStatus::Error;
        head.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
    }
    used = end;
    return HeadStatus::Complete;
}

std::string verify_server_handshake(const ResponseHead& head, std::string_view key,
                                    const std::vector<std::string>& offered_protocols) {
    // RFC 6455 §4.1, the client's checks of the server's handshake.
    if (head.status != 101) {
        std::string error = "server answered " + std::to_string(head.status);
        const std::string_view reason =
            head.reason.empty() ? http::reason_phrase(head.status) : head.reason;
        if (!reason.empty() && reason != "Unknown")
            error.append(" ").append(reason);
        return error;
    }
    if (!list_has_token(head.header("Upgrade"), "websocket"))
        return "server answered 101 without Upgrade: websocket";
    if (!list_has_token(head.header("Connection"), "upgrade"))
        return "server answered 101 without Connection: Upgrade";
    if (head.header("Sec-WebSocket-Accept") != accept_key(key))
        return "server sent a wrong Sec-WebSocket-Accept";
    // No extension was offered, so none may be in use.
    for (const auto& [name, value] : head.headers)
        if (iequals(name, "Sec-WebSocket-Extensions") && !trim(value).empty())
            return "server selected an extension that was not offered";
    const std::string_view protocol = head.header("Sec-WebSocket-Protocol");
    if (!protocol.empty()) {
        bool offered = false;
        for (const auto& p : offered_protocols)
            offered = offered || p == protocol;
        if (!offered)
            return "server selected a subprotocol that was not offered";
    }
    return {};
}

} // namespace rtc::ws
