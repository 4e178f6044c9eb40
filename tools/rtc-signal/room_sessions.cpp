#include "room_sessions.hpp"

#include "ws/frame.hpp"

namespace rtc::signal_tool {

RoomSession::RoomSession(net::WebSocket& socket, RoomsDriver& rooms,
                         const signal::Admission& admission)
    : socket_(socket), rooms_(rooms) {
    id_ = rooms_.core().attach(admission, *this, signal::Clock::now());
    rooms_.rearm();
}

void RoomSession::on_message(std::string_view data, bool binary) {
    const auto now = signal::Clock::now();
    if (binary)
        rooms_.core().on_binary(id_, now);
    else
        rooms_.core().on_message(id_, data, now);
    rooms_.rearm();
}

void RoomSession::on_close(uint16_t code, std::string_view, bool clean) {
    // A Close with 1000 or 1001 (a page that was closed) is a peer leaving on purpose; anything
    // else is a drop, and the peer may come back with its resume token.
    const bool left = clean && (code == ws::close_code::kNormal ||
                                code == ws::close_code::kGoingAway);
    rooms_.core().on_disconnect(id_, left, signal::Clock::now());
    rooms_.rearm();
}

void RoomSession::send(std::string_view json_text) { socket_.send_text(json_text); }

void RoomSession::close(uint16_t code, std::string_view reason) { socket_.close(code, reason); }

PeerJsSession::PeerJsSession(net::WebSocket& socket, PeerJsDriver& peers, std::string key,
                             std::string id, std::string token)
    : socket_(socket), peers_(peers) {
    id_ = peers_.core().attach(key, id, token, *this, signal::Clock::now());
    peers_.rearm();
}

void PeerJsSession::on_message(std::string_view data, bool binary) {
    (void)binary; // PeerJS reads binary messages as JSON text too
    if (!id_)
        return;
    peers_.core().on_message(*id_, data, signal::Clock::now());
    peers_.rearm();
}

void PeerJsSession::on_close(uint16_t, std::string_view, bool) {
    if (!id_)
        return;
    peers_.core().on_disconnect(*id_, signal::Clock::now());
    peers_.rearm();
}

void PeerJsSession::send(std::string_view json_text) { socket_.send_text(json_text); }

void PeerJsSession::close(uint16_t code, std::string_view reason) { socket_.close(code, reason); }

} // namespace rtc::signal_tool
