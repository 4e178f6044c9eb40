#include "net/ws_client.hpp"

#include "net/socket_address.hpp"
#include "tls/context.hpp"
#include "tls/engine.hpp"
#include "ws/handshake.hpp"

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <mbedtls/asn1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace rtc::net {

namespace {

// Reads per readiness wake-up before other connections get their turn.
constexpr int kMaxReadsPerWakeup = 4;
// Decrypted bytes waiting for the frame decoder beyond one whole frame.
constexpr std::size_t kInputSlack = 64 * 1024;

// Received bytes land here first: no read buffer per connection (idle clients cost little).
thread_local std::array<uint8_t, 64 * 1024> t_read_buffer;

std::string describe(const std::error_code& ec) {
    std::string s = ec.message();
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return static_cast<bool>(in) || in.eof();
}

std::span<const uint8_t> span_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// RFC 6125 §6.2.1 / RFC 5280 §4.2.1.6: an IP reference identity matches an iPAddress entry of
// the subjectAltName. (mbedTLS 2.28 checks DNS names only.)
bool certificate_has_ip(const mbedtls_x509_crt* crt, const util::IpAddress& ip) {
    if (crt == nullptr)
        return false;
    for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
        if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS))
            continue;
        if (s->buf.len == ip.size() && std::memcmp(s->buf.p, ip.data(), ip.size()) == 0)
            return true;
    }
    return false;
}

// A context trusting the system's CA bundle, shared by every client that uses it at the same
// time (parsing the bundle costs milliseconds).
std::shared_ptr<const tls::Context> system_trust_context(std::string& error) {
    static std::mutex mutex;
    static std::weak_ptr<const tls::Context> cached;
    const std::lock_guard lock(mutex);
    if (auto context = cached.lock())
        return context;
    tls::ClientOptions co;
    if (!read_file(kSystemCaBundle, co.trusted_pem) || co.trusted_pem.empty()) {
        error = std::string("TLS: no trusted certificates (") + kSystemCaBundle +
                " is missing; give a PEM file, or accept any certificate for a test server)";
        return nullptr;
    }
    try {
        auto context = tls::Context::client(co);
        cached = context;
        return context;
    } catch (const std::exception& e) {
        error = std::string("TLS: ") + e.what();
        return nullptr;
    }
}

std::string authority(const ws::Url& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

} // namespace

struct WsClient::Private {};

std::shared_ptr<WsClient> WsClient::connect(asio::io_context& io, WsClientOptions options,
                                            Callbacks callbacks) {
    auto client =
        std::make_shared<WsClient>(io, std::move(options), std::move(callbacks), Private{});
    client->start();
    return client;
}

WsClient::WsClient(asio::io_context& io, WsClientOptions options, Callbacks callbacks,
                   const Private&)
    : io_(io), options_(std::move(options)), callbacks_(std::move(callbacks)), resolver_(io),
      socket_(io), timer_(io), ping_timer_(io),
      decoder_(ws::Role::Client,
               {.max_message = options_.max_message, .max_frames_per_message = 1u << 16}) {}

WsClient::~WsClient() = default;

void WsClient::start() {
    auto url = ws::parse_url(options_.url);
    if (!url) {
        fail("bad URL '" + options_.url +
             "' (expected ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH)");
        return;
    }
    url_ = std::move(*url);
    if (url_.secure && !make_tls_context())
        return;
    arm_timer(options_.connect_timeout);
    if (const auto ip = util::IpAddress::parse(url_.host)) {
        // An address needs no resolver.
        phase_ = Phase::Connecting;
        const asio::ip::tcp::endpoint endpoint(to_asio(*ip), url_.port);
        socket_.async_connect(endpoint,
                              [self = shared_from_this(), endpoint](const std::error_code& ec) {
                                  self->on_connected(ec, endpoint);
                              });
        return;
    }
    phase_ = Phase::Resolving;
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](const std::error_code& ec,
                                    asio::ip::tcp::resolver::results_type results) {
            self->on_resolved(ec, std::move(results));
        });
}

