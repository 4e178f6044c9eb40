// libFuzzer target for the signaling core: arbitrary text as client messages (schema v1) and as
// cluster bus events, fed to a Rooms with a few attached peers on this node and one on a fake
// remote node. Nothing may throw, crash or read out of bounds; the state must stay coherent;
// everything sent is one JSON object, and what a local peer's message makes the core relay
// carries that peer as "from" (the relay path copies the client's bytes: it must stamp them).
//
// Input: records "<op byte><length byte><length bytes>" (the last may be short). In op, bits
// 0-2 pick the action (% 6), bits 3-4 the peer (% 3), bit 6 a flag, bit 7 a binary message too.
// Actions: 0, 1 a text message from the peer; 2 a cluster event; 3 a disconnect (clean with the
// flag); 4 a rejoin (empty bytes) or resume (with the peer's real token given the flag, else the
// bytes as the token); 5 a timer step of length * 250 ms.
#include "signal/cluster.hpp"
#include "signal/cluster_event.hpp"
#include "signal/rooms.hpp"
#include "signal/schema.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace rtc::signal;

namespace {

class Sink : public PeerSink {
public:
    void send(std::string_view text) override {
        bytes += text.size();
        if (text.empty() || text.front() != '{' || text.back() != '}')
            __builtin_trap(); // the core sends JSON objects only
        const Json message = Json::parse(text, nullptr, false);
        if (!message.is_object())
            __builtin_trap();
        // A relayed client message (the server's own types are not client types): its sender.
        if (auto type = message.find("type");
            type != message.end() && type->is_string() &&
            parse_message_type(type->get_ref<const std::string&>())) {
            auto from = message.find("from");
            froms.push_back(from != message.end() && from->is_string() ? from->get<std::string>()
                                                                       : std::string("?"));
        }
        // Keep the resume token of a welcome, so resumes can succeed.
        constexpr std::string_view kKey = R"("resume":")";
        if (auto at = text.find(kKey); at != std::string_view::npos) {
            const auto begin = at + kKey.size();
            const auto end = text.find('"', begin);
            if (end != std::string_view::npos)
                token.assign(text.substr(begin, end - begin));
        }
    }
    void close(uint16_t code, std::string_view) override {
        if (code != 1000 && code != 1001 && code != 1008)
            __builtin_trap();
        closed = true;
    }
    std::size_t bytes = 0;
    bool closed = false;
    std::string token;
    std::vector<std::string> froms; // "from" of the relayed messages received
};

class Bus : public ClusterBus {
public:
    void publish(std::string_view payload) override {
        if (payload.empty())
            __builtin_trap();
        last.assign(payload);
    }
    std::string last;
};

struct Peer {
    Sink sink;
    ConnectionId id = 0;
    std::string name;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    RoomLimits limits;
    limits.max_message = 512;
    limits.max_violations = 8;
    limits.message_burst = 20;
    limits.max_queued_messages = 4;
    limits.max_queued_bytes = 1024;
    Bus bus;
    Rooms rooms(limits, "fuzz-node", &bus);
    TimePoint now{std::chrono::seconds(1000)};

    std::array<Peer, 3> peers;
    const char* names[] = {"alice", "bob", "carol"};
    for (std::size_t i = 0; i < peers.size(); ++i) {
        auto admission =
            rooms.admit({.room = "lobby", .peer_id = names[i], .resume_token = {}}, now);
        if (!admission.ok)
            __builtin_trap();
        peers[i].name = names[i];
        peers[i].id = rooms.attach(admission, peers[i].sink, now);
    }
    // A peer on another node, so messages travel over the bus too.
    rooms.on_cluster_event(R"({"v":1,"n":"other","e":"join","r":"lobby","p":"dave"})", now);

    std::size_t pos = 0;
    for (int steps = 0; pos + 2 <= size && steps < 256; ++steps) {
        const uint8_t op = data[pos];
        const std::size_t len = std::min<std::size_t>(data[pos + 1], size - pos - 2);
        const std::string_view text(reinterpret_cast<const char*>(data + pos + 2), len);
        pos += 2 + len;
        Peer& peer = peers[(op >> 3 & 3) % peers.size()];
        switch ((op & 7) % 6) {
        case 0:
        case 1:
            for (auto& p : peers)
                p.sink.froms.clear();
            rooms.on_message(peer.id, text, now);
            // Only this peer's message can have been relayed in this step, stamped as its own.
            for (auto& p : peers)
                for (const auto& from : p.sink.froms)
                    if (from != peer.name)
                        __builtin_trap();
            break;
        case 2:
            rooms.on_cluster_event(text, now);
            break;
        case 3:
            rooms.on_disconnect(peer.id, (op & 0x40) != 0, now);
            break;
        case 4: {
            // Rejoin (empty text), resume with the real token (bit 0x40) or with the text.
            const std::string token = (op & 0x40) != 0 ? peer.sink.token : std::string(text);
            auto admission =
                rooms.admit({.room = "lobby", .peer_id = peer.name, .resume_token = token}, now);
            if (admission.ok) {
                if (token.empty() == admission.resume)
                    __builtin_trap(); // resume only with a token
                peer.id = rooms.attach(admission, peer.sink, now);
            } else if (admission.http_status < 400) {
                __builtin_trap();
            }
            break;
        }
        case 5:
            now += std::chrono::milliseconds(len * 250);
            rooms.on_timer(now);
            if (auto d = rooms.next_deadline(); d && *d < TimePoint{})
                __builtin_trap();
            break;
        }
        if ((op & 0x80) != 0)
            rooms.on_binary(peer.id, now);
    }
    const RoomStats s = rooms.stats();
    if (s.peers > peers.size() || s.cluster_bad > s.cluster_in)
        __builtin_trap();
    rooms.close_all();
    if (rooms.stats().peers != 0)
        __builtin_trap();
    return 0;
}
