#include "net/io_pool.hpp"

#include <asio/post.hpp>
#include <doctest/doctest.h>

#include <future>
#include <stdexcept>

TEST_CASE("net: io pool runs one thread per context and knows the worker index") {
    rtc::net::IoPool pool(2);
    REQUIRE(pool.size() == 2);
    CHECK_FALSE(rtc::net::IoPool::current_index().has_value());
    pool.start();
    for (std::size_t i = 0; i < pool.size(); ++i) {
        std::promise<std::optional<std::size_t>> seen;
        auto f = seen.get_future();
        asio::post(pool.context(i), [&] { seen.set_value(rtc::net::IoPool::current_index()); });
        REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
        CHECK(f.get() == i);
    }
    pool.stop();
    pool.join();
}

TEST_CASE("net: an exception escaping a handler stops the pool and reaches join()") {
    rtc::net::IoPool pool(2);
    pool.start();
    asio::post(pool.context(1), [] { throw std::runtime_error("boom"); });
    CHECK_THROWS_WITH(pool.join(), "boom");
}
