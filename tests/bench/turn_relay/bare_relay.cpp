// turn_bench_bare_relay: the bare batched UDP relay path, as a floor for TURN servers on this host.
// One thread, IPv4 only. It speaks just enough TURN (RFC 8656) for turnutils_uclient and never
// authenticates: Allocate, Refresh, CreatePermission and ChannelBind get success responses
// without MESSAGE-INTEGRITY, as coturn's no-auth mode gives them. It keeps no permissions, no
// lifetimes and no quotas. The relay path is what is left when the protocol work is taken away:
//   client socket: recvmmsg a batch -> ChannelData: look its channel up in the allocation's table
//     (Send indications: read XOR-PEER-ADDRESS and DATA) -> one sendmmsg per relay socket;
//   relay socket:  recvmmsg a batch into buffers with headroom -> write the ChannelData header
//     (or a Data indication's header, for peers without a channel) in front of each payload in
//     place -> one sendmmsg on the client socket.
// Like rtc-turn, each sendmmsg carries runs of equal-size datagrams to one address as single UDP
// GSO messages (UDP_SEGMENT), falling back to one message per datagram if the kernel refuses.
//
//   turn_bench_bare_relay [--listen IP:PORT] [--relay-ip IP] [--port-range LOW-HIGH]
//   (default 127.0.0.1:0, relays on 127.0.0.1 at ports the kernel picks; prints the bound port)
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 // linux/udp.h, Linux 4.18
#endif

namespace {

constexpr int kBatch = 64;
constexpr int kMaxBatchesPerWakeup = 16; // then let the other sockets have their turn
constexpr std::size_t kPayloadSize = 2048;
// Room in front of a peer's payload for a Data indication's header: STUN header (20),
// XOR-PEER-ADDRESS (4 + 8), DATA's attribute header (4). ChannelData needs the last 4 bytes only.
constexpr std::size_t kHeadroom = 36;
constexpr std::size_t kSlotSize = kHeadroom + kPayloadSize + 4; // + padding of DATA
constexpr std::size_t kStunHeaderSize = 20;
constexpr uint32_t kMagicCookie = 0x2112A442; // RFC 8489 §5
constexpr int kMaxAllocations = 4096;
// RFC 8656 §12 narrowed channel numbers to 0x4000-0x4FFF; turnutils_uclient still picks from
// RFC 5766's 0x4000-0x7FFF (§11), which coturn accepts: so does this relay.
constexpr uint16_t kChannelFirst = 0x4000;
constexpr uint16_t kChannelLast = 0x7FFF;
constexpr uint32_t kLifetime = 600;
constexpr int kSocketBuffer = 4 << 20;
constexpr int kMaxSegments = 64;            // UDP_MAX_SEGMENTS of Linux's UDP GSO
constexpr std::size_t kMaxGsoBytes = 65000; // one GSO message stays one IP datagram's size

// Methods (RFC 8489 §18.2, RFC 8656 §17) and classes (RFC 8489 §5).
constexpr uint16_t kBinding = 0x001;
constexpr uint16_t kAllocate = 0x003;
constexpr uint16_t kRefresh = 0x004;
constexpr uint16_t kSend = 0x006;
constexpr uint16_t kData = 0x007;
constexpr uint16_t kCreatePermission = 0x008;
constexpr uint16_t kChannelBind = 0x009;
constexpr uint16_t kClassRequest = 0x000;
constexpr uint16_t kClassIndication = 0x010;
constexpr uint16_t kClassSuccess = 0x100;
constexpr uint16_t kClassError = 0x110;

// Attributes (RFC 8489 §18.3, RFC 8656 §18).
constexpr uint16_t kAttrErrorCode = 0x0009;
constexpr uint16_t kAttrChannelNumber = 0x000C;
constexpr uint16_t kAttrLifetime = 0x000D;
constexpr uint16_t kAttrXorPeerAddress = 0x0012;
constexpr uint16_t kAttrData = 0x0013;
constexpr uint16_t kAttrXorRelayedAddress = 0x0016;
constexpr uint16_t kAttrXorMappedAddress = 0x0020;

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
    g_stop = 1;
}

uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t read32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void write16(uint8_t* p, uint16_t value) {
    p[0] = static_cast<uint8_t>(value >> 8);
    p[1] = static_cast<uint8_t>(value);
}

void write32(uint8_t* p, uint32_t value) {
    write16(p, static_cast<uint16_t>(value >> 16));
    write16(p + 2, static_cast<uint16_t>(value));
}

uint64_t key_of(const sockaddr_in& address) {
    return (uint64_t{address.sin_addr.s_addr} << 16) | address.sin_port;
}

bool same_address(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

bool parse_ipv4(const std::string& host, int port, sockaddr_in& out) {
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(port));
    return port >= 0 && port <= 65535 && inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

bool parse_endpoint(const std::string& text, sockaddr_in& out) {
    auto colon = text.rfind(':');
    return colon != std::string::npos &&
           parse_ipv4(text.substr(0, colon), std::atoi(text.c_str() + colon + 1), out);
}

// A STUN message in a datagram (RFC 8489 §5-6): checked header, attributes as a view.
struct Message {
    uint16_t method = 0;
    uint16_t message_class = 0;
    const uint8_t* transaction_id = nullptr; // 12 bytes
    const uint8_t* attributes = nullptr;
    std::size_t attributes_size = 0;
};

bool parse_message(const uint8_t* data, std::size_t size, Message& out) {
    if (size < kStunHeaderSize || (data[0] & 0xC0) != 0 || read32(data + 4) != kMagicCookie)
        return false;
    uint16_t type = read16(data);
    std::size_t length = read16(data + 2);
    if (length % 4 != 0 || kStunHeaderSize + length > size)
        return false;
    // RFC 8489 §5: the class bits C0, C1 sit between the method's bits.
    out.method =
        static_cast<uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
    out.message_class = type & 0x0110;
    out.transaction_id = data + 8;
    out.attributes = data + kStunHeaderSize;
    out.attributes_size = length;
    return true;
}

// The first attribute of this type (RFC 8489 §14: TLV, values padded to 4 bytes), bounds-checked.
bool find_attribute(const Message& message, uint16_t type, const uint8_t*& value,
                    std::size_t& length) {
    std::size_t offset = 0;
    while (offset + 4 <= message.attributes_size) {
        uint16_t at_type = read16(message.attributes + offset);
        std::size_t at_length = read16(message.attributes + offset + 2);
        if (offset + 4 + at_length > message.attributes_size)
            return false;
        if (at_type == type) {
            value = message.attributes + offset + 4;
            length = at_length;
            return true;
        }
        offset += 4 + ((at_length + 3) & ~std::size_t{3});
    }
    return false;
}

// XOR-MAPPED-ADDRESS and friends, IPv4 (RFC 8489 §14.2).
bool read_xor_address(const Message& message, uint16_t type, sockaddr_in& out) {
    const uint8_t* value = nullptr;
    std::size_t length = 0;
    if (!find_attribute(message, type, value, length) || length != 8 || value[1] != 0x01)
        return false;
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(read16(value + 2) ^ (kMagicCookie >> 16)));
    out.sin_addr.s_addr = htonl(read32(value + 4) ^ kMagicCookie);
    return true;
}

// Writes an attribute of 8 bytes value: the XOR address; returns the bytes written (12).
std::size_t write_xor_address(uint8_t* p, uint16_t type, const sockaddr_in& address) {
    write16(p, type);
    write16(p + 2, 8);
    p[4] = 0;
    p[5] = 0x01; // family IPv4
    write16(p + 6, static_cast<uint16_t>(ntohs(address.sin_port) ^ (kMagicCookie >> 16)));
    write32(p + 8, ntohl(address.sin_addr.s_addr) ^ kMagicCookie);
    return 12;
}

struct Peer {
    sockaddr_in address{};
    uint16_t channel = 0;
};

using ChannelTable = std::array<uint16_t, kChannelLast - kChannelFirst + 1>;

