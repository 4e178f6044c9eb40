#pragma once
// N io_contexts with one thread each (ARCHITECTURE principle 3): a server puts one socket per
// thread on each context, so per-client state needs no lock.
//
//   rtc::net::IoPool pool(4);
//   for (std::size_t i = 0; i < pool.size(); ++i)
//       servers.push_back(make_server(pool.context(i)));
//   pool.start();      // one thread per context
//   ...                // e.g. a signal handler calls pool.stop()
//   pool.join();       // rethrows the first exception a handler let escape
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace rtc::net {

class IoPool {
public:
    // threads == 0 means std::thread::hardware_concurrency() (at least 1).
    explicit IoPool(std::size_t threads);
    ~IoPool(); // stop() + join(), exceptions swallowed
    IoPool(const IoPool&) = delete;
    IoPool& operator=(const IoPool&) = delete;

    std::size_t size() const { return contexts_.size(); }
    asio::io_context& context(std::size_t index) { return *contexts_.at(index); }

    // Starts one thread per context. The contexts keep running while idle until stop().
    void start();
    // Asks every context to return; safe from any thread, including a worker.
    void stop();
    // Waits for the threads; rethrows the first exception that escaped a handler (which also
    // stopped the whole pool). Call from outside the pool.
    void join();

    // Index of the worker running the calling thread, nullopt outside any pool.
    static std::optional<std::size_t> current_index();

private:
    void run_worker(std::size_t index);

    using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<Guard> guards_;
    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::exception_ptr error_;
};

} // namespace rtc::net