bool WsClient::make_tls_context() {
    if (options_.tls_context) {
        tls_context_ = options_.tls_context;
        return true;
    }
    if (!options_.insecure && options_.trusted_pem.empty() && options_.trusted_pem_file.empty()) {
        std::string error;
        tls_context_ = system_trust_context(error);
        if (!tls_context_)
            fail(error);
        return tls_context_ != nullptr;
    }
    tls::ClientOptions co;
    co.verify_peer = !options_.insecure;
    if (options_.insecure) {
        // Any certificate: no trust anchors needed.
    } else if (!options_.trusted_pem.empty()) {
        co.trusted_pem = options_.trusted_pem;
    } else if (!read_file(options_.trusted_pem_file, co.trusted_pem)) {
        fail("TLS: cannot read trusted certificates from " + options_.trusted_pem_file);
        return false;
    } else if (co.trusted_pem.empty()) {
        fail("TLS: no certificates in " + options_.trusted_pem_file);
        return false;
    }
    try {
        tls_context_ = tls::Context::client(co);
    } catch (const std::exception& e) {
        fail(std::string("TLS: ") + e.what());
        return false;
    }
    return true;
}

void WsClient::on_resolved(const std::error_code& ec,
                           asio::ip::tcp::resolver::results_type results) {
    if (phase_ != Phase::Resolving)
        return;
    if (ec || results.empty()) {
        fail("cannot resolve " + url_.host + ": " +
             (ec ? describe(ec) : std::string("no address")));
        return;
    }
    phase_ = Phase::Connecting;
    // Each address in turn ("localhost" may be ::1 then 127.0.0.1).
    asio::async_connect(socket_, results,
                        [self = shared_from_this()](const std::error_code& ec,
                                                    const asio::ip::tcp::endpoint& endpoint) {
                            self->on_connected(ec, endpoint);
                        });
}

void WsClient::on_connected(const std::error_code& ec, const asio::ip::tcp::endpoint& endpoint) {
    if (phase_ != Phase::Connecting)
        return;
    if (ec) {
        fail("cannot connect to " + authority(url_) + ": " + describe(ec));
        return;
    }
    remote_ = from_asio(endpoint);
    std::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);

    ws::ClientHandshakeOptions hs_options;
    hs_options.host = url_.host_header;
    hs_options.target = url_.target;
    hs_options.origin = options_.origin;
    hs_options.protocols = options_.protocols;
    hs_options.headers = options_.headers;
    auto hs = ws::make_client_handshake(hs_options);
    key_ = std::move(hs.key);
    phase_ = Phase::Handshaking;
    if (url_.secure) {
        try {
            tls_ = std::make_unique<tls::Engine>(tls_context_);
        } catch (const std::exception& e) {
            fail(std::string("TLS: ") + e.what());
            return;
        }
        // RFC 6066 §3: SNI carries names only, never addresses.
        if (!util::IpAddress::parse(url_.host))
            tls_->set_server_name(url_.host);
        tls_->start(Clock::now());
        tls_->write(span_of(hs.request)); // held until the handshake completes
        move_tls_output();
    } else {
        pending_ = std::move(hs.request);
        start_write();
    }
    wait_readable();
}

void WsClient::wait_readable() {
    if (read_active_ || phase_ == Phase::Done)
        return;
    read_active_ = true;
    socket_.async_wait(asio::socket_base::wait_read,
                       [self = shared_from_this()](const std::error_code& ec) {
                           self->read_active_ = false;
                           self->on_readable(ec);
                       });
}

void WsClient::on_readable(const std::error_code& ec) {
    if (phase_ == Phase::Done)
        return;
    if (ec) {
        on_end_of_stream(ec);
        return;
    }
    for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
        std::error_code read_ec;
        const std::size_t n = socket_.read_some(asio::buffer(t_read_buffer), read_ec);
        if (read_ec == asio::error::would_block || read_ec == asio::error::try_again)
            break;
        if (read_ec) {
            on_end_of_stream(read_ec);
            return;
        }
        on_bytes({t_read_buffer.data(), n});
        if (phase_ == Phase::Done)
            return;
        if (n < t_read_buffer.size())
            break;
    }
    wait_readable();
}

void WsClient::on_end_of_stream(const std::error_code& ec) {
    if (phase_ == Phase::Draining || notified_) {
        teardown();
        return;
    }
    const bool eof = !ec || ec == asio::error::eof;
    if (phase_ == Phase::Handshaking && (!tls_ || tls_->is_open()))
        fail(eof ? "server closed the connection during the WebSocket handshake"
                 : "connection lost during the WebSocket handshake: " + describe(ec));
    else if (phase_ == Phase::Handshaking)
        fail(eof ? "TLS: server closed the connection during the handshake"
                 : "TLS: connection lost during the handshake: " + describe(ec));
    else
        fail(eof ? "server closed the connection without a Close frame"
                 : "connection lost: " + describe(ec));
}

