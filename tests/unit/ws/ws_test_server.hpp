#pragma once
// A small WebSocket server for the client tests, written with the ws codec on StreamServer
// (plain or TLS). What it does depends on the request path and on "cmd:" text messages:
//   /echo      echoes every message (other paths too, unless listed here)
//   /deny      refuses the upgrade with 401
//   /hang      never answers the HTTP request
//   /mute      completes the upgrade, then ignores everything
//   /hello     first sends "origin=O;x-test=X;protocols=P" (selects "chat" when offered)
//   cmd:close CODE REASON   sends a Close          cmd:fragments  "frag"+Ping("p")+"mented"
//   cmd:ping PAYLOAD        Ping, then "pong:PAYLOAD" when the Pong comes back
//   cmd:big N               a binary message of N bytes    cmd:masked  a masked (illegal) frame
//   cmd:drop                closes TCP without a Close     cmd:silent  ignores all from now on
//   cmd:pings N             "pings:N" once N Pings from the client arrived (each answered)
#include "http/request_parser.hpp"
#include "net/stream_server.hpp"
#include "ws/frame.hpp"
#include "ws/handshake.hpp"

#include <memory>
#include <string>
#include <vector>

namespace rtc::ws::test {

// What the server saw, for the assertions.
struct ServerLog {
    std::vector<std::string> events; // "upgrade /path", "text:...", "close:CODE:REASON", ...
    int pings = 0;
    bool has(const std::string& e) const {
        for (const auto& x : events)
            if (x == e)
                return true;
        return false;
    }
};

class TestWsHandler : public net::StreamHandler {
public:
    TestWsHandler(net::StreamConnection& conn, ServerLog& log) : conn_(conn), log_(log) {}

    std::size_t on_data(std::span<const uint8_t> data) override {
        if (!upgraded_)
            return on_http(data);
        if (ignore_)
            return data.size();
        std::size_t used = 0;
        const Event e = decoder_.next(data, used);
        switch (e.kind) {
        case EventKind::NeedMore:
            break;
        case EventKind::Message:
            on_message(e);
            break;
        case EventKind::Ping:
            ++log_.pings;
            send(Opcode::Pong, e.payload);
            if (wanted_pings_ > 0 && log_.pings >= wanted_pings_) {
                send(Opcode::Text, "pings:" + std::to_string(wanted_pings_));
                wanted_pings_ = 0;
            }
            break;
        case EventKind::Pong:
            log_.events.push_back("pong:" + std::string(e.payload));
            send(Opcode::Text, "pong:" + std::string(e.payload));
            break;
        case EventKind::Close:
            log_.events.push_back("close:" + std::to_string(e.close_code) + ":" +
                                  std::string(e.reason));
            if (!sent_close_) {
                out_.clear();
                write_close(out_, e.close_code, e.reason, Role::Server);
                write_out();
            }
            conn_.close();
            return data.size();
        case EventKind::Error:
            log_.events.push_back("error:" + std::to_string(e.close_code));
            conn_.close();
            return data.size();
        }
        return used;
    }

private:
    std::size_t on_http(std::span<const uint8_t> data) {
        const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
        const auto status = parser_.parse(text);
        if (status == http::ParseStatus::NeedMore)
            return 0;
        if (status == http::ParseStatus::Error) {
            conn_.close();
            return data.size();
        }
        const http::Request& r = parser_.request();
        const std::string path(r.path());
        log_.events.push_back("upgrade " + path);
        out_.clear();
        const UpgradeCheck check = check_upgrade(r);
        if (!check.ok || path == "/deny") {
            write_upgrade_refusal(out_, check.ok ? 401 : check.status,
                                  check.ok ? "token required" : check.error,
                                  {{"WWW-Authenticate", "Bearer"}});
            write_out();
            conn_.close();
            return data.size();
        }
        if (path == "/hang") {
            upgraded_ = ignore_ = true; // swallow everything, answer nothing
            return data.size();
        }
        std::string protocols;
        bool chat = false;
        for (auto p : offered_protocols(r)) {
            protocols += (protocols.empty() ? "" : ",") + std::string(p);
            chat = chat || p == "chat";
        }
        write_upgrade_response(out_, check.key, chat ? "chat" : "");
        write_out();
        upgraded_ = true;
        ignore_ = path == "/mute";
        if (path == "/hello")
            send(Opcode::Text, "origin=" + std::string(r.header("Origin").value_or("")) +
                                   ";x-test=" + std::string(r.header("X-Test").value_or("")) +
                                   ";protocols=" + protocols);
        return parser_.consumed();
    }

    void on_message(const Event& e) {
        const std::string m(e.payload);
        log_.events.push_back((e.opcode == Opcode::Text ? "text:" : "binary:") +
                              (m.size() > 64 ? "<" + std::to_string(m.size()) + ">" : m));
        if (e.opcode == Opcode::Text && m.rfind("cmd:", 0) == 0) {
            command(m.substr(4));
            return;
        }
        send(e.opcode, m);
    }

    void command(const std::string& c) {
        const auto space = c.find(' ');
        const std::string name = c.substr(0, space);
        const std::string arg = space == std::string::npos ? "" : c.substr(space + 1);
        out_.clear();
        if (name == "close") {
            const auto sp = arg.find(' ');
            write_close(out_, static_cast<uint16_t>(std::stoi(arg.substr(0, sp))),
                        sp == std::string::npos ? "" : arg.substr(sp + 1), Role::Server);
            sent_close_ = true;
            write_out();
        } else if (name == "fragments") {
            write_frame(out_, Opcode::Text, std::string_view("frag"), Role::Server, false);
            write_frame(out_, Opcode::Ping, std::string_view("p"), Role::Server);
            write_frame(out_, Opcode::Continuation, std::string_view("mented"), Role::Server);
            write_out();
        } else if (name == "ping") {
            send(Opcode::Ping, arg);
        } else if (name == "big") {
            send(Opcode::Binary, std::string(std::stoul(arg), 'B'));
        } else if (name == "masked") {
            write_frame(out_, Opcode::Text, std::string_view("x"), Role::Client);
            write_out();
        } else if (name == "drop") {
            conn_.close();
        } else if (name == "silent") {
            ignore_ = true;
        } else if (name == "pings") {
            wanted_pings_ = std::stoi(arg);
        }
    }

    void send(Opcode op, std::string_view payload) {
        out_.clear();
        write_frame(out_, op, payload, Role::Server);
        write_out();
    }

    void write_out() {
        conn_.write({reinterpret_cast<const uint8_t*>(out_.data()), out_.size()});
        out_.clear();
    }

    net::StreamConnection& conn_;
    ServerLog& log_;
    http::RequestParser parser_;
    Decoder decoder_{Role::Server, {.max_message = 1 << 20}};
    std::string out_;
    bool upgraded_ = false;
    bool ignore_ = false;
    bool sent_close_ = false;
    int wanted_pings_ = 0;
};

inline net::StreamServer::HandlerFactory test_ws_factory(ServerLog& log) {
    return [&log](net::StreamConnection& c) { return std::make_unique<TestWsHandler>(c, log); };
}

} // namespace rtc::ws::test
