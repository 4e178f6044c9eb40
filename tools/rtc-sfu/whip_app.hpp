#pragma once
// rtc-sfu's HTTP API: WHIP (RFC 9725) to publish, WHEP to watch, both on the Router.
//
//   POST   /whip/STREAM      application/sdp offer -> 201, answer, Location, ETag, Link
//   POST   /whep/STREAM      the same for a viewer
//   PATCH  /resource/ID      application/trickle-ice-sdpfrag -> 204 (ICE-lite: candidates are
//                            learned from the checks themselves, RFC 9725 §4.3.1)
//   DELETE /resource/ID      -> 200, the session ends
//   POST   /resource/ID/layer {"encodingId":RID} -> 204: a viewer's simulcast layer ("auto":
//                            chosen from its REMB and loss again)
//   OPTIONS any              CORS preflight (and Link ice servers for WHIP, §4.6)
//   GET    /healthz          "ok"
//   GET    /demo?room=NAME   a page that joins a room (rooms.hpp) with the camera
//   GET    /ws/ROOM          WebSocket upgrade: the rooms API (token in ?token= for browsers)
#include "rooms.hpp"
#include "sfu_options.hpp"

#include "app/log.hpp"
#include "net/http_server.hpp"
#include "sfu/router.hpp"

#include <functional>

namespace rtc::sfu_tool {

class WhipApp : public net::HttpApp {
public:
    WhipApp(const SfuOptions& options, sfu::Router& router, RoomHub& rooms, app::Logger& log);

    net::HttpReply on_request(const http::Request& request, const net::RequestInfo& info) override;
    net::Upgrade on_upgrade(const http::Request& request, const net::RequestInfo& info) override;

private:
    net::HttpReply negotiate(const http::Request& request, const net::RequestInfo& info,
                             bool publish, std::string_view stream);
    net::HttpReply resource(const http::Request& request, std::string_view id);
    // GET /stats: streams, peers (tracks, layers, packets, losses) and rooms as JSON.
    net::HttpReply stats(const http::Request& request);
    // PATCH: trickle ICE or, with If-Match "*", an ICE restart (RFC 9725 §4.3).
    net::HttpReply patch(const http::Request& request, std::string_view id);
    bool authorized(const http::Request& request, bool query_token = false) const;
    void add_cors(const http::Request& request, net::HttpReply& reply) const;
    // Link: <URL>; rel="ice-server" for each --ice-server (with TURN credentials if a secret).
    void add_ice_servers(net::HttpReply& reply) const;

    const SfuOptions& options_;
    sfu::Router& router_;
    RoomHub& rooms_;
    app::Logger& log_;
};

} // namespace rtc::sfu_tool