struct Allocation {
    int fd = -1;
    sockaddr_in client{};
    sockaddr_in relayed{};
    std::vector<Peer> peers; // peers with a channel: a handful, searched linearly
    // Channel number - 0x4000 -> index in peers + 1 (0: unbound).
    std::unique_ptr<ChannelTable> channels;
};

class BareRelay {
public:
    BareRelay(int client_fd, int epoll_fd, sockaddr_in relay_ip, int port_low, int port_high)
        : client_fd_(client_fd), epoll_fd_(epoll_fd), relay_ip_(relay_ip), port_low_(port_low),
          port_high_(port_high), next_port_(port_low) {
        allocations_.reserve(kMaxAllocations);
    }

    ~BareRelay() {
        for (auto& allocation : allocations_)
            if (allocation.fd >= 0)
                ::close(allocation.fd);
    }

    void on_client_readable();
    void on_relay_readable(int index);

    unsigned long long to_peers = 0;
    unsigned long long to_clients = 0;

private:
    void prepare_receive(std::size_t headroom);
    void handle_request(const Message& message, const sockaddr_in& client);
    void respond(const Message& request, const sockaddr_in& client, uint16_t message_class,
                 const uint8_t* body, std::size_t body_size);
    void respond_error(const Message& request, const sockaddr_in& client, int code);
    int find_allocation(const sockaddr_in& client);
    int allocate(const sockaddr_in& client);
    void release(int index);
    int open_relay_socket(sockaddr_in& bound);
    void send_batch(int fd, iovec* iovs, const sockaddr_in* const* to, int count);

    int client_fd_;
    int epoll_fd_;
    sockaddr_in relay_ip_;
    int port_low_;
    int port_high_;
    int next_port_;
    std::vector<Allocation> allocations_;
    std::vector<int> free_slots_;
    std::unordered_map<uint64_t, int> by_client_;
    uint64_t last_key_ = 0;
    int last_index_ = -1;
    uint32_t indications_ = 0;

    // Batch state, reused for every batch: no allocation per datagram.
    std::array<std::array<uint8_t, kSlotSize>, kBatch> slots_{};
    std::array<iovec, kBatch> in_iov_{};
    std::array<sockaddr_in, kBatch> sources_{};
    std::array<mmsghdr, kBatch> in_{};
    std::array<iovec, kBatch> out_iov_{};
    std::array<sockaddr_in, kBatch> destinations_{};
    std::array<const sockaddr_in*, kBatch> out_to_{};
    std::array<int, kBatch> out_allocation_{};
    std::array<iovec, kBatch> group_iov_{};
    std::array<const sockaddr_in*, kBatch> group_to_{};
    std::array<mmsghdr, kBatch> messages_{};
    std::array<int, kBatch> message_first_{};
    struct alignas(cmsghdr) Control {
        std::array<uint8_t, CMSG_SPACE(sizeof(uint16_t))> bytes;
    };
    std::array<Control, kBatch> controls_{};
    bool gso_ = true;
};

void BareRelay::prepare_receive(std::size_t headroom) {
    for (int i = 0; i < kBatch; ++i) {
        in_iov_[i] = iovec{slots_[i].data() + headroom, kPayloadSize};
        in_[i] = mmsghdr{};
        in_[i].msg_hdr.msg_name = &sources_[i];
        in_[i].msg_hdr.msg_namelen = sizeof sources_[i];
        in_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_[i].msg_hdr.msg_iovlen = 1;
    }
}

