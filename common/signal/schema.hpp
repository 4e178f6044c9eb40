#pragma once
// The rtc-signal message schema, version 1: JSON text messages over one WebSocket per peer.
// (man rtc-signal documents it for users; this file is the single place the code spells it.)
//
// Server -> client
//   {"type":"welcome","v":1,"room":R,"id":ME,"peers":[IDS],"resume":TOKEN,"resumed":BOOL,
//    "resume_grace_ms":N}
//   {"type":"joined","id":P}   {"type":"left","id":P,"reason":"leave"|"gone"}
//   {"type":"away","id":P}     {"type":"back","id":P}
//   relayed: the client's object with "from" set by the server ("to" kept)
//   {"type":"error","code":C,"message":M,"ref":ID?}
//   {"type":"expired","to":P,"ref":ID?,"of":TYPE}
// Client -> server
//   {"type":"offer"|"answer","to":P?,"sdp":S,"id":MSGID?}
//   {"type":"candidate","to":P?,"candidate":{...}|STRING}   {"type":"candidate","to":P?,"end":true}
//   {"type":"bye","to":P?}   {"type":"message","to":P?,"data":ANY}   {"type":"leave"}
//   "to" absent: everyone else in the room. "id" (string or number) comes back as "ref".
//   Unknown fields are kept and relayed.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rtc::signal {

// std::map objects: parsing n members costs O(n log n) (ordered_json's vector map is O(n^2),
// which a 64 KiB message of tiny members would turn into a CPU sink). Members come out sorted.
using Json = nlohmann::json;

inline constexpr int kSchemaVersion = 1;
inline constexpr std::size_t kMaxJsonDepth = 32;
inline constexpr std::size_t kMaxIdLength = 64;

// Room and peer ids: 1-64 characters of [A-Za-z0-9._~-] (RFC 3986 §2.3 unreserved characters,
// so an id is a URL path segment or query value as it is), except "." and "..".
bool valid_id(std::string_view id);

// False if arrays/objects nest deeper than max_depth. A scan over the text that skips strings,
// run before the parser so no deep structure is ever built; says nothing about validity.
bool json_depth_within(std::string_view text, std::size_t max_depth);

enum class MessageType : uint8_t { Offer, Answer, Candidate, Bye, Message, Leave };

std::optional<MessageType> parse_message_type(std::string_view text);
std::string_view to_string(MessageType type);

// Values of "code" in error messages.
namespace error_code {
inline constexpr std::string_view kBadJson = "bad-json";
inline constexpr std::string_view kBadMessage = "bad-message";
inline constexpr std::string_view kUnknownType = "unknown-type";
inline constexpr std::string_view kUnknownPeer = "unknown-peer";
inline constexpr std::string_view kRateLimited = "rate-limited";
inline constexpr std::string_view kTooBig = "too-big";
inline constexpr std::string_view kQueueFull = "queue-full";
} // namespace error_code

// Values of "reason" in left messages.
inline constexpr std::string_view kLeftLeave = "leave"; // the peer said so (leave, Close 1000)
inline constexpr std::string_view kLeftGone = "gone";   // dropped and did not come back

// A client message that passed validation.
struct ClientMessage {
    MessageType type = MessageType::Bye;
    std::string to; // empty: everyone else in the room
    Json body;      // the whole object, normalised (a null candidate becomes "end":true)
    Json ref;       // the client's "id" (string or number), null when absent
};

struct ParseResult {
    std::optional<ClientMessage> message;
    std::string_view error_code; // when !message
    std::string_view error_text; // when !message: a short English description
    Json ref;                    // when !message: the "id" if one could be read
};

// Parses one text message from a client. Never throws.
ParseResult parse_client_message(std::string_view text);

// Serialises `body` with "from" set to `from` (a client's own "from" is replaced).
std::string stamp_from(Json& body, std::string_view from);

// The relay path's parser: the rules of parse_client_message() checked in one scan over the text
// (json_scan.hpp), without a DOM and without allocating once its buffer has grown. It also
// builds the text to relay: the client's bytes with every top-level "from" member removed and
// "from":FROM added at the end, unknown members kept as written. A message that would need
// rewriting ("to":null, a null candidate) or that names a top-level key with escapes is left to
// parse_client_message() + stamp_from(): UseDom. Never throws.
//
//   ClientMessageScanner scanner;                       // keep it: its buffer is reused
//   switch (scanner.scan(text, "alice")) {
//   case ClientMessageScanner::Verdict::Relay:  send(scanner.relayed()); break;
//   case ClientMessageScanner::Verdict::Refuse: error_message(scanner.error_code(), ...); break;
//   case ClientMessageScanner::Verdict::UseDom: parse_client_message(text) ...; break;
//   }
class ClientMessageScanner {
public:
    enum class Verdict : uint8_t { Relay, Refuse, UseDom };

    ClientMessageScanner() = default;
    ClientMessageScanner(const ClientMessageScanner&) = delete; // to() may point inside
    ClientMessageScanner& operator=(const ClientMessageScanner&) = delete;

    // `from` is the sender's peer id. Views returned below stay valid until the next scan() and
    // while `text` does.
    Verdict scan(std::string_view text, std::string_view from);

    // After Relay:
    MessageType type() const { return type_; }
    std::string_view to() const { return to_; } // a valid peer id, or empty: everyone else
    std::string_view relayed() const { return relayed_; }
    // After Relay or Refuse: the client's "id" (string or number) as written, empty when absent
    // or not readable, and as a value (null when absent).
    std::string_view ref_text() const { return ref_text_; }
    Json ref() const;
    // After Refuse: as ParseResult's.
    std::string_view error_code() const { return error_code_; }
    std::string_view error_text() const { return error_text_; }

private:
    Verdict refuse(std::string_view code, std::string_view text);

    MessageType type_ = MessageType::Bye;
    std::string_view to_;
    std::string_view ref_text_;
    std::string_view error_code_;
    std::string_view error_text_;
    std::string relayed_;
    char to_buffer_[kMaxIdLength] = {}; // "to" decoded, when it was written with escapes
};

// Server -> client messages.
std::string welcome_message(std::string_view room, std::string_view id,
                            std::span<const std::string> peers, std::string_view resume_token,
                            bool resumed, int64_t resume_grace_ms);
std::string joined_message(std::string_view id);
std::string left_message(std::string_view id, std::string_view reason);
std::string away_message(std::string_view id);
std::string back_message(std::string_view id);
std::string error_message(std::string_view code, std::string_view text, const Json& ref);
std::string expired_message(std::string_view to, const Json& ref, std::string_view of);

// dump() that never throws (invalid UTF-8 is replaced; parsed input is already valid).
std::string to_text(const Json& value);

} // namespace rtc::signal
