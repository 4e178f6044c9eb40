// ICE restart of a WHIP/WHEP session (RFC 9725 §4.3.2) on the ICE-lite side (RFC 8445 §9).
#include "sfu/router.hpp"

#include "ice/candidate.hpp"

namespace rtc::sfu {

namespace {

struct FragCredentials {
    std::string_view ufrag;
    std::string_view pwd;
};

// The first a=ice-ufrag and a=ice-pwd of a trickle-ice-sdpfrag body (RFC 8840 §9, RFC 8839
// §5.4), at session or media level alike.
FragCredentials frag_credentials(std::string_view frag) {
    FragCredentials c;
    while (!frag.empty()) {
        const auto end = frag.find('\n');
        auto line = frag.substr(0, end);
        frag = end == std::string_view::npos ? std::string_view{} : frag.substr(end + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        constexpr std::string_view kUfrag = "a=ice-ufrag:";
        constexpr std::string_view kPwd = "a=ice-pwd:";
        if (c.ufrag.empty() && line.starts_with(kUfrag))
            c.ufrag = line.substr(kUfrag.size());
        else if (c.pwd.empty() && line.starts_with(kPwd))
            c.pwd = line.substr(kPwd.size());
    }
    return c;
}

} // namespace

Negotiation Router::restart_ice(std::string_view resource, std::string_view sdpfrag) {
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end())
        return fail(404, "no such session");
    const auto remote = frag_credentials(sdpfrag);
    if (!ice::valid_ice_chars(remote.ufrag, 4) || !ice::valid_ice_chars(remote.pwd, 22))
        return fail(400, "an ICE restart needs the new a=ice-ufrag (4-256 ice-chars) and "
                         "a=ice-pwd (22-256) (RFC 8839 §5.4)");
    // A lite agent checks nothing itself: the peer's new credentials need no keeping, only ours
    // change. Checks with the old ufrag find no peer from now on; media keeps flowing on the
    // selected address until a check with the new ones nominates another (RFC 8445 §9).
    Peer& peer = *it->second;
    by_ufrag_.erase(peer.local_ufrag);
    do
        peer.local_ufrag = ice::random_ice_chars(8);
    while (by_ufrag_.count(peer.local_ufrag));
    peer.local_pwd = ice::random_ice_chars(24);
    by_ufrag_[peer.local_ufrag] = &peer;
    peer.remote_ufrag = std::string(remote.ufrag); // a later renegotiation carries this one

    Negotiation n;
    n.status = 200;
    n.resource = peer.id;
    n.etag = peer.local_ufrag;
    n.answer = "a=ice-lite\r\na=ice-ufrag:" + peer.local_ufrag + "\r\na=ice-pwd:" + peer.local_pwd +
               "\r\n";
    return n;
}

std::string Router::etag(std::string_view resource) const {
    auto it = peers_.find(std::string(resource));
    return it == peers_.end() ? std::string() : it->second->local_ufrag;
}

} // namespace rtc::sfu
