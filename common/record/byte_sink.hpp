#pragma once
// Where the recording writers put their bytes. The writers never open files: the caller supplies
// a sink (a file, a socket, memory). A sink that can overwrite bytes it already took lets a writer
// patch sizes and the duration on finish().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace rtc::record {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    // Appends bytes at the end of the output.
    virtual void write(std::span<const uint8_t> bytes) = 0;
    // Overwrites bytes already written at `offset` (from the first byte this writer wrote).
    // Returns false when the sink cannot seek; the writer then leaves the output as streamed.
    virtual bool overwrite(uint64_t offset, std::span<const uint8_t> bytes) {
        (void)offset;
        (void)bytes;
        return false;
    }
};

// Appends to a vector; can overwrite. For tests and small in-memory recordings.
class MemorySink final : public ByteSink {
public:
    void write(std::span<const uint8_t> bytes) override {
        data_.insert(data_.end(), bytes.begin(), bytes.end());
    }
    bool overwrite(uint64_t offset, std::span<const uint8_t> bytes) override {
        if (offset > data_.size() || bytes.size() > data_.size() - offset)
            return false;
        if (!bytes.empty())
            std::memcpy(data_.data() + offset, bytes.data(), bytes.size());
        return true;
    }
    const std::vector<uint8_t>& data() const { return data_; }

private:
    std::vector<uint8_t> data_;
};

// Forwards to a callback; cannot overwrite (a pipe or a network stream).
class CallbackSink final : public ByteSink {
public:
    explicit CallbackSink(std::function<void(std::span<const uint8_t>)> fn) : fn_(std::move(fn)) {}
    void write(std::span<const uint8_t> bytes) override {
        if (fn_)
            fn_(bytes);
    }

private:
    std::function<void(std::span<const uint8_t>)> fn_;
};

} // namespace rtc::record
