// libFuzzer target for the STUN codec: parse, walk and decode every attribute, verify integrity
// and fingerprint, answer as a Binding server (checking the amplification bound), and frame the
// input as a stream.
#include "stun/attributes.hpp"
#include "stun/binding_server.hpp"
#include "stun/builder.hpp"
#include "stun/framing.hpp"
#include "stun/message.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace rtc;
using namespace rtc::stun;

namespace {

template <class A> void decode(const MessageView &m) {
    if (auto a = m.get<A>()) {
        // Whatever parses must serialise again into a message that parses.
        std::array<uint8_t, kMaxMessageSize> buf;
        MessageBuilder b(buf, Method::Binding, MessageClass::Request, m.transaction_id());
        if (b.add(*a) && !MessageView::parse(b.bytes()))
            std::abort();
    }
}

template <class... A> void decode_all(const MessageView &m) {
    (decode<A>(m), ...);
}

const BindingServer &plain_server() {
    static const BindingServer server({std::string("fuzz"), std::nullopt});
    return server;
}

const BindingServer &nat_server() {
    static const BindingServer server(
        {std::nullopt, std::array<util::Endpoint, 4>{*util::Endpoint::parse("192.0.2.1:3478"),
                                                     *util::Endpoint::parse("192.0.2.1:3479"),
                                                     *util::Endpoint::parse("192.0.2.2:3478"),
                                                     *util::Endpoint::parse("192.0.2.2:3479")}});
    return server;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    std::span<const uint8_t> input(data, size);
    static constexpr uint8_t kKey[] = {'f', 'u', 'z', 'z'};

    if (auto m = MessageView::parse(input)) {
        std::size_t count = 0;
        for (auto a : *m) {
            if (a.offset + kAttributeHeaderSize + a.value.size() > size)
                std::abort();
            ++count;
        }
        (void)count;
        decode_all<MappedAddress, XorMappedAddress, Username, Userhash, MessageIntegrity,
                   MessageIntegritySha256, Fingerprint, ErrorCode, Realm, Nonce, PasswordAlgorithms,
                   PasswordAlgorithm, UnknownAttributes, Software, AlternateServer, AlternateDomain,
                   ChangeRequest, ResponsePort, Padding, ResponseOrigin, OtherAddress,
                   ChannelNumber, Lifetime, XorPeerAddress, Data, XorRelayedAddress,
                   RequestedAddressFamily, EvenPort, RequestedTransport, DontFragment,
                   ReservationToken, AdditionalAddressFamily, AddressErrorCode, Icmp, ConnectionId,
                   Priority, UseCandidate, IceControlled, IceControlling, SourceAddress,
                   ChangedAddress>(*m);
        (void)m->verify_message_integrity(kKey);
        (void)m->verify_message_integrity_sha256(kKey);
        std::array<uint16_t, 8> unknown{};
        (void)m->unknown_comprehension_required(unknown);
    }

    static std::array<uint8_t, kMaxMessageSize> out;
    const Transport transports[] = {Transport::Udp, Transport::Tcp};
    for (const BindingServer *server : {&plain_server(), &nat_server()}) {
        for (Transport t : transports) {
            BindingRequest r{input, *util::Endpoint::parse("[2001:db8::7]:9"),
                             *util::Endpoint::parse("192.0.2.1:3478"),
                             static_cast<uint8_t>(size & 3), t};
            auto o = server->handle(r, out);
            if (o.size * 2 > size * 5 || o.size > out.size())
                std::abort(); // amplification bound
            if (o.size > 0 && !MessageView::parse(std::span<const uint8_t>(out).first(o.size)))
                std::abort(); // responses are well-formed
        }
    }

    // Split the input into stream frames; bounded because each frame is at least 4 bytes.
    std::span<const uint8_t> rest = input;
    while (auto n = stream_frame_length(rest)) {
        if (*n == kInvalidFrame || *n > rest.size())
            break;
        if (*n < 4)
            std::abort();
        rest = rest.subspan(*n);
    }
    return 0;
}