// Sends count datagrams on fd in one sendmmsg. Runs of equal-size datagrams to one address go
// as one GSO message (udp(7), UDP_SEGMENT: the kernel cuts it into datagrams, the last one may
// be shorter), as rtc-turn does; the iovecs of a run must be adjacent, hence one array.
void BareRelay::send_batch(int fd, iovec* iovs, const sockaddr_in* const* to, int count) {
    int messages = 0;
    for (int i = 0; i < count;) {
        std::size_t segment = iovs[i].iov_len;
        int run = 1;
        while (gso_ && i + run < count && run < kMaxSegments &&
               same_address(*to[i + run], *to[i]) && iovs[i + run].iov_len <= segment &&
               (run + 1) * segment <= kMaxGsoBytes) {
            bool shorter = iovs[i + run].iov_len < segment;
            ++run;
            if (shorter)
                break; // only the last segment may be shorter
        }
        mmsghdr& message = messages_[messages];
        message = mmsghdr{};
        message.msg_hdr.msg_name = const_cast<sockaddr_in*>(to[i]);
        message.msg_hdr.msg_namelen = sizeof(sockaddr_in);
        message.msg_hdr.msg_iov = &iovs[i];
        message.msg_hdr.msg_iovlen = static_cast<std::size_t>(run);
        if (run > 1) {
            auto* control = reinterpret_cast<cmsghdr*>(controls_[messages].bytes.data());
            control->cmsg_level = SOL_UDP;
            control->cmsg_type = UDP_SEGMENT;
            control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            auto size = static_cast<uint16_t>(segment);
            std::memcpy(CMSG_DATA(control), &size, sizeof size);
            message.msg_hdr.msg_control = control;
            message.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
        }
        message_first_[messages++] = i;
        i += run;
    }
    for (int done = 0; done < messages;) {
        int sent =
            ::sendmmsg(fd, messages_.data() + done, static_cast<unsigned>(messages - done), 0);
        if (sent > 0) {
            done += sent;
            continue;
        }
        if (gso_ && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
            gso_ = false; // a kernel or device without UDP GSO: per datagram from now on
            int first = message_first_[done];
            send_batch(fd, iovs + first, to + first, count - first);
        }
        return; // a full buffer or an unreachable peer: drop the rest, as UDP may
    }
}

int BareRelay::find_allocation(const sockaddr_in& client) {
    uint64_t key = key_of(client);
    if (key == last_key_ && last_index_ >= 0)
        return last_index_;
    auto it = by_client_.find(key);
    if (it == by_client_.end())
        return -1;
    last_key_ = key;
    last_index_ = it->second;
    return it->second;
}

void BareRelay::on_client_readable() {
    for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
        prepare_receive(0);
        int n = ::recvmmsg(client_fd_, in_.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0)
            return;
        int count = 0;
        for (int i = 0; i < n; ++i) {
            const uint8_t* data = slots_[i].data();
            std::size_t size = in_[i].msg_len;
            if (in_[i].msg_hdr.msg_namelen != sizeof(sockaddr_in) || size < 4)
                continue;
            if ((data[0] & 0xC0) == 0x40) { // ChannelData (RFC 8656 §12.4)
                std::size_t length = read16(data + 2);
                uint16_t channel = read16(data);
                int index = find_allocation(sources_[i]);
                if (4 + length > size || index < 0 || !allocations_[index].channels)
                    continue;
                Allocation& allocation = allocations_[index];
                uint16_t peer = (*allocation.channels)[channel - kChannelFirst];
                if (peer == 0)
                    continue;
                destinations_[count] = allocation.peers[peer - 1].address;
                out_to_[count] = &destinations_[count];
                out_iov_[count] = iovec{slots_[i].data() + 4, length};
                out_allocation_[count] = index;
                ++count;
                continue;
            }
            Message message;
            if (!parse_message(data, size, message))
                continue;
            if (message.message_class == kClassIndication && message.method == kSend) {
                // RFC 8656 §11.2, without the permission check.
                int index = find_allocation(sources_[i]);
                const uint8_t* value = nullptr;
                std::size_t length = 0;
                if (index < 0 ||
                    !read_xor_address(message, kAttrXorPeerAddress, destinations_[count]) ||
                    !find_attribute(message, kAttrData, value, length))
                    continue;
                out_iov_[count] = iovec{const_cast<uint8_t*>(value), length};
                out_to_[count] = &destinations_[count];
                out_allocation_[count] = index;
                ++count;
            } else if (message.message_class == kClassRequest) {
                handle_request(message, sources_[i]);
            }
        }
        // One sendmmsg per relay socket, in order of first appearance in the batch.
        for (int first = 0; first < count; ++first) {
            int index = out_allocation_[first];
            if (index < 0)
                continue;
            int grouped = 0;
            for (int j = first; j < count; ++j) {
                if (out_allocation_[j] == index) {
                    group_iov_[grouped] = out_iov_[j];
                    group_to_[grouped++] = out_to_[j];
                    out_allocation_[j] = -1;
                }
            }
            if (allocations_[index].fd >= 0)
                send_batch(allocations_[index].fd, group_iov_.data(), group_to_.data(), grouped);
            to_peers += static_cast<unsigned long long>(grouped);
        }
        if (n < kBatch)
            return;
    }
}

