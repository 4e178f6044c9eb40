// Interop with a third-party implementation, Python's `websockets` (python3-websockets 10.4):
// WsClient against its server (ws and wss), and its client against the codec-based test server.
#include "child_process.hpp"
#include "net/ws_client.hpp"
#include "ws_test_server.hpp"

#include "tls/credentials.hpp"

#include <asio/post.hpp>
#include <doctest/doctest.h>
#include <mbedtls/pk.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using rtc::net::WsClient;
using rtc::net::WsClientOptions;
using rtc::ws::test::ChildProcess;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

// A websockets server on 127.0.0.1:0 that prints its port. argv: [CERT KEY] for wss.
// /deny* is refused with 403; /hello* first reports the Origin, X-Test, subprotocol and SNI.
const char* const kServerScript = R"PY(
import asyncio, ssl, sys, websockets
from http import HTTPStatus
sni = []
async def process_request(path, headers):
    if path.startswith('/deny'):
        return HTTPStatus.FORBIDDEN, [('Content-Type', 'text/plain')], b'go away\n'
    return None
async def handler(ws, path):
    if path.startswith('/hello'):
        h = ws.request_headers
        await ws.send('origin=%s;x-test=%s;protocol=%s;sni=%s;path=%s' % (
            h.get('Origin'), h.get('X-Test'), ws.subprotocol, sni[-1] if sni else '', path))
    async for m in ws:
        if m == 'cmd:fragments':
            await ws.send(['frag', 'men', 'ted'])
        elif m == 'cmd:ping':
            waiter = await ws.ping('py')
            await asyncio.wait_for(waiter, 5)
            await ws.send('pong ok')
        elif m == 'cmd:close':
            await ws.close(4002, 'py bye')
            return
        else:
            await ws.send(m)
async def main():
    ctx = None
    if len(sys.argv) > 2:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        ctx.sni_callback = lambda obj, name, c: sni.append(name or '')
    async with websockets.serve(handler, '127.0.0.1', 0, ssl=ctx, subprotocols=['chat'],
                                process_request=process_request, max_size=2**20) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
)PY";

// A websockets client run against URL argv[1]; prints one line per step.
const char* const kClientScript = R"PY(
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], subprotocols=['chat'],
                                  origin='http://py.example') as ws:
        print('protocol', ws.subprotocol)
        await ws.send('hello'); print(await ws.recv())
        await ws.send(b'\x00\x01\xfe'); print((await ws.recv()).hex())
        await ws.send(['frag', 'men', 'ted']); print(await ws.recv())
        waiter = await ws.ping('abc'); await asyncio.wait_for(waiter, 5); print('pong')
        await ws.send('\u00e9' * 40000); print(len(await ws.recv()))
        await ws.close(4003, 'done')
        print('closed', ws.close_code, ws.close_reason)
asyncio.run(asyncio.wait_for(main(), 10))
)PY";

struct Outcome {
    bool opened = false;
    bool closed = false;
    uint16_t code = 0;
    std::string reason;
    std::string error;
    std::vector<std::string> messages;
};

// Connects to a Python server, runs `on_open`/`on_message`, and returns what happened.
Outcome run_client(WsClientOptions options, std::function<void(WsClient&)> on_open,
                   std::function<void(WsClient&, const std::string&)> on_message) {
    asio::io_context io;
    Outcome out;
    std::shared_ptr<WsClient> client;
    client = WsClient::connect(
        io, std::move(options),
        {.on_open =
             [&] {
                 out.opened = true;
                 on_open(*client);
             },
         .on_message =
             [&](std::string_view data, bool binary) {
                 out.messages.push_back((binary ? "b:" : "t:") + std::string(data));
                 on_message(*client, out.messages.back());
             },
         .on_close =
             [&](uint16_t code, std::string_view reason, std::string_view error) {
                 out.closed = true;
                 out.code = code;
                 out.reason = reason;
                 out.error = error;
             }});
    io.run_for(15s); // ends as soon as the client is done (nothing else runs on `io`)
    REQUIRE(out.closed);
    return out;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ws_interop_XXXXXX";
        if (::mkdtemp(tmpl) != nullptr)
            path = tmpl;
    }
    ~TempDir() {
        if (!path.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    }
};

std::string key_pem(const rtc::tls::Credentials& c) {
    std::vector<unsigned char> buf(4096);
    REQUIRE(mbedtls_pk_write_key_pem(c.key(), buf.data(), buf.size()) == 0);
    return reinterpret_cast<const char*>(buf.data());
}

std::string start_python_server(ChildProcess& py) {
    REQUIRE(py.started());
    const auto port = py.read_line(15s);
    REQUIRE_MESSAGE(port, "the Python websockets server did not start (python3-websockets?)");
    return *port;
}

} // namespace

