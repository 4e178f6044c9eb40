// HttpServer against a third-party WebSocket client: python3-websockets 10 (Debian's), run as
// /usr/bin/python3. Echo, fragments, ping, close codes both ways, oversized, unmasked, bad UTF-8,
// keepalive, slow consumer, and wss:// with OpenSSL verifying our mbedTLS certificate.
#include "http_test_util.hpp"
#include "net/http_server_state.hpp"
#include "tls/context.hpp"
#include "tls/credentials.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

using namespace rtc::net::test;
using rtc::net::HttpServerOptions;

namespace {

// argv: PORT SCENARIO [ARG] [CAFILE]. Prints one line per observation.
constexpr const char* kClient = R"PY(
import asyncio, ssl, sys, urllib.request
import websockets

port, scenario = int(sys.argv[1]), sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else ""
ctx = None
scheme = "ws"
if scenario.startswith("tls"):
    scheme = "wss"
    ctx = ssl.create_default_context(cafile=sys.argv[4])
uri = f"{scheme}://127.0.0.1:{port}/room"

def report(e):
    r = e.rcvd
    print("closed", r.code if r else "none", r.reason if r else "", flush=True)

async def until_closed(ws):
    n = 0
    try:
        while True:
            await ws.recv()
            n += 1
    except websockets.ConnectionClosed as e:
        print("messages", n)
        report(e)

async def main():
    async with websockets.connect(uri, ping_interval=None, max_size=None, ssl=ctx,
                                  close_timeout=5) as ws:
        if scenario in ("echo", "tls-echo"):
            await ws.send("h\u00e9llo \u2713")
            print("text", await ws.recv())
            await ws.send(b"\x00\x01\xff")
            print("binary", (await ws.recv()).hex())
            await ws.send(["frag", "men", "ted"])
            print("fragmented", await ws.recv())
            await asyncio.wait_for(await ws.ping(b"p1"), 5)
            print("pong")
            await ws.close(4001, "done")
            print("close_code", ws.close_code, ws.close_reason)
        elif scenario == "big":
            await ws.send("x" * int(arg))
            await until_closed(ws)
        elif scenario == "unmasked":
            ws.transport.write(b"\x81\x02hi")
            await until_closed(ws)
        elif scenario == "badutf8":
            await ws.write_frame(True, 0x1, b"\xff\xfe")
            await until_closed(ws)
        elif scenario == "server_close":
            await ws.send("close:4000")
            await until_closed(ws)
        elif scenario == "keepalive":
            await asyncio.sleep(float(arg))
            await ws.send("still")
            print("echo", await ws.recv())
        elif scenario == "slow":
            await ws.send("flood:1000:4096")
            await until_closed(ws)
    if scenario == "tls-echo":
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/info", context=ctx) as r:
            print("https", r.status, r.read().decode())

asyncio.run(asyncio.wait_for(main(), 20))
)PY";

ProcessResult run_client(const rtc::util::Endpoint& at, const std::string& scenario,
                         const std::string& arg = "", const std::string& cafile = "") {
    std::vector<std::string> args = {std::to_string(at.port), scenario, arg};
    if (!cafile.empty())
        args.push_back(cafile);
    auto result = run_python(kClient, args);
    INFO("python stdout: " << result.out);
    INFO("python stderr: " << result.err);
    CHECK(result.status == 0);
    return result;
}

bool has_line(const std::string& out, const std::string& line) {
    return ("\n" + out).find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("websocket interop (python3-websockets): echo, fragments, ping, client close") {
    ServerFixture f;
    const auto r = run_client(f.at, "echo");
    CHECK(has_line(r.out, "text h\u00e9llo \u2713"));
    CHECK(has_line(r.out, "binary 0001ff"));
    CHECK(has_line(r.out, "fragmented fragmented"));
    CHECK(has_line(r.out, "pong"));
    CHECK(has_line(r.out, "close_code 4001 ")); // our echo: its code, no reason
    REQUIRE(f.app.log.wait_prefix("close:1:"));
    CHECK(f.app.log.find_prefix("close:1:") == "close:1:4001:done:1");
}

TEST_CASE("websocket interop (python3-websockets): close codes for broken input") {
    HttpServerOptions o;
    o.max_message = 4096;
    ServerFixture f(o);
    CHECK(has_line(run_client(f.at, "big", "4097").out, "closed 1009 message too big"));
    CHECK(has_line(run_client(f.at, "unmasked").out, "closed 1002 unmasked frame"));
    const auto bad = run_client(f.at, "badutf8").out;
    CHECK(bad.find("closed 1007 ") != std::string::npos);
    CHECK(has_line(run_client(f.at, "server_close").out, "closed 4000 bye-from-server"));
    const auto s = f.server->stats();
    CHECK(s.too_big == 1);
    CHECK(s.protocol_errors == 2);
    REQUIRE(f.app.log.wait_prefix("close:", 4));
    CHECK(f.app.log.find_prefix("close:4:") == "close:4:4000:bye-from-server:1");
}

TEST_CASE("websocket interop (python3-websockets): its pongs keep a quiet session open") {
    HttpServerOptions o;
    o.ping_interval = 100ms; // without answers the session would end after 200 ms
    ServerFixture f(o);
    const auto r = run_client(f.at, "keepalive", "0.8");
    CHECK(has_line(r.out, "echo still"));
    CHECK(f.server->stats().ping_timeouts == 0);
}

TEST_CASE("websocket interop (python3-websockets): slow consumer") {
    HttpServerOptions o;
    o.max_output_bytes = 64 * 1024;
    ServerFixture f(o);
    const auto r = run_client(f.at, "slow");
    if constexpr (rtc::net::kPreciseOutputLimit)
        CHECK(has_line(r.out, "closed 1008 slow consumer"));
    else
        CHECK(has_line(r.out, "closed none "));
    CHECK(f.server->stats().slow_consumers == 1);
}

TEST_CASE("websocket interop (python3-websockets): wss:// and https:// over mbedTLS") {
    auto creds = rtc::tls::Credentials::self_signed(std::chrono::system_clock::now());
    char name[] = "/tmp/rtc_http_test_ca_XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(name) << creds->chain_pem();
    HttpServerOptions o;
    o.tls = std::make_shared<rtc::tls::ReloadableContext>(creds, rtc::tls::ServerOptions{});
    ServerFixture f(o);
    const auto r = run_client(f.at, "tls-echo", "", name);
    std::remove(name);
    CHECK(has_line(r.out, "text h\u00e9llo \u2713"));
    CHECK(has_line(r.out, "fragmented fragmented"));
    CHECK(has_line(r.out, "close_code 4001 "));
    CHECK(has_line(r.out, "https 200 GET /info  tls=1"));
}