void BareRelay::on_relay_readable(int index) {
    Allocation& allocation = allocations_[index];
    for (int round = 0; round < kMaxBatchesPerWakeup && allocation.fd >= 0; ++round) {
        prepare_receive(kHeadroom);
        int n = ::recvmmsg(allocation.fd, in_.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0)
            return;
        for (int i = 0; i < n; ++i) {
            uint8_t* payload = slots_[i].data() + kHeadroom;
            std::size_t length = in_[i].msg_len;
            uint16_t channel = 0;
            for (const Peer& peer : allocation.peers) {
                if (same_address(peer.address, sources_[i])) {
                    channel = peer.channel;
                    break;
                }
            }
            if (channel != 0) {
                // ChannelData (RFC 8656 §12.4); over UDP the padding may be left out (§12.5).
                uint8_t* header = payload - 4;
                write16(header, channel);
                write16(header + 2, static_cast<uint16_t>(length));
                out_iov_[i] = iovec{header, 4 + length};
            } else {
                // Data indication (RFC 8656 §11.4): XOR-PEER-ADDRESS, DATA, padded.
                std::size_t padded = (length + 3) & ~std::size_t{3};
                std::memset(payload + length, 0, padded - length);
                uint8_t* header = slots_[i].data();
                write16(header, kData | kClassIndication);
                write16(header + 2, static_cast<uint16_t>(12 + 4 + padded));
                write32(header + 4, kMagicCookie);
                write32(header + 8, ++indications_);
                write32(header + 12, 0);
                write32(header + 16, 0);
                write_xor_address(header + 20, kAttrXorPeerAddress, sources_[i]);
                write16(header + 32, kAttrData);
                write16(header + 34, static_cast<uint16_t>(length));
                out_iov_[i] = iovec{header, kHeadroom + padded};
            }
            out_to_[i] = &allocation.client;
        }
        send_batch(client_fd_, out_iov_.data(), out_to_.data(), n);
        to_clients += static_cast<unsigned long long>(n);
        if (n < kBatch)
            return;
    }
}

void BareRelay::respond(const Message& request, const sockaddr_in& client, uint16_t message_class,
                        const uint8_t* body, std::size_t body_size) {
    std::array<uint8_t, 128> response{};
    if (kStunHeaderSize + body_size > response.size())
        return;
    write16(response.data(), static_cast<uint16_t>(request.method | message_class));
    write16(response.data() + 2, static_cast<uint16_t>(body_size));
    write32(response.data() + 4, kMagicCookie);
    std::memcpy(response.data() + 8, request.transaction_id, 12);
    if (body_size > 0)
        std::memcpy(response.data() + kStunHeaderSize, body, body_size);
    ::sendto(client_fd_, response.data(), kStunHeaderSize + body_size, 0,
             reinterpret_cast<const sockaddr*>(&client), sizeof client);
}

void BareRelay::respond_error(const Message& request, const sockaddr_in& client, int code) {
    std::array<uint8_t, 8> body{}; // ERROR-CODE with no reason phrase (RFC 8489 §14.8)
    write16(body.data(), kAttrErrorCode);
    write16(body.data() + 2, 4);
    body[6] = static_cast<uint8_t>(code / 100);
    body[7] = static_cast<uint8_t>(code % 100);
    respond(request, client, kClassError, body.data(), body.size());
}

