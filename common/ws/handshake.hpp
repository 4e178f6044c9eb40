#pragma once
// The WebSocket opening handshake (RFC 6455 §4), both sides, sans-I/O.
//
// Server:
//   auto check = rtc::ws::check_upgrade(request);      // request from http::RequestParser
//   if (!check.ok) reply(check.status, check.error);   // 400 / 426 with Sec-WebSocket-Version
//   rtc::ws::write_upgrade_response(out, check.key, "");
// Client:
//   auto hs = rtc::ws::make_client_handshake({.host = "example.org:443", .target = "/room"});
//   send(hs.request);
//   ResponseHead head; auto status = rtc::ws::parse_response_head(bytes, head, used);
//   auto error = rtc::ws::verify_server_handshake(head, hs.key);   // empty string: accepted
#include "http/request_parser.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::ws {

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (RFC 6455 §4.2.2 step 5.4).
std::string accept_key(std::string_view client_key);

// True if the request asks for a WebSocket (GET with "Upgrade: websocket"), valid or not.
bool is_upgrade_request(const http::Request& request);

struct UpgradeCheck {
    bool ok = false;
    int status = 400;       // when !ok: 400, or 426 for an unsupported Sec-WebSocket-Version
    std::string_view error; // when !ok: one line for the body and the log
    std::string_view key;   // when ok: Sec-WebSocket-Key (a view into the request)
};

// RFC 6455 §4.2.1: GET, HTTP/1.1, Host, "Upgrade: websocket", "Connection: Upgrade",
// Sec-WebSocket-Key that decodes to 16 bytes, Sec-WebSocket-Version 13.
UpgradeCheck check_upgrade(const http::Request& request);

// The offered subprotocols (Sec-WebSocket-Protocol, comma-separated, possibly several fields).
std::vector<std::string_view> offered_protocols(const http::Request& request);

// Appends "101 Switching Protocols" with Sec-WebSocket-Accept, and Sec-WebSocket-Protocol when
// `protocol` is not empty. Header lines holding CR or LF are skipped.
void write_upgrade_response(std::string& out, std::string_view client_key,
                            std::string_view protocol = {},
                            const std::vector<std::pair<std::string, std::string>>& extra = {});

// Appends the refusal of an upgrade: status, a text/plain body, "Connection: close", and for
// 426 "Sec-WebSocket-Version: 13" (RFC 6455 §4.4).
void write_upgrade_refusal(std::string& out, int status, std::string_view body,
                           const std::vector<std::pair<std::string, std::string>>& extra = {});

struct ClientHandshakeOptions {
    std::string host;   // Host field, with ":port" when not the scheme's default
    std::string target; // path and query, e.g. "/room?id=alice"
    std::string origin; // Origin field, omitted when empty
    std::vector<std::string> protocols; // Sec-WebSocket-Protocol offers
    std::vector<std::pair<std::string, std::string>> headers; // e.g. Authorization
};

struct ClientHandshake {
    std::string key;     // the random Sec-WebSocket-Key sent
    std::string request; // the whole request to write
};

ClientHandshake make_client_handshake(const ClientHandshakeOptions& options);

struct ResponseHead {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers; // names as received
    // The first field with this name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const;
};

enum class HeadStatus : uint8_t { NeedMore, Complete, Error };

// Parses a response status line and fields up to the blank line (at most `max_bytes`).
// On Complete, `used` is the length of the head; the bytes after it are WebSocket frames.
HeadStatus parse_response_head(std::string_view input, ResponseHead& head, std::size_t& used,
                               std::size_t max_bytes = 16 * 1024);

// RFC 6455 §4.1 (client's checks of the server's answer): 101, "Upgrade: websocket",
// "Connection: Upgrade", the right Sec-WebSocket-Accept, no extension, and a subprotocol only
// if it is one of `offered_protocols`. Empty when accepted, else the reason,
// e.g. "server answered 401 Unauthorized".
std::string verify_server_handshake(const ResponseHead& head, std::string_view key,
                                    const std::vector<std::string>& offered_protocols = {});

} // namespace rtc::ws