TEST_CASE("ws interop: WsClient against Python websockets' server") {
    ChildProcess py({kPython, "-c", kServerScript});
    const std::string port = start_python_server(py);
    const std::string base = "ws://127.0.0.1:" + port;

    // Echo of text, binary and a large message, fragments, the server's ping, its close.
    auto o = WsClientOptions{};
    o.url = base + "/hello?room=a";
    o.origin = "https://app.example";
    o.headers = {{"X-Test", "7"}};
    o.protocols = {"chat"};
    const auto echo = run_client(
        o,
        [](WsClient& c) {
            c.send_text("hi");
            c.send_binary(std::string("\x00\xff", 2));
            c.send_text(std::string(100000, 'L'));
            c.send_text("cmd:fragments");
            c.send_text("cmd:ping");
            c.send_text("cmd:close");
        },
        [](WsClient&, const std::string&) {});
    REQUIRE(echo.messages.size() == 6);
    CHECK(echo.messages[0] ==
          "t:origin=https://app.example;x-test=7;protocol=chat;sni=;path=/hello?room=a");
    CHECK(echo.messages[1] == "t:hi");
    CHECK(echo.messages[2] == "b:" + std::string("\x00\xff", 2));
    CHECK(echo.messages[3] == "t:" + std::string(100000, 'L'));
    CHECK(echo.messages[4] == "t:fragmented");
    CHECK(echo.messages[5] == "t:pong ok");
    CHECK(echo.code == 4002);
    CHECK(echo.reason == "py bye");
    CHECK(echo.error.empty());

    // A clean close started by the client.
    const auto closing = run_client(
        [&] {
            WsClientOptions c;
            c.url = base + "/";
            return c;
        }(),
        [](WsClient& c) { c.send_text("once"); },
        [](WsClient& c, const std::string&) { c.close(1000, "thanks"); });
    CHECK(closing.messages == std::vector<std::string>{"t:once"});
    CHECK(closing.code == 1000);
    CHECK(closing.reason == "thanks"); // websockets echoes code and reason
    CHECK(closing.error.empty());

    // A refusal before the upgrade.
    WsClientOptions deny;
    deny.url = base + "/deny";
    const auto refused = run_client(
        deny, [](WsClient&) { FAIL_CHECK("opened"); }, [](WsClient&, const std::string&) {});
    CHECK(refused.code == 1006);
    CHECK(refused.error == "server answered 403 Forbidden");
}

TEST_CASE("ws interop: WsClient over wss against Python websockets with SNI") {
    const auto creds = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    TempDir dir;
    REQUIRE_FALSE(dir.path.empty());
    const std::string cert = dir.path + "/cert.pem", key = dir.path + "/key.pem";
    std::ofstream(cert) << creds->chain_pem();
    std::ofstream(key) << key_pem(*creds);
    ChildProcess py({kPython, "-c", kServerScript, cert, key});
    const std::string port = start_python_server(py);

    WsClientOptions o;
    o.url = "wss://localhost:" + port + "/hello";
    o.trusted_pem_file = cert;
    const auto ok = run_client(
        o, [](WsClient&) {}, [](WsClient& c, const std::string&) { c.close(); });
    CHECK(ok.error.empty());
    REQUIRE(ok.messages.size() == 1);
    CHECK(ok.messages[0] == "t:origin=None;x-test=None;protocol=None;sni=localhost;path=/hello");

    // No trust anchor for the self-signed certificate: the system bundle does not know it.
    WsClientOptions strict;
    strict.url = "wss://127.0.0.1:" + port + "/";
    const auto refused = run_client(
        strict, [](WsClient&) { FAIL_CHECK("opened"); }, [](WsClient&, const std::string&) {});
    CHECK(refused.error.rfind("TLS: certificate verification failed: ", 0) == 0);

    // `insecure`, as for a `--cert auto` server.
    WsClientOptions any;
    any.url = "wss://127.0.0.1:" + port + "/";
    any.insecure = true;
    const auto insecure = run_client(
        any, [](WsClient& c) { c.send_text("over tls"); },
        [](WsClient& c, const std::string&) { c.close(); });
    CHECK(insecure.messages == std::vector<std::string>{"t:over tls"});
    CHECK(insecure.error.empty());
}

TEST_CASE("ws interop: Python websockets' client against the codec's server side") {
    rtc::ws::test::ServerLog log;
    asio::io_context io;
    auto server = rtc::net::StreamServer::start(io, *rtc::util::Endpoint::parse("127.0.0.1:0"),
                                                rtc::ws::test::test_ws_factory(log));
    const std::string url =
        "ws://127.0.0.1:" + std::to_string(server->local_endpoint().port) + "/echo";
    auto work = asio::make_work_guard(io);
    std::thread loop([&] { io.run_for(30s); });

    std::string output;
    int status = -1;
    {
        ChildProcess py({kPython, "-c", kClientScript, url});
        REQUIRE(py.started());
        status = py.finish(output, 20s);
    }
    asio::post(io, [&] {
        server->stop(0ms);
        work.reset();
        io.stop();
    });
    loop.join();

    CHECK(status == 0);
    CHECK(output == "protocol chat\n"
                    "hello\n"
                    "0001fe\n"
                    "fragmented\n"
                    "pong\n"
                    "40000\n"
                    "closed 4003 done\n");
    CHECK(log.has("upgrade /echo"));
    CHECK(log.has("text:fragmented"));
    CHECK(log.has("close:4003:done"));
}
