#pragma once
// Rooms over WebSocket (`/ws/ROOM`): a page of a few lines joins a multi-party call. Every member
// may publish (one WHIP-like session) and subscribe to any other member's stream (one WHEP-like
// session each); the hub tells members who publishes and who left. Everything runs on the
// server's one thread.
//
// Client -> server (JSON text):
//   {"type":"publish","sdp":OFFER}                 -> {"type":"answer","resource":R,"sdp":...}
//   {"type":"subscribe","publisher":ID,"sdp":OFFER}  -> {"type":"answer","publisher":ID,...}
//   {"type":"unpublish"}  {"type":"unsubscribe","resource":R}
//   {"type":"layer","resource":R,"rid":RID}  simulcast layer of a subscription ("auto" too)
// Server -> client:
//   {"type":"welcome","id":ID,"publishers":[ID...]}
//   {"type":"published","id":ID}  {"type":"unpublished","id":ID}  {"type":"left","id":ID}
//   {"type":"error","error":TEXT[,"status":N]}
#include "app/log.hpp"
#include "net/http_server.hpp"
#include "sfu/router.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace rtc::sfu_tool {

class RoomHub {
public:
    RoomHub(sfu::Router& router, app::Logger& log, std::size_t max_members);

    // The handler for a WebSocket that joins `room`; nullptr (refuse with 503) when it is full.
    std::unique_ptr<net::WebSocketHandler> join(net::WebSocket& socket, std::string_view room);
    // The router dropped this session (DELETE, timeout, DTLS failure).
    void on_removed(const std::string& resource);
    void close_all();

    struct Member {
        std::string id;
        std::string room;
        net::WebSocket* socket = nullptr;
        std::string published;                            // resource id of its publisher session
        std::map<std::string, std::string> subscriptions; // resource id -> publisher's member id
    };

private:
    friend class RoomMember;
    void on_message(Member& member, std::string_view text);
    void leave(Member& member);
    // A member stopped publishing: its viewers' sessions end (the pages subscribe again when it
    // publishes again).
    void end_subscriptions_to(const Member& publisher);
    void broadcast(const std::string& room, const std::string& except, const std::string& text);
    static std::string stream_of(const Member& m) { return m.room + "~" + m.id; }

    sfu::Router& router_;
    app::Logger& log_;
    std::size_t max_members_;
    uint64_t next_id_ = 1;
    std::map<std::string, std::map<std::string, Member*>> rooms_; // room -> id -> member
    std::map<std::string, Member*> by_resource_;
};

} // namespace rtc::sfu_tool
