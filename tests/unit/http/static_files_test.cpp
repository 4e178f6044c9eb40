// Static files: path normalisation (sans-I/O) and serving from a temporary root with symlinks.
#include "http/static_files.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using rtc::http::PathError;
using rtc::http::Request;

namespace fs = std::filesystem;

namespace {

Request get(std::string_view target, std::string_view method = "GET") {
    Request r;
    r.method = method;
    r.target = target;
    return r;
}

std::string header(const rtc::http::StaticReply& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
        if (n == name)
            return v;
    return {};
}

// /tmp/rtc_static_XXXXXX/{www/, secret.txt}, removed afterwards.
struct TempTree {
    TempTree() {
        char name[] = "/tmp/rtc_static_XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        base = name;
        root = base / "www";
        fs::create_directories(root / "app");
        fs::create_directories(root / "empty");
        fs::create_directories(root / ".well-known");
        write(root / "index.html", "<h1>home</h1>");
        write(root / "app" / "index.html", "<h1>app</h1>");
        write(root / "app" / "main.mjs", "export {};");
        write(root / "style.CSS", "body{}");
        write(root / "big.bin", std::string(2048, 'b'));
        write(root / "my file.txt", "spaced");
        write(root / ".env", "SECRET=1");
        write(root / ".well-known" / "token", "acme");
        write(base / "secret.txt", "outside");
        fs::create_symlink(base / "secret.txt", root / "escape.txt");
        fs::create_symlink(base, root / "up");
        fs::create_symlink(root / "app" / "main.mjs", root / "alias.mjs");
    }
    ~TempTree() {
        std::error_code ignored;
        fs::remove_all(base, ignored);
    }
    static void write(const fs::path& p, const std::string& text) {
        std::ofstream(p, std::ios::binary) << text;
    }
    fs::path base, root;
};

} // namespace

TEST_CASE("static files: path normalisation refuses what could leave the root") {
    using rtc::http::normalize_path;
    CHECK(normalize_path("/").relative.empty());
    CHECK(normalize_path("/").directory);
    CHECK(normalize_path("/a/b.js").relative == "a/b.js");
    CHECK_FALSE(normalize_path("/a/b.js").directory);
    CHECK(normalize_path("//a/./b//").relative == "a/b");
    CHECK(normalize_path("//a/./b//").directory);
    CHECK(normalize_path("/my%20file.txt").relative == "my file.txt");
    CHECK(normalize_path("/%41%62c").relative == "Abc");
    CHECK(normalize_path("/.well-known/x").relative == ".well-known/x");

    CHECK(normalize_path("/../etc/passwd").error == PathError::DotDot);
    CHECK(normalize_path("/a/../../b").error == PathError::DotDot);
    CHECK(normalize_path("/a/%2e%2E/b").error == PathError::DotDot); // decoded first
    CHECK(normalize_path("/a%2fb").error == PathError::EncodedSlash);
    CHECK(normalize_path("/a%2F..%2Fb").error == PathError::EncodedSlash);
    CHECK(normalize_path("/a%5cb").error == PathError::EncodedSlash);
    CHECK(normalize_path("/a\\b").error == PathError::Backslash);
    CHECK(normalize_path("/a%00.html").error == PathError::Nul);
    CHECK(normalize_path("/a%0a").error == PathError::Nul);
    CHECK(normalize_path("/a%").error == PathError::BadEscape);
    CHECK(normalize_path("/a%4").error == PathError::BadEscape);
    CHECK(normalize_path("/a%zz").error == PathError::BadEscape);
    CHECK(normalize_path("/.git/config").error == PathError::Hidden);
    CHECK(normalize_path("/.env").error == PathError::Hidden);
    CHECK(normalize_path("http://x/a").error == PathError::NotOrigin);
    CHECK(normalize_path("").error == PathError::NotOrigin);
    CHECK(normalize_path("*").error == PathError::NotOrigin);
    // Refused paths carry no partial result.
    CHECK(normalize_path("/ok/../x").relative.empty());
}

TEST_CASE("static files: content types by extension, case-insensitive") {
    using rtc::http::content_type_for;
    CHECK(content_type_for("index.html") == "text/html; charset=utf-8");
    CHECK(content_type_for("a/b/app.js") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("m.mjs") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("S.CSS") == "text/css; charset=utf-8");
    CHECK(content_type_for("d.json") == "application/json");
    CHECK(content_type_for("a.js.map") == "application/json");
    CHECK(content_type_for("i.png") == "image/png");
    CHECK(content_type_for("i.svg") == "image/svg+xml");
    CHECK(content_type_for("m.wasm") == "application/wasm");
    CHECK(content_type_for("r.txt") == "text/plain; charset=utf-8");
    CHECK(content_type_for("noext") == "application/octet-stream");
    CHECK(content_type_for("dir.d/noext") == "application/octet-stream");
    CHECK(content_type_for("x.exe") == "application/octet-stream");
}

