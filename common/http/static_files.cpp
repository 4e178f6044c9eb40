#include "http/static_files.hpp"

#include "util/hex.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace rtc::http {

namespace {

constexpr std::string_view kText = "text/plain; charset=utf-8";

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

// Decodes one segment (RFC 3986 §2.1) into `out`.
PathError decode_segment(std::string_view raw, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '\\')
            return PathError::Backslash;
        if (c == '%') {
            if (i + 2 >= raw.size())
                return PathError::BadEscape;
            const int hi = util::hex_digit_value(raw[i + 1]);
            const int lo = util::hex_digit_value(raw[i + 2]);
            if (hi < 0 || lo < 0)
                return PathError::BadEscape;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
            if (c == '/' || c == '\\')
                return PathError::EncodedSlash;
        }
        if (c == '\0' || is_control(static_cast<unsigned char>(c)))
            return PathError::Nul;
        out.push_back(c);
    }
    return PathError::None;
}

// Percent-encodes a normalised path for a Location field (RFC 3986 §2.3 unreserved kept).
std::string encode_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0x0F]);
        }
    }
    return out;
}

struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
};

// realpath(3): the canonical path, or nullopt with errno set.
std::optional<std::string> canonical(const std::string& path) {
    std::unique_ptr<char, FreeDeleter> resolved(::realpath(path.c_str(), nullptr));
    if (!resolved)
        return std::nullopt;
    return std::string(resolved.get());
}

StaticReply text_reply(int status, std::string_view body) {
    StaticReply r;
    r.status = status;
    r.content_type = std::string(kText);
    r.body = std::string(body);
    return r;
}

StaticReply missing(int error) {
    if (error == EACCES || error == ELOOP)
        return text_reply(403, "forbidden");
    return text_reply(404, "not found");
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Reads a regular file of at most `max` bytes. The path is canonical already; O_NOFOLLOW
// refuses a last component swapped for a symlink since.
StaticReply read_file(const std::string& path, std::string_view name,
                      const StaticOptions& options) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (fd.get() < 0)
        return missing(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return text_reply(403, "not a regular file");
    if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) > options.max_file_size)
        return text_reply(403, "file too large");
    StaticReply r;
    r.body.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    // Bounded by the size seen at open: a file growing meanwhile is cut there.
    while (got < r.body.size()) {
        const ssize_t n = ::read(fd.get(), r.body.data() + got, r.body.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return text_reply(403, "unreadable");
        if (n == 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    r.body.resize(got);
    r.status = 200;
    r.content_type = std::string(content_type_for(name));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

} // namespace

NormalizedPath normalize_path(std::string_view target_path) {
    NormalizedPath n;
    if (target_path.empty() || target_path.front() != '/') {
        n.error = PathError::NotOrigin;
        return n;
    }
    n.directory = target_path.back() == '/';
    std::string segment;
    std::size_t at = 1;
    while (at <= target_path.size()) {
        std::size_t end = target_path.find('/', at);
        if (end == std::string_view::npos)
            end = target_path.size();
        const PathError e = decode_segment(target_path.substr(at, end - at), segment);
        if (e != PathError::None) {
            n.error = e;
            n.relative.clear();
            return n;
        }
        at = end + 1;
        if (segment.empty() || segment == ".")
            continue; // "//" and "/./" name the same directory
        if (segment == "..") {
            n.error = PathError::DotDot;
            n.relative.clear();
            return n;
        }
        if (segment.front() == '.' && segment != ".well-known") {
            n.error = PathError::Hidden; // .git, .env, .htpasswd ...
            n.relative.clear();
            return n;
        }
        if (!n.relative.empty())
            n.relative.push_back('/');
        n.relative += segment;
    }
    return n;
}

std::string_view content_type_for(std::string_view path) {
    const auto slash = path.rfind('/');
    const auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    const auto ext = name.substr(dot + 1);
    struct Entry {
        std::string_view ext, type;
    };
    // JavaScript per RFC 9239; WebAssembly per its specification's media type.
    static constexpr Entry kTypes[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"png", "image/png"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"wasm", "application/wasm"},
        {"txt", kText},
        {"woff2", "font/woff2"},
    };
    for (const auto& e : kTypes)
        if (iequals(ext, e.ext))
            return e.type;
    return "application/octet-stream";
}

bool is_within(std::string_view root, std::string_view candidate) {
    if (root.empty() || candidate.substr(0, root.size()) != root)
        return false;
    return candidate.size() == root.size() || root.back() == '/' || candidate[root.size()] == '/';
}

StaticReply serve_static(const std::string& root, const Request& request,
                         const StaticOptions& options) {
    if (request.method != "GET" && request.method != "HEAD") {
        auto r = text_reply(405, "method not allowed");
        r.headers.emplace_back("Allow", "GET, HEAD"); // RFC 9110 §15.5.6
        return r;
    }
    const NormalizedPath path = normalize_path(request.path());
    switch (path.error) {
    case PathError::None:
        break;
    case PathError::NotOrigin:
    case PathError::BadEscape:
        return text_reply(400, "bad path");
    default:
        return text_reply(403, "forbidden");
    }
    const auto base = canonical(root);
    if (!base)
        return text_reply(500, "web root unavailable");
    std::string full = *base;
    if (!path.relative.empty())
        full.append("/").append(path.relative);
    auto target = canonical(full);
    if (!target)
        return missing(errno);
    // A symlink may point anywhere inside the root, never outside it.
    if (!is_within(*base, *target))
        return text_reply(403, "forbidden");
    struct stat st {};
    if (::stat(target->c_str(), &st) != 0)
        return missing(errno);
    std::string name = path.relative;
    if (S_ISDIR(st.st_mode)) {
        if (!path.directory && !path.relative.empty()) {
            // Relative links in the index resolve against the directory only with the slash.
            auto r = text_reply(301, "moved");
            r.headers.emplace_back("Location", encode_path("/" + path.relative + "/"));
            return r;
        }
        if (options.index.empty() || options.index.find('/') != std::string::npos)
            return text_reply(403, "forbidden");
        target = canonical(*target + "/" + options.index);
        if (!target)
            return missing(errno);
        if (!is_within(*base, *target))
            return text_reply(403, "forbidden");
        name = options.index;
    } else if (path.directory) {
        return text_reply(404, "not found"); // "file/" names no directory
    }
    return read_file(*target, name, options);
}

} // namespace rtc::http
