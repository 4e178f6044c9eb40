#include "net/interfaces.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace rtc::net {

std::vector<util::IpAddress> interface_addresses(util::Family family) {
    std::vector<util::IpAddress> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (auto* i = list; i; i = i->ifa_next) {
            if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
                continue;
            util::IpAddress ip;
            if (family == util::Family::V4 && i->ifa_addr->sa_family == AF_INET) {
                const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
                ip = util::IpAddress::v4(ntohl(in->sin_addr.s_addr));
            } else if (family == util::Family::V6 && i->ifa_addr->sa_family == AF_INET6) {
                const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
                std::array<uint8_t, 16> bytes{};
                std::memcpy(bytes.data(), &in6->sin6_addr, 16);
                if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80)
                    continue; // link-local: needs a scope id no candidate carries
                ip = util::IpAddress::v6(bytes);
            } else {
                continue;
            }
            if (!ip.is_loopback() && std::find(out.begin(), out.end(), ip) == out.end())
                out.push_back(ip);
        }
        freeifaddrs(list);
    }
    if (out.empty())
        out.push_back(util::IpAddress::loopback(family));
    return out;
}

} // namespace rtc::net
