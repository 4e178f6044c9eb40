// stun_bench_reflector: the bare batched UDP path, as a ceiling for STUN servers on this host.
// One thread: recvmmsg a batch, turn each Binding request into a "success response" by setting
// the class bits of its type (RFC 8489 §5: 0x0001 -> 0x0101), sendmmsg the batch back. No
// parsing, no attributes: what is left is the kernel's cost of moving the datagrams.
//
//   stun_bench_reflector [--listen IP:PORT]     (default 127.0.0.1:0; prints the bound port)
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr int kBatch = 64;
constexpr std::size_t kBufferSize = 2048;
constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kSuccessClassBit = 0x0100; // C1 of the type (RFC 8489 §5)

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
    g_stop = 1;
}

bool parse_listen(const std::string& text, sockaddr_storage& out, socklen_t& length) {
    std::memset(&out, 0, sizeof out);
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        return false;
    std::string host = text.substr(0, colon);
    int port = std::atoi(text.c_str() + colon + 1);
    if (port < 0 || port > 65535)
        return false;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        length = sizeof *in6;
        return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) == 1;
    }
    auto* in4 = reinterpret_cast<sockaddr_in*>(&out);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *in4;
    return inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1;
}

} // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1:0";
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--listen" && i + 1 < argc) {
            listen = argv[++i];
        } else {
            std::fprintf(stderr, "usage: stun_bench_reflector [--listen IP:PORT]\n");
            return flag == "-h" || flag == "--help" ? 0 : 2;
        }
    }
    sockaddr_storage address{};
    socklen_t length = 0;
    if (!parse_listen(listen, address, length)) {
        std::fprintf(stderr, "stun_bench_reflector: --listen: bad IP:PORT %s\n", listen.c_str());
        return 2;
    }
    int fd = ::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) < 0) {
        std::fprintf(stderr, "stun_bench_reflector: cannot listen on %s: %s\n", listen.c_str(),
                     std::strerror(errno));
        return 1;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    uint16_t port =
        ntohs(address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    std::printf("listening udp port %u\n", port);
    std::fflush(stdout);

    struct sigaction action {};
    action.sa_handler = on_signal; // no SA_RESTART: a signal interrupts recvmmsg
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);

    static std::array<std::array<uint8_t, kBufferSize>, kBatch> buffers{};
    std::array<iovec, kBatch> iov{};
    std::array<sockaddr_storage, kBatch> peers{};
    std::array<mmsghdr, kBatch> in{};
    std::array<mmsghdr, kBatch> out{};
    unsigned long long reflected = 0;
    while (!g_stop) {
        for (int i = 0; i < kBatch; ++i) {
            iov[i] = iovec{buffers[i].data(), kBufferSize};
            in[i] = mmsghdr{};
            in[i].msg_hdr.msg_name = &peers[i];
            in[i].msg_hdr.msg_namelen = sizeof peers[i];
            in[i].msg_hdr.msg_iov = &iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
        }
        int n = ::recvmmsg(fd, in.data(), kBatch, MSG_WAITFORONE, nullptr);
        if (n <= 0)
            continue; // EINTR on a stop signal, or a transient error
        int count = 0;
        for (int i = 0; i < n; ++i) {
            uint8_t* data = buffers[i].data();
            std::size_t size = in[i].msg_len;
            if (size < 20 || ((data[0] << 8) | data[1]) != kBindingRequest)
                continue;
            data[0] |= static_cast<uint8_t>(kSuccessClassBit >> 8);
            iov[i].iov_len = size;
            out[count] = mmsghdr{};
            out[count].msg_hdr.msg_name = &peers[i];
            out[count].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
            out[count].msg_hdr.msg_iov = &iov[i];
            out[count].msg_hdr.msg_iovlen = 1;
            ++count;
        }
        for (int done = 0; done < count;) {
            int sent = ::sendmmsg(fd, out.data() + done, static_cast<unsigned>(count - done), 0);
            if (sent <= 0)
                break; // a full buffer or an unreachable peer: drop the rest, as UDP may
            done += sent;
            reflected += static_cast<unsigned long long>(sent);
        }
    }
    std::fprintf(stderr, "stun_bench_reflector: reflected %llu\n", reflected);
    ::close(fd);
    return 0;
}