void WsClient::on_bytes(std::span<const uint8_t> data) {
    last_rx_ = Clock::now();
    ping_outstanding_ = false;
    if (tls_) {
        on_tls_bytes(data);
        return;
    }
    if (input_.empty()) {
        // The common case: decode straight from the read buffer, keep only a partial frame.
        const std::size_t used = process(data);
        if (phase_ != Phase::Done && used < data.size())
            input_.assign(reinterpret_cast<const char*>(data.data()) + used, data.size() - used);
        return;
    }
    input_.append(reinterpret_cast<const char*>(data.data()), data.size());
    const std::size_t used = process(span_of(input_));
    if (phase_ != Phase::Done)
        input_.erase(0, used);
}

void WsClient::on_tls_bytes(std::span<const uint8_t> data) {
    tls_->feed(data, last_rx_);
    move_tls_output();
    if (!check_tls())
        return;
    const auto plain = tls_->pending_plaintext();
    if (!plain.empty()) {
        tls_->consume_plaintext(process(plain));
        if (phase_ == Phase::Done)
            return;
        if (tls_->pending_plaintext().size() > options_.max_message + kInputSlack) {
            fail("server sent more than the input limit");
            return;
        }
    }
    if (tls_->state() == tls::EngineState::Closed)
        on_end_of_stream({}); // the server's close_notify (RFC 5246 §7.2.1)
}

// False (after failing) when TLS failed or the certificate does not fit the address.
bool WsClient::check_tls() {
    if (tls_->state() == tls::EngineState::Failed) {
        if (phase_ == Phase::Draining || notified_) {
            teardown();
            return false;
        }
        const uint32_t flags = mbedtls_ssl_get_verify_result(tls_->native());
        if (flags != 0 && flags != static_cast<uint32_t>(-1) &&
            (flags & MBEDTLS_X509_BADCERT_SKIP_VERIFY) == 0) {
            std::array<char, 512> info{};
            mbedtls_x509_crt_verify_info(info.data(), info.size(), "", flags);
            std::string what(info.data());
            what = what.substr(0, what.find('\n'));
            fail("TLS: certificate verification failed: " + what);
            return false;
        }
        std::string what = tls_->error();
        if (what.rfind("TLS ", 0) == 0)
            what.erase(0, 4);
        fail("TLS: " + what);
        return false;
    }
    if (!tls_checked_ && tls_->is_open()) {
        tls_checked_ = true;
        const auto ip = util::IpAddress::parse(url_.host);
        // The chain passed; mbedTLS 2.28 leaves an address unchecked, so check it here.
        const bool verifying = tls_context_->config()->authmode == MBEDTLS_SSL_VERIFY_REQUIRED;
        if (ip && verifying && mbedtls_ssl_get_verify_result(tls_->native()) == 0 &&
            !certificate_has_ip(mbedtls_ssl_get_peer_cert(tls_->native()), *ip)) {
            fail("TLS: certificate verification failed: the certificate is not valid for " +
                 ip->to_string());
            return false;
        }
    }
    return true;
}

