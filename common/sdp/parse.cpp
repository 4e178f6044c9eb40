// SDP text -> SessionDescription (RFC 8866 §5), with the WebRTC attributes of description.hpp.
// Every failure is a returned message naming the line; nothing throws on bad input.
#include "sdp/parse.hpp"

#include "sdp/text.hpp"

#include <string>
#include <utility>

namespace rtc::sdp {

namespace {

using text::first_token;
using text::parse_uint;
using text::split_spaces;
using text::trim;

// The result of handling one line: empty on success, else the reason.
using Status = std::optional<std::string>;

bool is_rtp_protocol(std::string_view protocol) {
    return protocol.find("RTP/") != std::string_view::npos;
}

Status parse_connection(std::string_view value, Connection& out) {
    const auto t = split_spaces(value);
    if (t.size() != 3)
        return "bad c= (want <nettype> <addrtype> <address>)";
    out = Connection{std::string(t[0]), std::string(t[1]), std::string(t[2])};
    return std::nullopt;
}

// RFC 8122 §5
Status parse_fingerprint(std::string_view value, std::vector<Fingerprint>& out) {
    const auto [alg, rest] = first_token(value);
    if (alg.empty() || rest.empty())
        return "bad a=fingerprint";
    out.push_back(Fingerprint{std::string(alg), std::string(rest)});
    return std::nullopt;
}

Codec& codec_for(MediaDescription& m, uint8_t pt) {
    for (auto& c : m.codecs)
        if (c.payload_type == pt)
            return c;
    Codec c;
    c.payload_type = pt;
    m.codecs.push_back(std::move(c));
    return m.codecs.back();
}

// RFC 8866 §6.6 a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
Status parse_rtpmap(std::string_view value, MediaDescription& m) {
    const auto [pt_text, encoding] = first_token(value);
    const auto pt = parse_uint<uint8_t>(pt_text, 127);
    if (!pt || encoding.empty())
        return "bad a=rtpmap";
    const auto slash1 = encoding.find('/');
    if (slash1 == std::string_view::npos || slash1 == 0)
        return "bad a=rtpmap (want <name>/<clock rate>)";
    const std::string_view name = encoding.substr(0, slash1);
    std::string_view rest = encoding.substr(slash1 + 1);
    std::string_view channels_text;
    if (const auto slash2 = rest.find('/'); slash2 != std::string_view::npos) {
        channels_text = rest.substr(slash2 + 1);
        rest = rest.substr(0, slash2);
    }
    const auto rate = parse_uint<uint32_t>(rest);
    if (!rate || *rate == 0)
        return "bad a=rtpmap clock rate";
    uint16_t channels = 0;
    if (!channels_text.empty()) {
        const auto ch = parse_uint<uint16_t>(channels_text);
        if (!ch)
            return "bad a=rtpmap channel count";
        channels = *ch;
    } else if (encoding.back() == '/') {
        return "bad a=rtpmap channel count";
    }
    Codec& c = codec_for(m, *pt);
    c.name = std::string(name);
    c.clock_rate = *rate;
    c.channels = channels;
    return std::nullopt;
}

// RFC 8866 §6.15 a=fmtp:<format> <format specific parameters>
Status parse_fmtp(std::string_view value, MediaDescription& m) {
    const auto [pt_text, params] = first_token(value);
    const auto pt = parse_uint<uint8_t>(pt_text, 127);
    if (!pt)
        return "bad a=fmtp payload type";
    codec_for(m, *pt).fmtp = std::string(params);
    return std::nullopt;
}

// RFC 4585 §4.2 a=rtcp-fb:<payload type or *> <feedback>
Status parse_rtcp_fb(std::string_view value, MediaDescription& m) {
    const auto [pt_text, fb] = first_token(value);
    if (fb.empty())
        return "bad a=rtcp-fb";
    if (pt_text == "*") {
        m.rtcp_fb_all.emplace_back(fb);
        return std::nullopt;
    }
    const auto pt = parse_uint<uint8_t>(pt_text, 127);
    if (!pt)
        return "bad a=rtcp-fb payload type";
    codec_for(m, *pt).rtcp_fb.emplace_back(fb);
    return std::nullopt;
}

// RFC 8285 §8 a=extmap:<value>["/"<direction>] <URI> <extensionattributes>
Status parse_extmap(std::string_view value, std::vector<Extmap>& out) {
    const auto [id_text, rest] = first_token(value);
    Extmap e;
    std::string_view id_part = id_text;
    if (const auto slash = id_text.find('/'); slash != std::string_view::npos) {
        id_part = id_text.substr(0, slash);
        e.direction = parse_direction(id_text.substr(slash + 1));
        if (!e.direction)
            return "bad a=extmap direction";
    }
    const auto id = parse_uint<uint16_t>(id_part, 255);
    if (!id || *id == 0)
        return "bad a=extmap id";
    const auto [uri, attrs] = first_token(rest);
    if (uri.empty())
        return "bad a=extmap (no URI)";
    e.id = *id;
    e.uri = std::string(uri);
    e.attributes = std::string(attrs);
    out.push_back(std::move(e));
    return std::nullopt;
}

// RFC 5576 §4.1 a=ssrc:<ssrc-id> <attribute>[:<value>]
Status parse_ssrc(std::string_view value, std::vector<SsrcLine>& out) {
    const auto [ssrc_text, rest] = first_token(value);
    const auto ssrc = parse_uint<uint32_t>(ssrc_text);
    if (!ssrc || rest.empty())
        return "bad a=ssrc";
    SsrcLine line;
    line.ssrc = *ssrc;
    const auto colon = rest.find(':');
    line.attribute = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos)
        line.value = std::string(rest.substr(colon + 1));
    if (line.attribute.empty())
        return "bad a=ssrc attribute";
    out.push_back(std::move(line));
    return std::nullopt;
}

// RFC 5576 §4.2 a=ssrc-group:<semantics> <ssrc-id> ...
Status parse_ssrc_group(std::string_view value, std::vector<SsrcGroup>& out) {
    const auto t = split_spaces(value);
    if (t.empty())
        return "bad a=ssrc-group";
    SsrcGroup g;
    g.semantics = std::string(t[0]);
    for (std::size_t i = 1; i < t.size(); ++i) {
        const auto ssrc = parse_uint<uint32_t>(t[i]);
        if (!ssrc)
            return "bad a=ssrc-group ssrc";
        g.ssrcs.push_back(*ssrc);
    }
    out.push_back(std::move(g));
    return std::nullopt;
}

// RFC 8851 §10 a=rid:<rid-id> SP <"send" / "recv"> [SP <rid-pt-param-list / rid-param-list>]
Status parse_rid(std::string_view value, std::vector<Rid>& out) {
    const auto [id, rest] = first_token(value);
    const auto [dir, restrictions] = first_token(rest);
    Rid r;
    if (dir == "send")
        r.direction = RidDirection::Send;
    else if (dir == "recv")
        r.direction = RidDirection::Recv;
    else
        return "bad a=rid direction";
    if (id.empty())
        return "bad a=rid id";
    r.id = std::string(id);
    r.restrictions = std::string(restrictions);
    out.push_back(std::move(r));
    return std::nullopt;
}

// RFC 8853 §5.1 sc-str-list = sc-alt-list *(";" sc-alt-list); sc-alt-list = sc-id *("," sc-id);
// sc-id = ["~"] rid-id
std::optional<std::vector<SimulcastStream>> parse_simulcast_list(std::string_view list) {
    std::vector<SimulcastStream> streams;
    while (true) {
        const auto semi = list.find(';');
        std::string_view stream_text = list.substr(0, semi);
        SimulcastStream stream;
        while (true) {
            const auto comma = stream_text.find(',');
            std::string_view id = stream_text.substr(0, comma);
            SimulcastRid rid;
            if (!id.empty() && id.front() == '~') {
                rid.paused = true;
                id.remove_prefix(1);
            }
            if (id.empty())
                return std::nullopt;
            rid.rid = std::string(id);
            stream.push_back(std::move(rid));
            if (comma == std::string_view::npos)
                break;
            stream_text.remove_prefix(comma + 1);
        }
        streams.push_back(std::move(stream));
        if (semi == std::string_view::npos)
            break;
        list.remove_prefix(semi + 1);
    }
    return streams;
}

// RFC 8853 §5.1 a=simulcast:<sc-send / sc-recv> [SP <sc-recv / sc-send>]
Status parse_simulcast(std::string_view value, std::optional<Simulcast>& out) {
    const auto t = split_spaces(value);
    if (t.size() != 2 && t.size() != 4)
        return "bad a=simulcast";
    Simulcast sc;
    bool have_send = false;
    bool have_recv = false;
    for (std::size_t i = 0; i < t.size(); i += 2) {
        auto list = parse_simulcast_list(t[i + 1]);
        if (!list)
            return "bad a=simulcast list";
        if (t[i] == "send" && !have_send) {
            sc.send = std::move(*list);
            have_send = true;
        } else if (t[i] == "recv" && !have_recv) {
            sc.recv = std::move(*list);
            have_recv = true;
        } else {
            return "bad a=simulcast direction";
        }
    }
    out = std::move(sc);
    return std::nullopt;
}

// RFC 5888 §5 a=group:<semantics> *(SP identification-tag)
Status parse_group(std::string_view value, std::vector<Group>& out) {
    const auto t = split_spaces(value);
    if (t.empty())
        return "bad a=group";
    Group g;
    g.semantics = std::string(t[0]);
    for (std::size_t i = 1; i < t.size(); ++i)
        g.mids.emplace_back(t[i]);
    out.push_back(std::move(g));
    return std::nullopt;
}

// Attributes both levels understand; false when `name` is not one of them.
bool common_attribute(std::string_view name, std::string_view value, std::string& ufrag,
                      std::string& pwd, std::string& options, std::string& setup, bool& allow_mixed,
                      std::optional<Direction>& direction) {
    if (name == "ice-ufrag")
        ufrag = std::string(value); // RFC 8839 §5.4
    else if (name == "ice-pwd")
        pwd = std::string(value);
    else if (name == "ice-options")
        options = std::string(value);
    else if (name == "setup")
        setup = std::string(value); // RFC 4145 §4
    else if (name == "extmap-allow-mixed")
        allow_mixed = true; // RFC 8285 §6
    else if (auto d = parse_direction(name))
        direction = d; // RFC 8866 §6.7
    else
        return false;
    return true;
}

Status session_attribute(std::string_view name, std::string_view value, SessionDescription& sd) {
    if (common_attribute(name, value, sd.ice_ufrag, sd.ice_pwd, sd.ice_options, sd.setup,
                         sd.extmap_allow_mixed, sd.direction))
        return std::nullopt;
    if (name == "fingerprint")
        return parse_fingerprint(value, sd.fingerprints);
    if (name == "group")
        return parse_group(value, sd.groups);
    if (name == "ice-lite") {
        sd.ice_lite = true; // RFC 8839 §5.3
        return std::nullopt;
    }
    if (name == "msid-semantic") {
        sd.msid_semantic = std::string(trim(value));
        return std::nullopt;
    }
    return std::string("other");
}

Status media_attribute(std::string_view name, std::string_view value, MediaDescription& m) {
    if (common_attribute(name, value, m.ice_ufrag, m.ice_pwd, m.ice_options, m.setup,
                         m.extmap_allow_mixed, m.direction))
        return std::nullopt;
    if (name == "mid") {
        m.mid = std::string(value); // RFC 5888 §4
    } else if (name == "fingerprint") {
        return parse_fingerprint(value, m.fingerprints);
    } else if (name == "rtcp-mux") {
        m.rtcp_mux = true; // RFC 5761 §5.1.1
    } else if (name == "rtcp-rsize") {
        m.rtcp_rsize = true; // RFC 5506 §5
    } else if (name == "bundle-only") {
        m.bundle_only = true; // RFC 8843 §6
    } else if (name == "rtpmap") {
        return parse_rtpmap(value, m);
    } else if (name == "fmtp") {
        return parse_fmtp(value, m);
    } else if (name == "rtcp-fb") {
        return parse_rtcp_fb(value, m);
    } else if (name == "extmap") {
        return parse_extmap(value, m.extmaps);
    } else if (name == "ssrc") {
        return parse_ssrc(value, m.ssrcs);
    } else if (name == "ssrc-group") {
        return parse_ssrc_group(value, m.ssrc_groups);
    } else if (name == "rid") {
        return parse_rid(value, m.rids);
    } else if (name == "simulcast") {
        return parse_simulcast(value, m.simulcast);
    } else if (name == "msid") {
        const auto [stream, track] = first_token(value); // RFC 8830 §2
        if (stream.empty())
            return std::string("bad a=msid");
        m.msids.push_back(Msid{std::string(stream), std::string(track)});
    } else if (name == "candidate") {
        m.candidates.emplace_back(value); // RFC 8839 §5.1, kept as text
    } else if (name == "end-of-candidates") {
        m.end_of_candidates = true; // RFC 8840 §8.2
    } else if (name == "sctp-port") {
        const auto port = parse_uint<uint16_t>(value); // RFC 8841 §5
        if (!port)
            return std::string("bad a=sctp-port");
        m.sctp_port = port;
    } else if (name == "max-message-size") {
        const auto size = parse_uint<uint64_t>(value); // RFC 8841 §6
        if (!size)
            return std::string("bad a=max-message-size");
        m.max_message_size = size;
    } else {
        return std::string("other");
    }
    return std::nullopt;
}

// RFC 8866 §5.14 m=<media> <port>[/<number of ports>] <proto> <fmt> ...
Status parse_media_line(std::string_view value, MediaDescription& m) {
    const auto t = split_spaces(value);
    if (t.size() < 4)
        return "bad m= (want <media> <port> <proto> <fmt>...)";
    m.media = std::string(t[0]);
    m.kind = media_kind_from(t[0]);
    std::string_view port_text = t[1];
    if (const auto slash = port_text.find('/'); slash != std::string_view::npos) {
        const auto count = parse_uint<uint16_t>(port_text.substr(slash + 1));
        if (!count)
            return "bad m= port count";
        m.port_count = count;
        port_text = port_text.substr(0, slash);
    }
    const auto port = parse_uint<uint16_t>(port_text);
    if (!port)
        return "bad m= port";
    m.port = *port;
    m.protocol = std::string(t[2]);
    const bool rtp = is_rtp_protocol(t[2]);
    for (std::size_t i = 3; i < t.size(); ++i) {
        if (rtp && !parse_uint<uint8_t>(t[i], 127))
            return "bad m= payload type";
        m.formats.emplace_back(t[i]);
    }
    return std::nullopt;
}

class Parser {
public:
    ParseResult run(std::string_view text) {
        if (text.size() > kMaxSdpBytes)
            return fail(0, "SDP larger than " + std::to_string(kMaxSdpBytes) + " bytes");
        std::size_t pos = 0;
        std::size_t line_no = 0;
        bool seen_version = false;
        while (pos < text.size()) {
            const auto nl = text.find('\n', pos);
            std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            ++line_no;
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (line.empty())
                continue; // blank lines are tolerated
            for (const char c : line) {
                const auto u = static_cast<unsigned char>(c);
                if ((u < 0x20 && c != '\t') || u == 0x7F)
                    return fail(line_no, "control character");
            }
            if (line.size() < 2 || line[1] != '=')
                return fail(line_no, "expected <type>=<value>");
            const char type = line[0];
            const std::string_view value = line.substr(2);
            if (!seen_version) {
                // RFC 8866 §5.1: v=0 comes first.
                if (type != 'v')
                    return fail(line_no, "missing v= (the first line must be v=0)");
                if (value != "0")
                    return fail(line_no, "unsupported version (want v=0)");
                seen_version = true;
                continue;
            }
            if (auto err = handle(type, value))
                return fail(line_no, *err);
        }
        if (!seen_version)
            return fail(line_no, "missing v=");
        ParseResult r;
        r.description = std::move(sd_);
        return r;
    }

private:
    static ParseResult fail(std::size_t line_no, const std::string& why) {
        ParseResult r;
        r.error = line_no == 0 ? why : "line " + std::to_string(line_no) + ": " + why;
        return r;
    }