int BareRelay::open_relay_socket(sockaddr_in& bound) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
    int range = port_low_ > 0 ? port_high_ - port_low_ + 1 : 1;
    for (int attempt = 0; attempt < range; ++attempt) {
        sockaddr_in address = relay_ip_;
        if (port_low_ > 0) {
            address.sin_port = htons(static_cast<uint16_t>(next_port_));
            next_port_ = next_port_ == port_high_ ? port_low_ : next_port_ + 1;
        }
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            socklen_t length = sizeof bound;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
            return fd;
        }
    }
    ::close(fd);
    return -1;
}

int BareRelay::allocate(const sockaddr_in& client) {
    int index = -1;
    if (!free_slots_.empty()) {
        index = free_slots_.back();
        free_slots_.pop_back();
    } else if (allocations_.size() < static_cast<std::size_t>(kMaxAllocations)) {
        allocations_.emplace_back();
        index = static_cast<int>(allocations_.size()) - 1;
    } else {
        return -1;
    }
    Allocation& allocation = allocations_[index];
    allocation.fd = open_relay_socket(allocation.relayed);
    if (allocation.fd < 0) {
        free_slots_.push_back(index);
        return -1;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(index) + 1;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, allocation.fd, &event);
    allocation.client = client;
    allocation.peers.clear();
    by_client_[key_of(client)] = index;
    return index;
}

void BareRelay::release(int index) {
    Allocation& allocation = allocations_[index];
    ::close(allocation.fd); // also leaves the epoll set
    allocation.fd = -1;
    allocation.channels.reset();
    by_client_.erase(key_of(allocation.client));
    last_index_ = -1;
    free_slots_.push_back(index);
}

void BareRelay::handle_request(const Message& message, const sockaddr_in& client) {
    std::array<uint8_t, 64> body{};
    if (message.method == kBinding) { // RFC 8489 §7.3.1
        respond(message, client, kClassSuccess, body.data(),
                write_xor_address(body.data(), kAttrXorMappedAddress, client));
        return;
    }
    int index = find_allocation(client);
    if (message.method == kAllocate) { // RFC 8656 §7.2, an existing one answered again
        if (index < 0)
            index = allocate(client);
        if (index < 0) {
            respond_error(message, client, 508); // Insufficient Capacity
            return;
        }
        std::size_t size =
            write_xor_address(body.data(), kAttrXorRelayedAddress, allocations_[index].relayed);
        size += write_xor_address(body.data() + size, kAttrXorMappedAddress, client);
        write16(body.data() + size, kAttrLifetime);
        write16(body.data() + size + 2, 4);
        write32(body.data() + size + 4, kLifetime);
        respond(message, client, kClassSuccess, body.data(), size + 8);
        return;
    }
    if (index < 0) {
        respond_error(message, client, 437); // Allocation Mismatch
        return;
    }
    if (message.method == kRefresh) { // RFC 8656 §8: LIFETIME 0 deletes the allocation
        const uint8_t* value = nullptr;
        std::size_t length = 0;
        uint32_t lifetime = kLifetime;
        if (find_attribute(message, kAttrLifetime, value, length) && length == 4 &&
            read32(value) == 0) {
            lifetime = 0;
            release(index);
        }
        write16(body.data(), kAttrLifetime);
        write16(body.data() + 2, 4);
        write32(body.data() + 4, lifetime);
        respond(message, client, kClassSuccess, body.data(), 8);
    } else if (message.method == kCreatePermission) { // RFC 8656 §10: nothing is kept
        respond(message, client, kClassSuccess, nullptr, 0);
    } else if (message.method == kChannelBind) { // RFC 8656 §12.2
        const uint8_t* value = nullptr;
        std::size_t length = 0;
        sockaddr_in peer{};
        if (!find_attribute(message, kAttrChannelNumber, value, length) || length != 4 ||
            !read_xor_address(message, kAttrXorPeerAddress, peer) ||
            read16(value) < kChannelFirst || read16(value) > kChannelLast) {
            respond_error(message, client, 400);
            return;
        }
        uint16_t channel = read16(value);
        Allocation& allocation = allocations_[index];
        if (!allocation.channels) // 32 kB, made on the first ChannelBind only
            allocation.channels = std::make_unique<ChannelTable>();
        uint16_t& slot = (*allocation.channels)[channel - kChannelFirst];
        if (slot == 0) {
            allocation.peers.push_back(Peer{peer, channel});
            slot = static_cast<uint16_t>(allocation.peers.size());
        } else {
            allocation.peers[slot - 1].address = peer;
        }
        respond(message, client, kClassSuccess, nullptr, 0);
    } else {
        respond_error(message, client, 400);
    }
}

