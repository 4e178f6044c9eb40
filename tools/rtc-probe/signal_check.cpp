#include "signal_check.hpp"

#include "net/ws_client.hpp"

#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace rtc::probe_tool {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

class SignalCheck {
public:
    SignalCheck(asio::io_context& io, const SignalSettings& s) : io_(io), s_(s), timer_(io) {}

    SignalResult run() {
        start_ = Clock::now();
        arm("no answer to the WebSocket upgrade");
        a_ = connect(s_.id_a, true);
        io_.run();
        return std::move(result_);
    }

private:
    enum class Phase { ConnectA, WelcomeA, ConnectB, WelcomeB, RoundTrips, Done };

    std::shared_ptr<net::WsClient> connect(const std::string& id, bool is_a) {
        net::WsClientOptions o;
        o.url = s_.url + "?id=" + id; // ids are [A-Za-z0-9-]: nothing to escape
        if (!s_.token.empty())
            o.headers.emplace_back("Authorization", "Bearer " + s_.token);
        o.insecure = s_.insecure;
        o.trusted_pem_file = s_.ca_file;
        o.connect_timeout = s_.timeout;
        o.close_timeout = s_.timeout;
        const char* who = is_a ? "peer a" : "peer b";
        net::WsClient::Callbacks callbacks;
        callbacks.on_open = [this, is_a] { on_open(is_a); };
        callbacks.on_message = [this, is_a](std::string_view data, bool binary) {
            on_message(is_a, data, binary);
        };
        callbacks.on_close = [this, who, is_a](uint16_t code, std::string_view reason,
                                               std::string_view error) {
            on_close(who, is_a, code, reason, error);
        };
        return net::WsClient::connect(io_, std::move(o), std::move(callbacks));
    }

    void arm(std::string what) {
        timeout_what_ = std::move(what);
        const uint64_t generation = ++generation_;
        timer_.expires_after(s_.timeout);
        timer_.async_wait([this, generation](const std::error_code& ec) {
            if (!ec && generation == generation_)
                fail("timeout: " + timeout_what_ + " within " + std::to_string(s_.timeout.count()) +
                     " ms");
        });
    }

    void on_open(bool is_a) {
        const auto now = Clock::now();
        if (is_a) {
            result_.connect = now - start_;
            result_.server = a_->remote().to_string();
            result_.http_status = a_->http_status();
            phase_ = Phase::WelcomeA;
        } else {
            phase_ = Phase::WelcomeB;
        }
        arm(std::string("no welcome for ") + (is_a ? "peer a" : "peer b"));
    }

    // man/rtc-signal.1.scd, MESSAGES (SCHEMA VERSION 1).
    bool check_welcome(const Json& m, const std::string& id, const std::string& other) {
        if (m.value("type", "") != "welcome") {
            fail("expected a welcome, got " + m.dump().substr(0, 120));
            return false;
        }
        const auto v = m.find("v");
        if (v == m.end() || !v->is_number_integer() || v->get<int64_t>() != 1) {
            fail("welcome has schema version " + (v == m.end() ? "none" : v->dump()) +
                 ", expected 1");
            return false;
        }
        if (m.value("room", "") != s_.room || m.value("id", "") != id) {
            fail("welcome names room " + m.value("room", "?") + " and id " + m.value("id", "?") +
                 ", expected " + s_.room + " and " + id);
            return false;
        }
        const auto peers = m.find("peers");
        const auto resume = m.find("resume");
        if (peers == m.end() || !peers->is_array() || resume == m.end() || !resume->is_string()) {
            fail("welcome lacks peers (array) or resume (string)");
            return false;
        }
        if (!other.empty() &&
            std::find(peers->begin(), peers->end(), Json(other)) == peers->end()) {
            fail("welcome of peer b does not list peer a among the peers");
            return false;
        }
        return true;
    }

    void send_probe() {
        Json m{{"type", "message"}, {"to", s_.id_b}, {"data", {{"probe", sequence_}}}};
        sent_ = Clock::now();
        arm("no echo of message " + std::to_string(sequence_ + 1));
        if (!a_->send_text(m.dump()))
            fail("peer a could not send");
    }

