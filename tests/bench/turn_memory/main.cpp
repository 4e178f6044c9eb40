// Memory held per TURN allocation. Creates N allocations (default 2,000) through the real
// request path (401, then authenticated Allocate from N distinct clients), each with 3
// permissions and 2 channels, and reports the live heap bytes per allocation counted by a
// replaced global operator new/delete, plus the RSS growth per allocation. Exits 1 above the
// issue's budget of 4,096 bytes per allocation.
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "turn/server.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>

namespace {
std::atomic<long long> g_live{0};

long long rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    long long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * 4096;
}
} // namespace

void* operator new(std::size_t size) {
    void* p = std::malloc(size == 0 ? 1 : size);
    if (!p)
        throw std::bad_alloc();
    g_live += static_cast<long long>(malloc_usable_size(p));
    return p;
}
void operator delete(void* p) noexcept {
    if (p)
        g_live -= static_cast<long long>(malloc_usable_size(p));
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}

using namespace rtc;
using namespace rtc::turn;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;

namespace {

class Relays : public RelayAllocator {
public:
    std::optional<RelayGrant> allocate(const RelayRequest& request) override {
        RelayId id = next_++;
        util::Endpoint address{util::IpAddress::v4(0xC6336401u), // 198.51.100.1
                               static_cast<uint16_t>(id)};
        (void)request;
        return RelayGrant{{id, address}, std::nullopt};
    }
    void release(RelayId) override {}

private:
    RelayId next_ = 1;
};

} // namespace

int main(int argc, char** argv) {
    std::size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
    if (count == 0 || count > 60000) {
        std::fprintf(stderr, "turn_memory_bench: ALLOCATIONS must be 1..60000\n");
        return 2;
    }
    TurnServerConfig config;
    config.nonce_key.fill(9);
    config.limits.max_allocations_per_user = count;
    config.unauthorized_rate.capacity = 64;
    auto users = UserStore::build("example.org", {{"alice", "s3cret"}});
    auto creds =
        std::make_shared<CredentialStore>(CredentialConfig{"example.org", users.store, {}});
    auto filter = PeerFilterConfig{{*Cidr::parse("192.0.2.0/24")}, {}, false};
    stun::BindingServer binding{stun::BindingServerConfig{}};
    Relays relays;
    TurnServer server(config, creds, PeerFilter(filter), binding, relays);
    auto key = *stun::long_term_key_md5("alice", "example.org", "s3cret");
    auto now = Clock::time_point(std::chrono::seconds(1000));
    auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    std::array<uint8_t, 1500> buf;
    std::array<uint8_t, 1500> out;
    uint32_t txn = 0;

    auto request = [&](const FiveTuple& t, Method method, const std::string& nonce, auto&& fill) {
        stun::TransactionId id{};
        ++txn;
        std::memcpy(id.data(), &txn, sizeof txn);
        MessageBuilder b(buf, method, MessageClass::Request, id);
        fill(b);
        if (!nonce.empty()) {
            b.add(stun::Username{"alice"});
            b.add(stun::Realm{"example.org"});
            b.add(stun::Nonce{nonce});
            b.add_message_integrity(key);
        }
        auto a = server.handle_client(b.bytes(), ClientContext{t}, now, wall, out);
        auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.size));
        return m;
    };

    long long heap_before = g_live.load();
    long long rss_before = rss_bytes();
    std::size_t failures = 0;
    for (std::size_t i = 0; i < count; ++i) {
        FiveTuple t{{util::IpAddress::v4(0x0A000000u + static_cast<uint32_t>(i)), 40000},
                    {util::IpAddress::v4(0xC0000201u), 3478},
                    stun::Transport::Udp};
        auto challenge = request(t, Method::Allocate, std::string(), [](MessageBuilder&) {});
        std::string nonce(challenge ? std::string(challenge->get<stun::Nonce>()->value) : "");
        auto ok = request(t, Method::Allocate, nonce,
                          [](MessageBuilder& b) { b.add(stun::RequestedTransport{}); });
        for (uint8_t p = 1; p <= 3; ++p) {
            request(t, Method::CreatePermission, nonce, [&](MessageBuilder& b) {
                b.add(stun::XorPeerAddress{{util::IpAddress::v4(0xC0000200u + p), 5000}});
            });
        }
        for (uint16_t c = 0; c < 2; ++c) {
            request(t, Method::ChannelBind, nonce, [&](MessageBuilder& b) {
                b.add(stun::ChannelNumber{static_cast<uint16_t>(0x4000 + c)});
                b.add(stun::XorPeerAddress{{util::IpAddress::v4(0xC0000201u + c), 5000}});
            });
        }
        if (!ok || ok->message_class() != MessageClass::SuccessResponse)
            ++failures;
    }
    long long heap = g_live.load() - heap_before;
    long long rss = rss_bytes() - rss_before;
    std::size_t held = server.allocation_count();
    if (failures > 0 || held != count) {
        std::fprintf(stderr, "turn_memory_bench: %zu allocations failed\n", failures);
        return 1;
    }
    std::printf("allocations=%zu permissions=%llu channels=%llu\n", held,
                static_cast<unsigned long long>(server.counters().permissions_created),
                static_cast<unsigned long long>(server.counters().channels_bound));
    std::printf("heap_bytes_per_allocation=%lld rss_bytes_per_allocation=%lld "
                "sizeof_allocation=%zu\n",
                heap / static_cast<long long>(held), rss / static_cast<long long>(held),
                sizeof(Allocation));
    return heap / static_cast<long long>(held) <= 4096 ? 0 : 1;
}
