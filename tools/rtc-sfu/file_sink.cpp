#include "file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace rtc::sfu_tool {

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;

bool write_all(int fd, const uint8_t* data, std::size_t size, off_t offset = -1) {
    while (size > 0) {
        const auto n = offset < 0 ? ::write(fd, data, size) : ::pwrite(fd, data, size, offset);
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<std::size_t>(n);
        if (offset >= 0)
            offset += n;
    }
    return true;
}

} // namespace

std::unique_ptr<FileSink> FileSink::create(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return nullptr;
    auto sink = std::unique_ptr<FileSink>(new FileSink(fd));
    sink->buffer_.reserve(kBufferSize);
    return sink;
}

FileSink::~FileSink() {
    flush();
    ::close(fd_);
}

void FileSink::flush() {
    if (!buffer_.empty() && !failed_)
        failed_ = !write_all(fd_, buffer_.data(), buffer_.size());
    buffer_.clear();
}

void FileSink::write(std::span<const uint8_t> bytes) {
    if (buffer_.size() + bytes.size() > kBufferSize)
        flush();
    if (bytes.size() >= kBufferSize) {
        if (!failed_)
            failed_ = !write_all(fd_, bytes.data(), bytes.size());
        return;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

bool FileSink::overwrite(uint64_t offset, std::span<const uint8_t> bytes) {
    flush();
    return !failed_ && write_all(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
}

} // namespace rtc::sfu_tool
