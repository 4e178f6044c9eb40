#include "load_generator.hpp"

#include "app/exit_codes.hpp"
#include "net/udp_batch_socket.hpp"

#include <asio/io_context.hpp>

#include <string>

namespace rtc::probe_tool {

namespace {

// Every socket sends Binding requests to the one server; any Binding response answers.
class BindingTraffic final : public LoadTraffic {
public:
    explicit BindingTraffic(const util::Endpoint& server) : server_(server) {}

    std::span<const uint8_t> write_request(uint32_t, const stun::TransactionId& id,
                                           std::span<uint8_t> out) override {
        if (out.size() < probe::kBindingRequestSize)
            return {};
        probe::write_binding_request(out.first<probe::kBindingRequestSize>(), id);
        return out.first(probe::kBindingRequestSize);
    }
    const util::Endpoint& destination(uint32_t) const override { return server_; }
    probe::BindingAnswer read_answer(uint32_t, std::span<const uint8_t> data) override {
        return probe::read_binding_answer(data);
    }

private:
    util::Endpoint server_;
};

} // namespace

LoadReport run_stun_load(const LoadSettings& s) {
    asio::io_context io;
    net::UdpBatchOptions options;
    options.max_datagram = 1500;
    options.send_queue = kLoadSendQueue;
    options.reuse_port = false;
    options.receive_buffer = kLoadSocketBuffer;
    options.send_buffer = kLoadSocketBuffer;
    const util::Endpoint local{util::IpAddress::any(s.server.address.family()), 0};
    LoadEngine::Sockets sockets;
    for (int i = 0; i < s.sockets; ++i) {
        std::error_code ec;
        auto socket = net::UdpBatchSocket::open(io, local, options, ec);
        if (!socket)
            throw app::ToolError("cannot open UDP socket " + std::to_string(i + 1) + ": " +
                                     ec.message(),
                                 "lower --sockets");
        sockets.push_back(std::move(socket));
    }
    BindingTraffic traffic(s.server);
    LoadEngine engine(io, s.pacing, sockets, traffic);
    for (std::size_t i = 0; i < sockets.size(); ++i)
        sockets[i]->start(
            [&engine, i](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
                engine.on_batch(static_cast<uint32_t>(i), batch);
            });
    engine.start([&sockets] {
        for (const auto& socket : sockets)
            socket->close();
    });
    io.run();
    return engine.report();
}

} // namespace rtc::probe_tool