TEST_CASE("static files: is_within compares whole path components") {
    using rtc::http::is_within;
    CHECK(is_within("/srv/www", "/srv/www"));
    CHECK(is_within("/srv/www", "/srv/www/a"));
    CHECK_FALSE(is_within("/srv/www", "/srv/www2/a"));
    CHECK_FALSE(is_within("/srv/www", "/srv"));
    CHECK_FALSE(is_within("", "/srv"));
    CHECK(is_within("/", "/etc"));
}

TEST_CASE("static files: serving files, indexes, redirects and refusals") {
    TempTree t;
    const std::string root = t.root.string();
    using rtc::http::serve_static;

    auto home = serve_static(root, get("/"));
    CHECK(home.status == 200);
    CHECK(home.body == "<h1>home</h1>");
    CHECK(home.content_type == "text/html; charset=utf-8");
    CHECK(header(home, "X-Content-Type-Options") == "nosniff");

    auto app = serve_static(root, get("/app/?x=1"));
    CHECK(app.status == 200);
    CHECK(app.body == "<h1>app</h1>");

    auto redirect = serve_static(root, get("/app"));
    CHECK(redirect.status == 301);
    CHECK(header(redirect, "Location") == "/app/");
    // The Location is built from the clean path: "//app" cannot become a foreign host.
    CHECK(header(serve_static(root, get("//app")), "Location") == "/app/");

    auto module = serve_static(root, get("/app/main.mjs"));
    CHECK(module.status == 200);
    CHECK(module.content_type == "text/javascript; charset=utf-8");
    CHECK(serve_static(root, get("/style.CSS")).content_type == "text/css; charset=utf-8");
    CHECK(serve_static(root, get("/my%20file.txt")).body == "spaced");
    CHECK(serve_static(root, get("/.well-known/token")).body == "acme");

    auto head = serve_static(root, get("/index.html", "HEAD"));
    CHECK(head.status == 200);
    CHECK(head.body.size() == 13); // the server sends the length without the body

    auto post = serve_static(root, get("/index.html", "POST"));
    CHECK(post.status == 405);
    CHECK(header(post, "Allow") == "GET, HEAD");

    CHECK(serve_static(root, get("/missing.html")).status == 404);
    CHECK(serve_static(root, get("/index.html/")).status == 404);
    CHECK(serve_static(root, get("/empty/")).status == 404); // no index.html
    CHECK(serve_static(root, get("/../secret.txt")).status == 403);
    CHECK(serve_static(root, get("/%2e%2e/secret.txt")).status == 403);
    CHECK(serve_static(root, get("/up%2fsecret.txt")).status == 403);
    CHECK(serve_static(root, get("/index.html%00.png")).status == 403);
    CHECK(serve_static(root, get("/.env")).status == 403);
    CHECK(serve_static(root, get("/bad%zz")).status == 400);

    // Symlinks: inside the root they work, out of it they are refused.
    CHECK(serve_static(root, get("/alias.mjs")).body == "export {};");
    CHECK(serve_static(root, get("/escape.txt")).status == 403);
    CHECK(serve_static(root, get("/up/secret.txt")).status == 403);
    // Through a link that leaves and re-enters the root: the file itself is inside.
    CHECK(serve_static(root, get("/up/www/index.html")).status == 200);

    // The size bound.
    rtc::http::StaticOptions small;
    small.max_file_size = 1024;
    CHECK(serve_static(root, get("/big.bin"), small).status == 403);
    CHECK(serve_static(root, get("/big.bin")).body.size() == 2048);

    // A root given through a symlink or with a trailing slash works the same.
    fs::create_symlink(t.root, t.base / "link");
    CHECK(serve_static((t.base / "link").string(), get("/")).status == 200);
    CHECK(serve_static(root + "/", get("/app/main.mjs")).status == 200);
    CHECK(serve_static((t.base / "nowhere").string(), get("/")).status == 500);
}

TEST_CASE("static files: special files are not served") {
    TempTree t;
    const auto fifo = t.root / "pipe.txt";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Must answer at once rather than block on a FIFO with no writer.
    CHECK(rtc::http::serve_static(t.root.string(), get("/pipe.txt")).status == 403);
    if (::geteuid() != 0) { // root reads everything
        TempTree::write(t.root / "locked.txt", "x");
        fs::permissions(t.root / "locked.txt", fs::perms::none);
        CHECK(rtc::http::serve_static(t.root.string(), get("/locked.txt")).status == 403);
    }
}
