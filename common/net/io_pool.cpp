#include "net/io_pool.hpp"

#include <algorithm>

namespace rtc::net {

namespace {
thread_local std::optional<std::size_t> t_worker_index;
}

IoPool::IoPool(std::size_t threads) {
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    contexts_.reserve(threads);
    guards_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        // concurrency hint 1: each context is only ever run by its own thread.
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        guards_.push_back(asio::make_work_guard(*contexts_.back()));
    }
}

IoPool::~IoPool() {
    stop();
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
}

void IoPool::start() {
    if (!threads_.empty())
        return;
    threads_.reserve(contexts_.size());
    for (std::size_t i = 0; i < contexts_.size(); ++i)
        threads_.emplace_back([this, i] { run_worker(i); });
}

void IoPool::run_worker(std::size_t index) {
    t_worker_index = index;
    try {
        contexts_[index]->run();
    } catch (...) {
        {
            std::lock_guard lock(mutex_);
            if (!error_)
                error_ = std::current_exception();
        }
        stop();
    }
    t_worker_index.reset();
}

void IoPool::stop() {
    for (auto& c : contexts_)
        c->stop();
}

void IoPool::join() {
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    threads_.clear();
    std::lock_guard lock(mutex_);
    if (error_) {
        auto e = error_;
        error_ = nullptr;
        std::rethrow_exception(e);
    }
}

std::optional<std::size_t> IoPool::current_index() {
    return t_worker_index;
}

} // namespace rtc::net