std::size_t WsClient::process(std::span<const uint8_t> data) {
    std::size_t offset = 0;
    if (phase_ == Phase::Handshaking) {
        offset = process_head({reinterpret_cast<const char*>(data.data()), data.size()});
        if (phase_ != Phase::Open)
            return phase_ == Phase::Done ? data.size() : offset;
    }
    // Each round consumes a frame or stops (NeedMore, or a phase that takes no more input).
    while (phase_ == Phase::Open || phase_ == Phase::Closing) {
        std::size_t used = 0;
        const ws::Event event = decoder_.next(data.subspan(offset), used);
        offset += used;
        switch (event.kind) {
        case ws::EventKind::NeedMore:
            return offset;
        case ws::EventKind::Message:
            // After close() the application has said it is done listening.
            if (phase_ == Phase::Open && callbacks_.on_message)
                callbacks_.on_message(event.payload, event.opcode == ws::Opcode::Binary);
            break;
        case ws::EventKind::Ping:
            // RFC 6455 §5.5.2: answer with the same payload (skipped when output is full; a
            // later Pong answers too, §5.5.3).
            if (phase_ == Phase::Open)
                queue_frame(ws::Opcode::Pong, event.payload, true);
            break;
        case ws::EventKind::Pong:
            break;
        case ws::EventKind::Close: {
            const uint16_t code = event.close_code;
            const std::string reason(event.reason);
            // RFC 6455 §5.5.1: answer a Close the server started, echoing its code.
            if (phase_ == Phase::Open)
                queue(0, false, [code](std::string& out) {
                    ws::write_close(out, code, {}, ws::Role::Client);
                });
            notify_close(code, reason, {});
            begin_drain();
            return data.size();
        }
        case ws::EventKind::Error: {
            // RFC 6455 §7.1.7: fail the connection with the code that fits.
            queue(0, false, [&event](std::string& out) {
                ws::write_close(out, event.close_code, event.reason, ws::Role::Client);
            });
            notify_close(event.close_code, {},
                         "bad frame from the server: " + std::string(event.reason));
            begin_drain();
            return data.size();
        }
        }
    }
    return phase_ == Phase::Done || phase_ == Phase::Draining ? data.size() : offset;
}

std::size_t WsClient::process_head(std::string_view data) {
    ws::ResponseHead head;
    std::size_t used = 0;
    switch (ws::parse_response_head(data, head, used)) {
    case ws::HeadStatus::NeedMore:
        return 0;
    case ws::HeadStatus::Error:
        fail("server did not answer with HTTP (is it a WebSocket server?)");
        return data.size();
    case ws::HeadStatus::Complete:
        break;
    }
    http_status_ = head.status;
    const std::string error = ws::verify_server_handshake(head, key_, options_.protocols);
    if (!error.empty()) {
        fail(error);
        return data.size();
    }
    protocol_ = std::string(head.header("Sec-WebSocket-Protocol"));
    phase_ = Phase::Open;
    ++timer_generation_;
    timer_.cancel();
    last_rx_ = Clock::now();
    arm_ping();
    if (callbacks_.on_open)
        callbacks_.on_open();
    return used;
}

bool WsClient::send_text(std::string_view text) {
    return phase_ == Phase::Open && queue_frame(ws::Opcode::Text, text, true);
}

bool WsClient::send_binary(std::string_view data) {
    return phase_ == Phase::Open && queue_frame(ws::Opcode::Binary, data, true);
}

void WsClient::close(uint16_t code, std::string_view reason) {
    switch (phase_) {
    case Phase::Resolving:
    case Phase::Connecting:
    case Phase::Handshaking:
        fail("closed before the connection opened");
        return;
    case Phase::Open:
        // RFC 6455 §7.1.2: send Close, then wait for the server's.
        queue(0, false, [code, reason](std::string& out) {
            ws::write_close(out, code, reason, ws::Role::Client);
        });
        if (phase_ != Phase::Open)
            return;
        phase_ = Phase::Closing;
        ping_timer_.cancel();
        arm_timer(options_.close_timeout);
        return;
    case Phase::Closing:
    case Phase::Draining:
    case Phase::Done:
        return;
    }
}

bool WsClient::queue_frame(ws::Opcode opcode, std::string_view payload, bool limited) {
    return queue(payload.size(), limited, [&](std::string& out) {
        ws::write_frame(out, opcode, payload, ws::Role::Client);
    });
}

template <class Write> bool WsClient::queue(std::size_t payload_size, bool limited, Write&& write) {
    if (phase_ == Phase::Done)
        return false;
    // 14 bytes: the largest frame header.
    if (limited && buffered_output() + payload_size + 14 > options_.max_output)
        return false;
    if (tls_) {
        frame_.clear();
        write(frame_);
        if (!tls_->write(span_of(frame_))) {
            fail("TLS: " + tls_->error());
            return false;
        }
        move_tls_output();
    } else {
        write(pending_);
        start_write();
    }
    return true;
}

void WsClient::move_tls_output() {
    for (auto out = tls_->pending_output(); !out.empty(); out = tls_->pending_output()) {
        pending_.append(reinterpret_cast<const char*>(out.data()), out.size());
        tls_->consume_output();
    }
    start_write();
}

