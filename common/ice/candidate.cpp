#include "ice/candidate.hpp"

#include "crypto/random.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <sstream>

namespace rtc::ice {

namespace {

template <class T> std::optional<T> to_number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::vector<std::string_view> split_spaces(std::string_view text, std::size_t max_fields) {
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < text.size() && fields.size() < max_fields) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        auto start = i;
        while (i < text.size() && text[i] != ' ')
            ++i;
        if (i > start)
            fields.push_back(text.substr(start, i - start));
    }
    return fields;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

} // namespace

std::string_view to_string(CandidateType type) {
    switch (type) {
    case CandidateType::Host:
        return "host";
    case CandidateType::ServerReflexive:
        return "srflx";
    case CandidateType::PeerReflexive:
        return "prflx";
    case CandidateType::Relayed:
        return "relay";
    }
    return "host";
}

std::optional<CandidateType> candidate_type_from(std::string_view text) {
    for (auto t : {CandidateType::Host, CandidateType::ServerReflexive,
                   CandidateType::PeerReflexive, CandidateType::Relayed})
        if (text == to_string(t))
            return t;
    return std::nullopt;
}

uint32_t type_preference(CandidateType type) {
    switch (type) {
    case CandidateType::Host:
        return 126;
    case CandidateType::PeerReflexive:
        return 110;
    case CandidateType::ServerReflexive:
        return 100;
    case CandidateType::Relayed:
        return 0;
    }
    return 0;
}

uint32_t candidate_priority(CandidateType type, uint16_t local_preference, uint8_t component) {
    return (type_preference(type) << 24) + (uint32_t{local_preference} << 8) + (256u - component);
}

uint64_t pair_priority(uint32_t controlling, uint32_t controlled) {
    const uint64_t g = controlling, d = controlled;
    return (uint64_t{1} << 32) * std::min(g, d) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

std::string Candidate::to_sdp() const {
    std::ostringstream out;
    out << "candidate:" << foundation << ' ' << int(component) << " udp " << priority << ' '
        << address.address.to_string() << ' ' << address.port << " typ " << to_string(type);
    if (related)
        out << " raddr " << related->address.to_string() << " rport " << related->port;
    return out.str();
}

std::optional<Candidate> Candidate::parse_sdp(std::string_view text) {
    if (text.starts_with("a="))
        text.remove_prefix(2);
    if (text.starts_with("candidate:"))
        text.remove_prefix(10);
    // RFC 8839 §5.1: foundation component transport priority address port "typ" type ...
    auto f = split_spaces(text, 32);
    if (f.size() < 8 || f[6] != "typ" || !iequals(f[2], "udp") || f[0].empty() || f[0].size() > 32)
        return std::nullopt;
    Candidate c;
    c.foundation = std::string(f[0]);
    auto component = to_number<unsigned>(f[1]);
    auto priority = to_number<uint32_t>(f[3]);
    auto address = util::IpAddress::parse(f[4]);
    auto port = to_number<uint16_t>(f[5]);
    auto type = candidate_type_from(f[7]);
    if (!component || *component < 1 || *component > 256 || !priority || !address || !port || !type)
        return std::nullopt;
    c.component = static_cast<uint8_t>(*component);
    c.priority = *priority;
    c.address = {*address, *port};
    c.type = *type;
    for (std::size_t i = 8; i + 3 < f.size(); i += 2) {
        if (f[i] == "raddr" && f[i + 2] == "rport") {
            auto ra = util::IpAddress::parse(f[i + 1]);
            auto rp = to_number<uint16_t>(f[i + 3]);
            if (ra && rp)
                c.related = util::Endpoint{*ra, *rp};
            break;
        }
    }
    return c;
}

std::string Description::to_json(bool signal_json) const {
    nlohmann::json j;
    j["type"] = type == DescriptionType::Offer ? "offer" : "answer";
    j["ufrag"] = ufrag;
    j["pwd"] = pwd;
    auto list = nlohmann::json::array();
    for (const auto& c : candidates)
        list.push_back(c.to_sdp());
    j["candidates"] = std::move(list);
    if (signal_json)
        j = nlohmann::json{{"type", "message"}, {"data", std::move(j)}};
    return j.dump();
}

std::optional<Description> Description::parse_json(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    // A signaling message (schema v1) carries the description in "data".
    // (value() would throw on a "type" that is not a string: untrusted input never throws.)
    if (const auto t = j.find("type"); t != j.end() && t->is_string() && *t == "message" &&
                                       j.contains("data") && j["data"].is_object())
        j = j["data"];
    const auto* type = j.contains("type") ? &j["type"] : nullptr;
    if (!type || !type->is_string() || !j.contains("ufrag") || !j["ufrag"].is_string() ||
        !j.contains("pwd") || !j["pwd"].is_string())
        return std::nullopt;
    Description d;
    const auto type_text = type->get<std::string>();
    if (type_text == "offer")
        d.type = DescriptionType::Offer;
    else if (type_text == "answer")
        d.type = DescriptionType::Answer;
    else
        return std::nullopt;
    d.ufrag = j["ufrag"].get<std::string>();
    d.pwd = j["pwd"].get<std::string>();
    // RFC 8445 §5.3: ufrag at least 4 characters, pwd at least 22.
    if (!valid_ice_chars(d.ufrag, 4) || !valid_ice_chars(d.pwd, 22))
        return std::nullopt;
    if (j.contains("candidates") && j["candidates"].is_array()) {
        for (const auto& item : j["candidates"]) {
            if (!item.is_string() || d.candidates.size() >= 64)
                continue;
            if (auto c = Candidate::parse_sdp(item.get<std::string>()))
                d.candidates.push_back(std::move(*c));
        }
    }
    return d;
}

bool valid_ice_chars(std::string_view text, std::size_t min_length, std::size_t max_length) {
    if (text.size() < min_length || text.size() > max_length)
        return false;
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

std::string random_ice_chars(std::size_t n) {
    static constexpr std::string_view kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out(n, 'A');
    std::vector<uint8_t> bytes(n);
    crypto::random_bytes(bytes);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = kChars[bytes[i] % kChars.size()];
    return out;
}

} // namespace rtc::ice
