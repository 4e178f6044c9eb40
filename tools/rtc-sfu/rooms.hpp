#pragma once
// Rooms over WebSocket (`/ws/ROOM`): a page of a few lines joins a multi-party call with two
// PeerConnections, one that publishes its camera and one that receives everybody else,
// renegotiated as publishers come and go (RFC 8829 §5.2.2: the page always offers, the server
// always answers, so there is no glare). Everything runs on the server's one thread.
//
// Client -> server (JSON text; at most one request in flight is the page's business: answers
// come back in request order):
//   {"type":"publish","sdp":OFFER}
//       -> {"type":"answer","resource":R,"sdp":ANSWER}; the room gets "published"
//   {"type":"subscribe","publisher":ID,"sdp":OFFER}
//       OFFER is the receiving PC's offer with new recvonly sections for ID's tracks. The first
//       one creates the member's receiving session, later ones renegotiate it (known mids keep
//       their SSRCs; stopped ones are rejected and no longer fed; an inactive section is
//       answered inactive and stays bundled: the demo page's first m-line is one, never
//       stopped, because Chromium's media stops when the first bundled section is rejected).
//       -> {"type":"answer","resource":R,"publisher":ID,"sdp":ANSWER,"mids":[MID...]}
//          "mids": the sections ID now feeds (sections not fed are answered rejected)
//   {"type":"renegotiate","sdp":OFFER}
//       a re-offer that adds nothing, e.g. after stopping a departed publisher's transceivers
//       -> {"type":"answer","resource":R,"sdp":ANSWER,"mids":[]}
//   {"type":"unsubscribe","publisher":ID}
//       stops ID's media at once -> {"type":"unsubscribed","publisher":ID,"mids":[MID...]};
//       the page then stops those transceivers and sends "renegotiate"
//   {"type":"unsubscribe"}   ends the receiving session (its PC is closed; the next
//                            "subscribe" starts a new one)
//   {"type":"unpublish"}     ends the publishing session; the room gets "unpublished"
//   {"type":"layer","rid":RID}   simulcast layer of every video received ("auto" too)
// Server -> client:
//   {"type":"welcome","id":ID,"publishers":[ID...]}
//   {"type":"published","id":ID}  {"type":"unpublished","id":ID}  {"type":"left","id":ID}
//       when a publisher goes, the server stops forwarding its tracks at once; the pages stop
//       its transceivers and renegotiate
//   {"type":"error","error":TEXT[,"status":N]}   in place of the answer of a failed request
//       (400 bad request or SDP, 404 no such publisher/session, 409 conflict, 413 too large)
#include "app/log.hpp"
#include "net/http_server.hpp"
#include "sfu/router.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace rtc::sfu_tool {

class RoomHub {
public:
    RoomHub(sfu::Router& router, app::Logger& log, std::size_t max_members, std::size_t max_rooms);

    // The handler for a WebSocket that joins `room`; nullptr (refuse with 503) when it is full.
    std::unique_ptr<net::WebSocketHandler> join(net::WebSocket& socket, std::string_view room);
    // The router dropped this session (DELETE, timeout, DTLS failure).
    void on_removed(const std::string& resource);
    void close_all();
    // GET /stats: [{"name", "members": [{"id", "publishing", "receiving"}]}] by room name.
    nlohmann::json summary() const;

    struct Member {
        std::string id;
        std::string room;
        net::WebSocket* socket = nullptr;
        std::string published; // resource id of its publishing session
        std::string receiving; // resource id of its receiving session
    };

private:
    friend class RoomMember;
    void on_message(Member& member, std::string_view text);
    void leave(Member& member);
    void subscribe(Member& member, const std::string& publisher, const std::string& sdp);
    void renegotiate(Member& member, const std::string& sdp);
    void unsubscribe(Member& member, const std::string* publisher);
    void broadcast(const std::string& room, const std::string& except, const std::string& text);
    static std::string stream_of(const std::string& room, const std::string& id) {
        return room + "~" + id;
    }

    sfu::Router& router_;
    app::Logger& log_;
    std::size_t max_members_;
    std::size_t max_rooms_;
    uint64_t next_id_ = 1;
    std::map<std::string, std::map<std::string, Member*>> rooms_; // room -> id -> member
    std::map<std::string, Member*> by_resource_;
};

} // namespace rtc::sfu_tool