void WsClient::start_write() {
    if (write_active_ || pending_.empty() || phase_ == Phase::Done)
        return;
    writing_.swap(pending_);
    write_active_ = true;
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                          self->on_written(ec);
                      });
}

void WsClient::on_written(const std::error_code& ec) {
    write_active_ = false;
    writing_.clear();
    if (phase_ == Phase::Done)
        return;
    if (ec) {
        if (notified_)
            teardown();
        else
            fail("connection lost: " + describe(ec));
        return;
    }
    if (!pending_.empty()) {
        start_write();
    } else if (phase_ == Phase::Draining) {
        // Everything we owe is sent: half-close and wait (bounded) for the server's end.
        std::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
}

void WsClient::arm_timer(std::chrono::milliseconds after) {
    const uint64_t generation = ++timer_generation_;
    timer_.expires_after(after);
    timer_.async_wait([weak = weak_from_this(), generation](const std::error_code& ec) {
        auto self = weak.lock();
        if (ec == asio::error::operation_aborted || !self || generation != self->timer_generation_)
            return;
        self->on_timer();
    });
}

void WsClient::on_timer() {
    switch (phase_) {
    case Phase::Resolving:
        resolver_.cancel();
        fail("timed out resolving " + url_.host + " after " + ms(options_.connect_timeout));
        return;
    case Phase::Connecting:
        fail("timed out connecting to " + authority(url_) + " after " +
             ms(options_.connect_timeout));
        return;
    case Phase::Handshaking:
        fail(std::string(tls_ && !tls_->is_open() ? "TLS: handshake timed out"
                                                  : "timed out waiting for the WebSocket "
                                                    "handshake") +
             " after " + ms(options_.connect_timeout));
        return;
    case Phase::Closing:
        fail("no Close answer from the server within " + ms(options_.close_timeout));
        return;
    case Phase::Draining:
        teardown();
        return;
    case Phase::Open:
    case Phase::Done:
        return;
    }
}

void WsClient::arm_ping() {
    if (options_.ping_interval.count() <= 0 || phase_ != Phase::Open)
        return;
    const auto interval = options_.ping_interval;
    ping_timer_.expires_at(last_rx_ + (ping_outstanding_ ? 2 * interval : interval));
    ping_timer_.async_wait([weak = weak_from_this()](const std::error_code& ec) {
        auto self = weak.lock();
        if (ec == asio::error::operation_aborted || !self)
            return;
        self->on_ping_timer();
    });
}

void WsClient::on_ping_timer() {
    if (phase_ != Phase::Open)
        return;
    const auto interval = options_.ping_interval;
    const auto silence = Clock::now() - last_rx_;
    if (silence >= 2 * interval) {
        fail("no data from the server for " + ms(2 * interval) + " (ping timeout)");
        return;
    }
    if (silence >= interval && !ping_outstanding_) {
        ping_outstanding_ = true;
        if (!queue_frame(ws::Opcode::Ping, "rtc", false))
            return;
    }
    arm_ping();
}

void WsClient::begin_drain() {
    if (phase_ == Phase::Done || phase_ == Phase::Draining)
        return;
    phase_ = Phase::Draining;
    ping_timer_.cancel();
    arm_timer(options_.close_timeout);
    if (tls_ && tls_->is_open()) {
        tls_->close(); // close_notify (RFC 5246 §7.2.1)
        move_tls_output();
    }
    if (!write_active_ && pending_.empty()) {
        std::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    wait_readable(); // until the server's end of the stream or the deadline
}

void WsClient::notify_close(uint16_t code, std::string_view reason, std::string error) {
    if (notified_)
        return;
    notified_ = true;
    // Drop every callback now (they may hold this client) and report from the event loop.
    auto on_close = std::move(callbacks_.on_close);
    callbacks_ = {};
    if (!on_close)
        return;
    asio::post(io_, [on_close = std::move(on_close), code, reason = std::string(reason),
                     error = std::move(error)] { on_close(code, reason, error); });
}

void WsClient::fail(std::string error) {
    notify_close(ws::close_code::kAbnormal, {}, std::move(error));
    teardown();
}

void WsClient::teardown() {
    if (phase_ == Phase::Done)
        return;
    phase_ = Phase::Done;
    ++timer_generation_;
    resolver_.cancel();
    timer_.cancel();
    ping_timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    input_.clear();
    input_.shrink_to_fit();
}

} // namespace rtc::net
