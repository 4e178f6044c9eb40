#include "join_client.hpp"

#include "app/exit_codes.hpp"
#include "app/option_values.hpp"
#include "app/secret_file.hpp"
#include "http/query.hpp"
#include "net/ws_client.hpp"

#include <nlohmann/json.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rtc::signal_tool {

namespace {

using Json = nlohmann::json;

// A child process running CMD under /bin/sh with pipes to its stdin and from its stdout.
class Child {
public:
    explicit Child(const std::string& command) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            throw app::ToolError("--exec: cannot create pipes");
        pid_ = ::fork();
        if (pid_ < 0)
            throw app::ToolError("--exec: cannot fork");
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        to_child_ = in[1];
        from_child_ = out[0];
    }
    ~Child() {
        close_input();
        if (from_child_ >= 0)
            ::close(from_child_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGTERM);
            wait();
        }
    }
    int output_fd() const { return from_child_; }
    // Blocking write of one line; false once the child stopped reading.
    bool write_line(std::string_view line) {
        std::string data(line);
        data.push_back('\n');
        std::size_t done = 0;
        while (to_child_ >= 0 && done < data.size()) {
            const auto n = ::write(to_child_, data.data() + done, data.size() - done);
            if (n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return to_child_ >= 0;
    }
    void close_input() {
        if (to_child_ >= 0)
            ::close(to_child_);
        to_child_ = -1;
    }
    int wait() {
        int status = 0;
        if (!reaped_ && ::waitpid(pid_, &status, 0) == pid_) {
            reaped_ = true;
            exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return exit_status_;
    }

private:
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    bool reaped_ = false;
    int exit_status_ = 1;
};

// Reads lines from a descriptor on its own thread (stdin may be a file, which epoll refuses)
// and posts each to the io_context; posts std::nullopt at the end.
class LineReader {
public:
    using Sink = std::function<void(std::optional<std::string>)>;
    LineReader(asio::io_context& io, int fd, Sink sink)
        : thread_([&io, fd, sink = std::move(sink)] {
              std::string pending;
              char buffer[16 * 1024];
              for (;;) {
                  const auto n = ::read(fd, buffer, sizeof buffer);
                  if (n <= 0)
                      break;
                  pending.append(buffer, static_cast<std::size_t>(n));
                  for (auto nl = pending.find('\n'); nl != std::string::npos;
                       nl = pending.find('\n')) {
                      std::string line = pending.substr(0, nl);
                      pending.erase(0, nl + 1);
                      asio::post(io, [sink, line = std::move(line)] { sink(line); });
                  }
              }
              if (!pending.empty())
                  asio::post(io, [sink, line = std::move(pending)] { sink(line); });
              asio::post(io, [sink] { sink(std::nullopt); });
          }) {
        thread_.detach(); // blocked in read() until its descriptor ends; never joined
    }

private:
    std::thread thread_;
};

std::string with_query(std::string url, std::string_view name, std::string_view value) {
    if (value.empty())
        return url;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += name;
    url += '=';
    url += http::percent_encode(value);
    return url;
}

void write_stdout_line(std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

class JoinRun {
public:
    JoinRun(const JoinOptions& options, app::Logger& log)
        : options_(options), log_(log), deadline_(io_) {}

    int run() {
        net::WsClientOptions ws;
        ws.url = with_query(with_query(options_.url, "id", options_.id), "token", options_.token);
        ws.origin = options_.origin;
        ws.insecure = options_.insecure;
        if (!options_.ca_file.empty())
            ws.trusted_pem_file = options_.ca_file;
        ws.connect_timeout = std::chrono::milliseconds(options_.timeout_ms);
        ws.ping_interval = std::chrono::seconds(20);
        net::WsClient::Callbacks callbacks;
        callbacks.on_open = [this] { on_open(); };
        callbacks.on_message = [this](std::string_view data, bool) { on_message(data); };
        callbacks.on_close = [this](uint16_t code, std::string_view reason,
                                    std::string_view error) { on_close(code, reason, error); };
        client_ = net::WsClient::connect(io_, ws, callbacks);
        if (options_.sdp) {
            deadline_.expires_after(std::chrono::milliseconds(options_.timeout_ms));
            deadline_.async_wait([this](const std::error_code& ec) {
                if (!ec)
                    fail("no answer within the timeout");
            });
        }
        io_.run();
        if (child_) {
            child_->close_input();
            const int status = child_->wait();
            if (exit_code_ == 0 && status != 0)
                exit_code_ = app::kExitFailure;
        }
        return exit_code_;
    }

private:
    void on_open() {
        log_.info("connected", {{"url", options_.url}});
        if (!options_.exec.empty()) {
            child_ = std::make_unique<Child>(options_.exec);
            input_ = std::make_unique<LineReader>(io_, child_->output_fd(),
                                                  [this](auto line) { on_input(line); });
        } else {
            input_ = std::make_unique<LineReader>(io_, 0, [this](auto line) { on_input(line); });
        }
    }

    void on_input(const std::optional<std::string>& line) {
        if (finished_)
            return;
        if (options_.sdp) { // the whole of stdin is the offer
            if (line) {
                offer_ += *line;
                offer_ += "\r\n";
            } else {
                offer_read_ = true;
                maybe_send_offer();
            }
            return;
        }
        if (!line) { // stdin (or the command's output) ended: leave the room
            finish(0);
            return;
        }
        if (line->find_first_not_of(" \t\r") == std::string::npos)
            return;
        auto message = Json::parse(*line, nullptr, false);
        if (message.is_discarded() || !message.is_object()) {
            log_.warn("not a JSON object, not sent", {{"line", *line}});
            return;
        }
        client_->send_text(message.dump());
    }

    void on_message(std::string_view data) {
        if (!options_.sdp) {
            if (child_) {
                if (!child_->write_line(data))
                    log_.warn("the command stopped reading");
            } else {
                write_stdout_line(data);
            }
            return;
        }
        auto message = Json::parse(data, nullptr, false);
        if (!message.is_object())
            return;
        const auto type = message.value("type", "");
        if (type == "welcome") {
            for (const auto& p : message.value("peers", Json::array()))
                if (p.is_string() && peer_.empty() && (options_.to.empty() || p == options_.to))
                    peer_ = p.get<std::string>();
            maybe_send_offer();
        } else if (type == "joined") {
            const auto id = message.value("id", "");
            if (peer_.empty() && (options_.to.empty() || id == options_.to))
                peer_ = id;
            maybe_send_offer();
        } else if (type == "answer" && message.value("from", "") == peer_) {
            auto sdp = message.value("sdp", "");
            std::string out;
            for (char c : sdp) // print with the platform's line ends
                if (c != '\r')
                    out.push_back(c);
            while (!out.empty() && out.back() == '\n')
                out.pop_back();
            write_stdout_line(out);
            finish(0);
        } else if (type == "error") {
            fail("server: " + message.value("code", "") + ": " + message.value("message", ""));
        }
    }

    void maybe_send_offer() {
        if (offer_sent_ || !offer_read_ || peer_.empty())
            return;
        offer_sent_ = true;
        client_->send_text(Json{{"type", "offer"}, {"to", peer_}, {"sdp", offer_}}.dump());
    }

    void on_close(uint16_t code, std::string_view reason, std::string_view error) {
        deadline_.cancel();
        if (finished_) {
            io_.stop();
            return;
        }
        finished_ = true;
        if (!error.empty()) {
            std::fprintf(stderr, "rtc-signal: join %s: %.*s\n", options_.url.c_str(),
                         static_cast<int>(error.size()), error.data());
            exit_code_ = app::kExitFailure;
        } else {
            log_.info("closed by the server", {{"code", code}, {"reason", reason}});
            exit_code_ = code == 1000 && !options_.sdp ? app::kExitOk : app::kExitFailure;
        }
        io_.stop();
    }

    void fail(const std::string& why) {
        std::fprintf(stderr, "rtc-signal: join %s: %s\n", options_.url.c_str(), why.c_str());
        exit_code_ = app::kExitFailure;
        finished_ = true;
        if (client_)
            client_->close(1000);
        arm_exit();
    }

    void finish(int code) {
        if (finished_)
            return;
        finished_ = true;
        exit_code_ = code;
        client_->send_text(R"({"type":"leave"})");
        client_->close(1000);
        arm_exit();
    }

    // The close handshake is bounded: leave anyway after a second.
    void arm_exit() {
        deadline_.expires_after(std::chrono::seconds(1));
        deadline_.async_wait([this](const std::error_code& ec) {
            if (!ec)
                io_.stop();
        });
    }

    const JoinOptions& options_;
    app::Logger& log_;
    asio::io_context io_;
    asio::steady_timer deadline_;
    std::shared_ptr<net::WsClient> client_;
    std::unique_ptr<Child> child_;
    std::unique_ptr<LineReader> input_;
    std::string offer_;
    std::string peer_;
    bool offer_read_ = false;
    bool offer_sent_ = false;
    bool finished_ = false;
    int exit_code_ = 0;
};

} // namespace

CLI::App* add_join_command(app::ToolCli& cli, JoinOptions& o) {
    auto* join = cli.app().add_subcommand(
        "join", "Join a room and bridge it to stdin/stdout as JSON lines (or --sdp, --exec)");
    join->add_option("url", o.url, "ws://HOST:PORT/ROOM or wss://...")
        ->required()
        ->type_name("URL");
    join->add_option("--id", o.id, "Peer id to join as (default: the server picks one)")
        ->type_name("ID");
    join->add_option("--token", o.token, "Token for the server (JWT or static)")
        ->envname("RTC_SIGNAL_TOKEN")
        ->type_name("TOKEN");
    join->add_flag("--sdp", o.sdp,
                   "Read a bare SDP offer from stdin, send it to a peer, print the bare answer");
    join->add_option("--to", o.to, "With --sdp: the peer to send the offer to (default: the "
                                   "first other peer in the room)")
        ->type_name("ID");
    join->add_option("--exec", o.exec,
                     "Connect CMD's stdin/stdout (JSON lines) to the room instead of ours")
        ->type_name("CMD");
    join->add_option("--origin", o.origin, "Origin header to send")->type_name("ORIGIN");
    cli.file_value(join->add_option("--ca", o.ca_file, "Trust this PEM certificate for wss://")
                       ->check(app::validate::readable_file())
                       ->type_name("FILE"));
    join->add_flag("--insecure", o.insecure,
                   "Accept any server certificate (a server with --cert auto)");
    join->add_option_function<std::string>(
            "--timeout",
            [&o](const std::string& v) {
                o.timeout_ms = static_cast<uint64_t>(
                    app::parse_duration(v, std::chrono::milliseconds(100),
                                        std::chrono::hours(24))
                        ->count());
            },
            "Connect timeout, and with --sdp the time to wait for the answer (default 30s)")
        ->check(app::validate::duration(std::chrono::milliseconds(100), std::chrono::hours(24)))
        ->type_name("DURATION");
    return join;
}

int run_join(const JoinOptions& options, app::Logger& log) {
    if (options.sdp && !options.exec.empty())
        throw app::ConfigError("--exec: cannot be used with --sdp");
    if (options.url.rfind("ws://", 0) != 0 && options.url.rfind("wss://", 0) != 0)
        throw app::ConfigError("join: \"" + options.url + "\" is not a ws:// or wss:// URL",
                               "e.g. rtc-signal join ws://127.0.0.1:8080/room --id alice");
    ::signal(SIGPIPE, SIG_IGN);
    JoinRun run(options, log);
    return run.run();
}

} // namespace rtc::signal_tool
