// SessionDescription -> SDP text (RFC 8866 §5 line order, CRLF). Attributes the model names come
// first in a fixed order (transport, mid, extensions, direction, codecs, ssrcs, rid/simulcast),
// then the kept unknown ones in their original order.
#include "sdp/parse.hpp"

#include <string>

namespace rtc::sdp {

namespace {

class Writer {
public:
    void line(char type, std::string_view value) {
        out_.push_back(type);
        out_.push_back('=');
        out_.append(value);
        out_.append("\r\n");
    }
    void attr(std::string_view name) { line('a', name); }
    void attr(std::string_view name, std::string_view value) {
        out_.append("a=");
        out_.append(name);
        out_.push_back(':');
        out_.append(value);
        out_.append("\r\n");
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string connection_text(const Connection& c) {
    return c.net_type + " " + c.addr_type + " " + c.address;
}

void write_transport(Writer& w, const std::string& ufrag, const std::string& pwd,
                     const std::string& options, const std::vector<Fingerprint>& fingerprints,
                     const std::string& setup) {
    if (!ufrag.empty())
        w.attr("ice-ufrag", ufrag);
    if (!pwd.empty())
        w.attr("ice-pwd", pwd);
    if (!options.empty())
        w.attr("ice-options", options);
    for (const auto& f : fingerprints)
        w.attr("fingerprint", f.algorithm + " " + f.value);
    if (!setup.empty())
        w.attr("setup", setup);
}

void write_others(Writer& w, const std::vector<Attribute>& attrs) {
    for (const auto& a : attrs) {
        if (a.value.empty())
            w.attr(a.name);
        else
            w.attr(a.name, a.value);
    }
}

std::string simulcast_list(const std::vector<SimulcastStream>& streams) {
    std::string out;
    for (std::size_t i = 0; i < streams.size(); ++i) {
        if (i > 0)
            out.push_back(';');
        for (std::size_t j = 0; j < streams[i].size(); ++j) {
            if (j > 0)
                out.push_back(',');
            if (streams[i][j].paused)
                out.push_back('~');
            out.append(streams[i][j].rid);
        }
    }
    return out;
}

void write_codec(Writer& w, const Codec& c) {
    const std::string pt = std::to_string(c.payload_type);
    if (!c.name.empty()) {
        std::string map = pt + " " + c.name + "/" + std::to_string(c.clock_rate);
        if (c.channels != 0)
            map += "/" + std::to_string(c.channels);
        w.attr("rtpmap", map);
    }
    for (const auto& fb : c.rtcp_fb)
        w.attr("rtcp-fb", pt + " " + fb);
    // A payload type known from nothing else still needs one line to exist.
    if (!c.fmtp.empty())
        w.attr("fmtp", pt + " " + c.fmtp);
    else if (c.name.empty() && c.rtcp_fb.empty())
        w.attr("fmtp", pt);
}

void write_media(Writer& w, const MediaDescription& m) {
    std::string mline = m.media.empty() ? std::string(to_string(m.kind)) : m.media;
    mline += " " + std::to_string(m.port);
    if (m.port_count)
        mline += "/" + std::to_string(*m.port_count);
    mline += " " + m.protocol;
    for (const auto& f : m.formats)
        mline += " " + f;
    w.line('m', mline);
    if (m.connection)
        w.line('c', connection_text(*m.connection));
    for (const auto& l : m.other_lines)
        w.line(l.type, l.value);

    write_transport(w, m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup);
    if (!m.mid.empty())
        w.attr("mid", m.mid);
    if (m.bundle_only)
        w.attr("bundle-only");
    if (m.extmap_allow_mixed)
        w.attr("extmap-allow-mixed");
    for (const auto& e : m.extmaps) {
        std::string v = std::to_string(e.id);
        if (e.direction)
            v += "/" + std::string(to_string(*e.direction));
        v += " " + e.uri;
        if (!e.attributes.empty())
            v += " " + e.attributes;
        w.attr("extmap", v);
    }
    if (m.direction)
        w.attr(to_string(*m.direction));
    for (const auto& ms : m.msids)
        w.attr("msid", ms.track_id.empty() ? ms.stream_id : ms.stream_id + " " + ms.track_id);
    if (m.rtcp_mux)
        w.attr("rtcp-mux");
    if (m.rtcp_rsize)
        w.attr("rtcp-rsize");
    for (const auto& fb : m.rtcp_fb_all)
        w.attr("rtcp-fb", "* " + fb);
    for (const auto& c : m.codecs)
        write_codec(w, c);
    for (const auto& g : m.ssrc_groups) {
        std::string v = g.semantics;
        for (const auto s : g.ssrcs)
            v += " " + std::to_string(s);
        w.attr("ssrc-group", v);
    }
    for (const auto& s : m.ssrcs) {
        std::string v = std::to_string(s.ssrc) + " " + s.attribute;
        if (!s.value.empty())
            v += ":" + s.value;
        w.attr("ssrc", v);
    }
    for (const auto& r : m.rids) {
        std::string v = r.id + (r.direction == RidDirection::Send ? " send" : " recv");
        if (!r.restrictions.empty())
            v += " " + r.restrictions;
        w.attr("rid", v);
    }
    if (m.simulcast) {
        std::string v;
        if (!m.simulcast->send.empty())
            v = "send " + simulcast_list(m.simulcast->send);
        if (!m.simulcast->recv.empty())
            v += (v.empty() ? "recv " : " recv ") + simulcast_list(m.simulcast->recv);
        if (!v.empty())
            w.attr("simulcast", v);
    }
    if (m.sctp_port)
        w.attr("sctp-port", std::to_string(*m.sctp_port));
    if (m.max_message_size)
        w.attr("max-message-size", std::to_string(*m.max_message_size));
    for (const auto& c : m.candidates)
        w.attr("candidate", c);
    if (m.end_of_candidates)
        w.attr("end-of-candidates");
    write_others(w, m.other_attributes);
}

} // namespace

std::string serialize(const SessionDescription& sd) {
    Writer w;
    w.line('v', std::to_string(sd.version));
    const Origin& o = sd.origin;
    w.line('o', o.username + " " + o.session_id + " " + o.session_version + " " + o.net_type + " " +
                    o.addr_type + " " + o.address);
    w.line('s', sd.session_name);
    if (sd.connection)
        w.line('c', connection_text(*sd.connection));
    w.line('t', std::to_string(sd.start_time) + " " + std::to_string(sd.stop_time));
    for (const auto& l : sd.other_lines)
        w.line(l.type, l.value);

    for (const auto& g : sd.groups) {
        std::string v = g.semantics;
        for (const auto& mid : g.mids)
            v += " " + mid;
        w.attr("group", v);
    }
    if (sd.extmap_allow_mixed)
        w.attr("extmap-allow-mixed");
    if (!sd.msid_semantic.empty())
        w.attr("msid-semantic", " " + sd.msid_semantic);
    if (sd.ice_lite)
        w.attr("ice-lite");
    write_transport(w, sd.ice_ufrag, sd.ice_pwd, sd.ice_options, sd.fingerprints, sd.setup);
    if (sd.direction)
        w.attr(to_string(*sd.direction));
    write_others(w, sd.other_attributes);

    for (const auto& m : sd.media)
        write_media(w, m);
    return w.take();
}

} // namespace rtc::sdp