    void on_message(bool is_a, std::string_view data, bool binary) {
        const auto now = Clock::now();
        if (phase_ == Phase::Done)
            return;
        const Json m = Json::parse(data, nullptr, false);
        if (binary || !m.is_object()) {
            fail(std::string("peer ") + (is_a ? "a" : "b") +
                 " got a message that is no JSON object");
            return;
        }
        const std::string type = m.value("type", "");
        if (type == "error") {
            fail("server error " + m.value("code", "?") + ": " + m.value("message", ""));
            return;
        }
        if (is_a && phase_ == Phase::WelcomeA) {
            if (!check_welcome(m, s_.id_a, ""))
                return;
            result_.join = now - start_;
            phase_ = Phase::ConnectB;
            arm("no answer to peer b's WebSocket upgrade");
            b_start_ = Clock::now();
            b_ = connect(s_.id_b, false);
        } else if (!is_a && phase_ == Phase::WelcomeB) {
            if (!check_welcome(m, s_.id_b, s_.id_a))
                return;
            result_.join_b = now - b_start_;
            phase_ = Phase::RoundTrips;
            send_probe();
        } else if (phase_ == Phase::RoundTrips && type == "message") {
            const auto probe = m.contains("data") && m["data"].is_object()
                                   ? m["data"].value("probe", int64_t{-1})
                                   : int64_t{-1};
            const std::string from = m.value("from", "");
            if (!is_a) {
                // Peer b echoes what a sent back to a.
                if (from != s_.id_a) {
                    fail("peer b got a message from " + from + ", expected " + s_.id_a);
                    return;
                }
                Json echo{{"type", "message"}, {"to", s_.id_a}, {"data", m["data"]}};
                if (!b_->send_text(echo.dump()))
                    fail("peer b could not send");
            } else if (from == s_.id_b && probe == sequence_) {
                result_.rtts.push_back(now - sent_);
                if (++sequence_ < s_.messages)
                    send_probe();
                else
                    finish();
            } else {
                fail("peer a got an unexpected message " + m.dump().substr(0, 120));
            }
        }
        // joined/left/away/back and anything newer within version 1 are not this check's business.
    }

    void on_close(const char* who, bool is_a, uint16_t code, std::string_view reason,
                  std::string_view error) {
        (is_a ? a_closed_ : b_closed_) = true;
        if (phase_ != Phase::Done) {
            const auto& client = is_a ? a_ : b_;
            const int status = client ? client->http_status() : 0;
            if (status != 0 && status != 101) {
                result_.http_status = status;
                fail(std::string(who) + ": the server refused the upgrade: " +
                     (error.empty() ? "HTTP " + std::to_string(status) : std::string(error)));
            } else if (!error.empty()) {
                fail(std::string(who) + ": " + std::string(error));
            } else {
                fail(std::string(who) + ": the server closed the connection (" +
                     std::to_string(code) + (reason.empty() ? "" : " " + std::string(reason)) +
                     ")");
            }
        }
        if ((a_closed_ || !a_) && (b_closed_ || !b_))
            timer_.cancel();
    }

    void finish() {
        result_.ok = true;
        end();
    }

    void fail(std::string error) {
        if (phase_ == Phase::Done)
            return;
        result_.ok = false;
        result_.error = std::move(error);
        end();
    }

    void end() {
        phase_ = Phase::Done;
        ++generation_;
        timer_.cancel();
        // Leave politely; close() bounds the wait for the server's Close (close_timeout).
        if (a_ && !a_closed_)
            a_->close();
        if (b_ && !b_closed_)
            b_->close();
    }

    asio::io_context& io_;
    const SignalSettings& s_;
    asio::steady_timer timer_;
    uint64_t generation_ = 0;
    std::string timeout_what_;
    SignalResult result_;
    Phase phase_ = Phase::ConnectA;
    std::shared_ptr<net::WsClient> a_, b_;
    bool a_closed_ = false, b_closed_ = false;
    Clock::time_point start_, b_start_, sent_;
    int64_t sequence_ = 0;
};

} // namespace

SignalResult run_signal_check(asio::io_context& io, const SignalSettings& settings) {
    SignalCheck check(io, settings);
    return check.run();
}

} // namespace rtc::probe_tool