    Status handle(char type, std::string_view value) {
        if (type == 'm') {
            if (sd_.media.size() >= kMaxMediaSections)
                return "more than " + std::to_string(kMaxMediaSections) + " m-sections";
            sd_.media.emplace_back();
            attributes_ = 0;
            connection_seen_ = false;
            return parse_media_line(value, sd_.media.back());
        }
        if (type == 'a') {
            if (++attributes_ > kMaxAttributesPerSection)
                return "more than " + std::to_string(kMaxAttributesPerSection) +
                       " attributes in one section";
            const auto colon = value.find(':');
            const std::string_view name = value.substr(0, colon);
            const std::string_view attr_value =
                colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
            Status st = sd_.media.empty() ? session_attribute(name, attr_value, sd_)
                                          : media_attribute(name, attr_value, sd_.media.back());
            if (st && *st == "other") {
                auto& list =
                    sd_.media.empty() ? sd_.other_attributes : sd_.media.back().other_attributes;
                list.push_back(Attribute{std::string(name), std::string(attr_value)});
                return std::nullopt;
            }
            return st;
        }
        if (!sd_.media.empty()) {
            auto& m = sd_.media.back();
            if (type == 'c' && !connection_seen_) {
                connection_seen_ = true;
                m.connection.emplace();
                return parse_connection(value, *m.connection);
            }
            m.other_lines.push_back(Line{type, std::string(value)});
            return std::nullopt;
        }
        return session_line(type, value);
    }