int usage(int code) {
    std::fprintf(stderr, "usage: turn_bench_bare_relay [--listen IP:PORT] [--relay-ip IP]"
                         " [--port-range LOW-HIGH]\n");
    return code;
}

} // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1:0";
    std::string relay_ip = "127.0.0.1";
    int port_low = 0;
    int port_high = 0;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--listen" && i + 1 < argc) {
            listen = argv[++i];
        } else if (flag == "--relay-ip" && i + 1 < argc) {
            relay_ip = argv[++i];
        } else if (flag == "--port-range" && i + 1 < argc) {
            std::string range = argv[++i];
            auto dash = range.find('-');
            port_low = std::atoi(range.c_str());
            port_high = dash == std::string::npos ? 0 : std::atoi(range.c_str() + dash + 1);
            if (port_low < 1 || port_high < port_low || port_high > 65535) {
                std::fprintf(stderr, "turn_bench_bare_relay: --port-range: bad range %s\n",
                             range.c_str());
                return 2;
            }
        } else {
            return usage(flag == "-h" || flag == "--help" ? 0 : 2);
        }
    }
    sockaddr_in address{};
    sockaddr_in relay_address{};
    if (!parse_endpoint(listen, address) || !parse_ipv4(relay_ip, 0, relay_address)) {
        std::fprintf(stderr, "turn_bench_bare_relay: bad --listen %s or --relay-ip %s (IPv4)\n",
                     listen.c_str(), relay_ip.c_str());
        return 2;
    }
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
        std::fprintf(stderr, "turn_bench_bare_relay: cannot listen on %s: %s\n", listen.c_str(),
                     std::strerror(errno));
        return 1;
    }
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    std::printf("listening udp port %u\n", ntohs(address.sin_port));
    std::fflush(stdout);

    // Stop signals are blocked except inside epoll_pwait, so none is lost between the check of
    // g_stop and the wait.
    struct sigaction action {};
    action.sa_handler = on_signal;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    sigset_t blocked;
    sigset_t waiting;
    ::sigemptyset(&blocked);
    ::sigaddset(&blocked, SIGTERM);
    ::sigaddset(&blocked, SIGINT);
    ::sigprocmask(SIG_BLOCK, &blocked, &waiting);
    ::sigdelset(&waiting, SIGTERM);
    ::sigdelset(&waiting, SIGINT);

    int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = 0;
    if (epoll_fd < 0 || ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
        std::fprintf(stderr, "turn_bench_bare_relay: epoll: %s\n", std::strerror(errno));
        return 1;
    }
    auto relay = std::make_unique<BareRelay>(fd, epoll_fd, relay_address, port_low, port_high);
    std::array<epoll_event, kBatch> events{};
    unsigned long long wakeups = 0;
    while (!g_stop) {
        int n = ::epoll_pwait(epoll_fd, events.data(), kBatch, -1, &waiting);
        wakeups += n > 0 ? 1 : 0;
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u32 == 0)
                relay->on_client_readable();
            else
                relay->on_relay_readable(static_cast<int>(events[i].data.u32) - 1);
        }
    }
    std::fprintf(stderr,
                 "turn_bench_bare_relay: relayed %llu to peers, %llu to clients in %llu wake-ups\n",
                 relay->to_peers, relay->to_clients, wakeups);
    relay.reset();
    ::close(epoll_fd);
    ::close(fd);
    return 0;
}
