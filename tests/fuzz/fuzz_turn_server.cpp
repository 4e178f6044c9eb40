// libFuzzer target for the TURN server core: the first byte picks an action (client datagram,
// peer datagram, timer), the rest is the datagram. A fake relay allocator hands out relays;
// an allocation is pre-made through the real authenticated path so the relay paths are reached.
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "turn/server.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

using namespace rtc;
using namespace rtc::turn;

namespace {

class FakeRelays : public RelayAllocator {
public:
    std::optional<RelayGrant> allocate(const RelayRequest& request) override {
        RelayId id = next_++;
        auto address = util::Endpoint{util::IpAddress::loopback(request.family),
                                      static_cast<uint16_t>(40000 + id % 20000)};
        return RelayGrant{{id, address},
                          request.reserve_next ? std::optional<uint64_t>(id) : std::nullopt};
    }
    void release(RelayId) override {}

private:
    RelayId next_ = 1;
};

struct World {
    FakeRelays relays;
    stun::BindingServer binding{stun::BindingServerConfig{}};
    std::unique_ptr<TurnServer> server;
    FiveTuple tuple{*util::Endpoint::parse("127.0.0.1:5000"),
                    *util::Endpoint::parse("127.0.0.1:3478"), stun::Transport::Udp};

    World() {
        TurnServerConfig config;
        config.nonce_key.fill(1);
        config.ipv6_relay = true;
        config.bandwidth_bytes_per_second = 1e6;
        auto users = UserStore::build("r", {{"u", "p"}});
        auto creds = std::make_shared<CredentialStore>(CredentialConfig{"r", users.store, {"s"}});
        server = std::make_unique<TurnServer>(config, creds, PeerFilter({{}, {}, true}), binding,
                                              relays);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static World world;
    static const auto t0 = Clock::time_point(std::chrono::seconds(1000));
    static const auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(1));
    if (size == 0)
        return 0;
    std::array<uint8_t, 4096> out;
    std::span<const uint8_t> bytes(data + 1, size - 1);
    auto now = t0 + std::chrono::seconds(data[0] >> 4);
    auto& s = *world.server;
    switch (data[0] & 3) {
    case 0:
    case 1: {
        auto tuple = world.tuple;
        tuple.transport = (data[0] & 1) ? stun::Transport::Tcp : stun::Transport::Udp;
        auto a = s.handle_client(bytes, ClientContext{tuple}, now, wall, out);
        if (a.kind == ActionKind::SendToClient && (a.size == 0 || a.size > out.size()))
            std::abort();
        if (a.kind == ActionKind::SendToPeer &&
            (a.payload.data() < bytes.data() ||
             a.payload.data() + a.payload.size() > bytes.data() + bytes.size()))
            std::abort();
        break;
    }
    case 2: {
        auto p = s.handle_peer(1, *util::Endpoint::parse("127.0.0.1:9"), bytes, now, out);
        if (p.kind == ActionKind::SendToClient && p.size > out.size())
            std::abort();
        break;
    }
    default:
        s.on_timer(now);
        break;
    }
    return 0;
}