    Status session_line(char type, std::string_view value) {
        if (type == 'o' && !origin_seen_) {
            // RFC 8866 §5.2 o=<username> <sess-id> <sess-version> <nettype> <addrtype> <addr>
            origin_seen_ = true;
            const auto t = split_spaces(value);
            if (t.size() != 6)
                return std::string("bad o= (want 6 fields)");
            sd_.origin = Origin{std::string(t[0]), std::string(t[1]), std::string(t[2]),
                                std::string(t[3]), std::string(t[4]), std::string(t[5])};
            return std::nullopt;
        }
        if (type == 's' && !name_seen_) {
            name_seen_ = true;
            sd_.session_name = std::string(value);
            return std::nullopt;
        }
        if (type == 't' && !timing_seen_) {
            // RFC 8866 §5.9 t=<start-time> <stop-time>
            timing_seen_ = true;
            const auto t = split_spaces(value);
            const auto start = t.size() == 2 ? parse_uint<uint64_t>(t[0]) : std::nullopt;
            const auto stop = t.size() == 2 ? parse_uint<uint64_t>(t[1]) : std::nullopt;
            if (!start || !stop)
                return std::string("bad t= (want <start> <stop>)");
            sd_.start_time = *start;
            sd_.stop_time = *stop;
            return std::nullopt;
        }
        if (type == 'c' && !connection_seen_) {
            connection_seen_ = true;
            sd_.connection.emplace();
            return parse_connection(value, *sd_.connection);
        }
        sd_.other_lines.push_back(Line{type, std::string(value)});
        return std::nullopt;
    }

    SessionDescription sd_;
    std::size_t attributes_ = 0;
    bool origin_seen_ = false;
    bool name_seen_ = false;
    bool timing_seen_ = false;
    bool connection_seen_ = false;
};

} // namespace

ParseResult parse(std::string_view text) {
    return Parser{}.run(text);
}

} // namespace rtc::sdp
