#pragma once
// A recording file (--record DIR): buffered appends, and overwrite() by pwrite so the WebM
// writer can patch its duration when the track ends.
#include "record/byte_sink.hpp"

#include <memory>
#include <string>
#include <vector>

namespace rtc::sfu_tool {

class FileSink final : public record::ByteSink {
public:
    // Creates (truncates) the file; nullptr when it cannot be opened.
    static std::unique_ptr<FileSink> create(const std::string& path);
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(std::span<const uint8_t> bytes) override;
    bool overwrite(uint64_t offset, std::span<const uint8_t> bytes) override;
    bool failed() const { return failed_; }

private:
    explicit FileSink(int fd) : fd_(fd) {}
    void flush();

    int fd_;
    bool failed_ = false;
    std::vector<uint8_t> buffer_; // appended bytes not yet written
};

} // namespace rtc::sfu_tool
