// The SFU's answer (RFC 8829 §5.3.1 "Initial Answers", §5.10 as far as they apply to an
// always-answering ICE-lite server; RFC 8843 BUNDLE).
#include "sdp/answer.hpp"

#include "sdp/text.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace rtc::sdp {

namespace {

bool contains_ci(const std::vector<std::string>& list, std::string_view value) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return iequals(s, value); });
}

// "nack  pli" and "nack pli" name the same feedback.
std::string normalize_fb(std::string_view fb) {
    std::string out;
    for (const auto token : text::split_spaces(fb)) {
        if (!out.empty())
            out.push_back(' ');
        out.append(token);
    }
    return out;
}

bool fb_supported(const AnswerOptions& o, std::string_view fb) {
    const std::string n = normalize_fb(fb);
    return std::any_of(o.rtcp_fb.begin(), o.rtcp_fb.end(),
                       [&](const std::string& s) { return iequals(normalize_fb(s), n); });
}

bool is_dtls_srtp(std::string_view protocol) {
    // RFC 5764 §8 / RFC 8829 §5.1.2: UDP/TLS/RTP/SAVPF, TCP/DTLS/RTP/SAVPF (and SAVP).
    return protocol.find("TLS/RTP/SAVP") != std::string_view::npos;
}

bool is_dtls_sctp(std::string_view protocol) {
    return protocol == "UDP/DTLS/SCTP" || protocol == "TCP/DTLS/SCTP"; // RFC 8841 §4
}

// The pre-RFC 8841 form aiortc 1.4 still offers: "m=application 9 DTLS/SCTP 5000" with
// a=sctpmap:5000 webrtc-datachannel <streams> (draft-ietf-mmusic-sctp-sdp-05).
bool is_legacy_sctp(const MediaDescription& m) {
    return m.protocol == "DTLS/SCTP" && m.formats.size() == 1 &&
           text::parse_uint<uint16_t>(m.formats[0]).has_value();
}

bool in_formats(const MediaDescription& m, uint8_t pt) {
    const std::string text = std::to_string(pt);
    return std::find(m.formats.begin(), m.formats.end(), text) != m.formats.end();
}

// The offered codecs the SFU keeps, in the offer's order: supported primaries (at most
// max_codecs), then every rtx whose apt is one of them.
std::vector<Codec> choose_codecs(const MediaDescription& offered, const AnswerOptions& o) {
    std::set<uint8_t> chosen;
    std::size_t primaries = 0;
    for (const auto& c : offered.codecs) {
        if (c.name.empty() || iequals(c.name, "rtx") || !in_formats(offered, c.payload_type))
            continue;
        if (!contains_ci(o.codecs, c.name))
            continue;
        if (o.max_codecs != 0 && primaries >= o.max_codecs)
            break;
        chosen.insert(c.payload_type);
        ++primaries;
    }
    if (o.rtx) {
        for (const auto& c : offered.codecs) {
            if (!iequals(c.name, "rtx") || !in_formats(offered, c.payload_type))
                continue;
            const auto apt = rtx_apt(c);
            if (apt && chosen.count(*apt) != 0)
                chosen.insert(c.payload_type);
        }
    }
    std::vector<Codec> out;
    for (const auto& c : offered.codecs) {
        if (chosen.count(c.payload_type) == 0)
            continue;
        Codec a = c;
        a.rtcp_fb.clear();
        for (const auto& fb : c.rtcp_fb) // RFC 4585 §4.2: only what both sides support
            if (fb_supported(o, fb))
                a.rtcp_fb.push_back(fb);
        out.push_back(std::move(a));
    }
    return out;
}

// RFC 8829 §5.3.1: the answer's direction is what the plan wants within the offer's reverse.
Direction narrow(Direction wanted, Direction offered) {
    const Direction allowed = reverse(offered);
    const bool send = sends(wanted) && sends(allowed);
    const bool recv = receives(wanted) && receives(allowed);
    if (send && recv)
        return Direction::SendRecv;
    if (send)
        return Direction::SendOnly;
    if (recv)
        return Direction::RecvOnly;
    return Direction::Inactive;
}

// RFC 8851 §4: the answerer may keep a rid's restrictions; pt= keeps only accepted types.
std::string filter_restrictions(std::string_view restrictions, const std::vector<Codec>& codecs) {
    std::string out;
    while (!restrictions.empty()) {
        const auto semi = restrictions.find(';');
        std::string_view param = restrictions.substr(0, semi);
        restrictions =
            semi == std::string_view::npos ? std::string_view{} : restrictions.substr(semi + 1);
        std::string kept;
        if (param.substr(0, 3) == "pt=") {
            std::string_view pts = param.substr(3);
            std::string list;
            while (!pts.empty()) {
                const auto comma = pts.find(',');
                const std::string_view pt = pts.substr(0, comma);
                pts = comma == std::string_view::npos ? std::string_view{} : pts.substr(comma + 1);
                const auto value = text::parse_uint<uint8_t>(pt, 127);
                const bool ok = value && std::any_of(codecs.begin(), codecs.end(), [&](auto& c) {
                                    return c.payload_type == *value;
                                });
                if (ok)
                    list += (list.empty() ? "" : ",") + std::string(pt);
            }
            if (!list.empty())
                kept = "pt=" + list;
        } else if (!param.empty()) {
            kept = std::string(param);
        }
        if (!kept.empty())
            out += (out.empty() ? "" : ";") + kept;
    }
    return out;
}

// RFC 8839 §5.1 host candidate; priority per RFC 8445 §5.1.2.1 (type preference 126), TCP
// local preference per RFC 6544 §4.2 (passive: direction preference 4).
std::string candidate_line(const CandidateSpec& c, std::size_t index) {
    const bool tcp = iequals(c.transport, "tcp");
    const uint32_t local_pref = tcp ? (4u << 13) + static_cast<uint32_t>(8191 - index % 8192)
                                    : 65535u - static_cast<uint32_t>(index % 16384);
    const uint32_t priority = (126u << 24) + (local_pref << 8) + (256u - 1u);
    std::string line = std::to_string(index + 1) + " 1 " + (tcp ? "tcp " : "udp ") +
                       std::to_string(priority) + " " + c.address + " " + std::to_string(c.port) +
                       " typ host";
    if (tcp)
        line += " tcptype passive";
    return line;
}

uint64_t derive_session_id(const AnswerOptions& o) {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    for (const char c : o.ice_ufrag + o.fingerprint) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return (h & 0x3FFFFFFFFFFFFFFFull) | 1; // RFC 8829 §5.2.1: fits in 63 bits
}

AnswerResult fail(std::string why) {
    AnswerResult r;
    r.error = std::move(why);
    return r;
}

std::string section_name(std::size_t i) {
    return "m-section " + std::to_string(i);
}

// Whether offered section i can be accepted at all (plan aside).
bool acceptable(const SessionDescription& offer, std::size_t i, const AnswerOptions& o) {
    const auto& m = offer.media[i];
    if (m.port == 0 && !m.bundle_only)
        return false; // RFC 8843 §7.3.1 / RFC 3264 §6: the offerer rejected it
    switch (m.kind) {
    case MediaKind::Audio:
    case MediaKind::Video:
        return is_dtls_srtp(m.protocol) && m.rtcp_mux && !choose_codecs(m, o).empty();
    case MediaKind::Application:
        return is_dtls_sctp(m.protocol) || is_legacy_sctp(m);
    case MediaKind::Other:
        break;
    }
    return false;
}

// Port 0 (RFC 8829 §5.3.1) and the mid. aiortc 1.4 refuses an answer in which any section,
// rejected or not, lacks ICE credentials, an active/passive a=setup or (audio/video) a=rtcp-mux,
// so a rejected section carries those too, and is inactive; it also fails on an audio/video
// section without codecs, so the offered rtpmap/fmtp lines are echoed (no feedback).
MediaDescription rejected_section(const MediaDescription& m, const AnswerOptions& o) {
    MediaDescription a;
    a.kind = m.kind;
    a.media = m.media;
    a.port = 0;
    a.protocol = m.protocol;
    a.formats = m.formats;
    a.connection = Connection{};
    a.mid = m.mid;
    a.ice_ufrag = o.ice_ufrag;
    a.ice_pwd = o.ice_pwd;
    a.fingerprints.push_back(Fingerprint{"sha-256", o.fingerprint});
    a.setup = o.setup;
    if (m.kind == MediaKind::Audio || m.kind == MediaKind::Video) {
        a.rtcp_mux = m.rtcp_mux;
        a.direction = Direction::Inactive;
        for (const auto& c : m.codecs) {
            if (c.name.empty() || !in_formats(m, c.payload_type))
                continue;
            Codec echoed = c;
            echoed.rtcp_fb.clear();
            a.codecs.push_back(std::move(echoed));
        }
    }
    return a;
}

// RFC 8843 §9.1 / RFC 8285: within one bundle an id must name one extension. Returns the ids
// that name different supported URIs in different accepted bundled sections.
std::set<uint16_t> conflicting_extension_ids(const SessionDescription& offer,
                                             const std::vector<bool>& accepted,
                                             const std::set<std::string>& bundle,
                                             const AnswerOptions& o) {
    std::map<uint16_t, std::string> uri_of;
    std::set<uint16_t> conflicts;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const auto& m = offer.media[i];
        if (!accepted[i] || m.mid.empty() || bundle.count(m.mid) == 0)
            continue;
        for (const auto& e : m.extmaps) {
            if (!contains_ci(o.header_extensions, e.uri))
                continue;
            const auto [it, inserted] = uri_of.emplace(e.id, e.uri);
            if (!inserted && it->second != e.uri)
                conflicts.insert(e.id);
        }
    }
    return conflicts;
}

} // namespace

AnswerResult build_answer(const SessionDescription& offer, const AnswerOptions& options,
                          const std::vector<MediaPlan>& plans) {
    if (plans.size() != offer.media.size())
        return fail("one plan per offered m-section needed (" + std::to_string(plans.size()) +
                    " plans, " + std::to_string(offer.media.size()) + " m-sections)");
    if (options.ice_ufrag.empty() || options.ice_pwd.empty())
        return fail("answer options need ice_ufrag and ice_pwd");
    if (options.fingerprint.empty())
        return fail("answer options need a sha-256 fingerprint");
    if (options.setup != "passive" && options.setup != "active")
        return fail("answer setup must be passive or active, not '" + options.setup + "'");

    // RFC 5888 §4 / RFC 8843: a mid names one m-section.
    std::set<std::string> mids;
    for (std::size_t i = 0; i < offer.media.size(); ++i)
        if (!offer.media[i].mid.empty() && !mids.insert(offer.media[i].mid).second)
            return fail(section_name(i) + ": duplicate mid '" + offer.media[i].mid + "'");

    std::vector<bool> accepted(offer.media.size());
    for (std::size_t i = 0; i < offer.media.size(); ++i)
        accepted[i] = plans[i].accept && acceptable(offer, i, options);

    // Transport checks for what is accepted (RFC 8839 §5.4, RFC 8842 §5).
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        if (!accepted[i])
            continue;
        const auto ice = effective_ice(offer, i);
        if (ice.ufrag.empty() || ice.pwd.empty())
            return fail(section_name(i) + ": the offer has no ice-ufrag/ice-pwd");
        if (!effective_fingerprint(offer, i))
            return fail(section_name(i) + ": the offer has no fingerprint");
        const std::string setup = effective_setup(offer, i);
        if (setup == options.setup || setup == "holdconn")
            return fail(section_name(i) + ": the offer's a=setup:" + setup +
                        " cannot be answered with a=setup:" + options.setup);
    }

    const auto offered_bundle = bundle_group(offer);
    const std::set<std::string> bundle(offered_bundle.begin(), offered_bundle.end());
    const auto conflicts = conflicting_extension_ids(offer, accepted, bundle, options);

    SessionDescription ans;
    ans.origin.session_id =
        std::to_string(options.session_id != 0 ? options.session_id : derive_session_id(options));
    ans.origin.session_version = std::to_string(options.session_version);
    ans.ice_lite = options.ice_lite; // RFC 8839 §5.3

    // RFC 8843 §7.3.1: the answer's BUNDLE group lists the accepted bundled mids; the first one
    // is the answerer-tagged section and carries the candidates.
    Group answer_bundle{"BUNDLE", {}};
    for (const auto& mid : offered_bundle) {
        const auto idx = find_media_by_mid(offer, mid);
        if (idx && accepted[*idx] &&
            std::find(answer_bundle.mids.begin(), answer_bundle.mids.end(), mid) ==
                answer_bundle.mids.end())
            answer_bundle.mids.push_back(mid);
    }
    if (!answer_bundle.mids.empty())
        ans.groups.push_back(answer_bundle);

    const CandidateSpec* first = options.candidates.empty() ? nullptr : &options.candidates[0];
    bool any_send = false;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const auto& m = offer.media[i];
        if (!accepted[i]) {
            ans.media.push_back(rejected_section(m, options));
            continue;
        }
        const MediaPlan& plan = plans[i];
        MediaDescription a;
        a.kind = m.kind;
        a.media = m.media;
        a.protocol = m.protocol;
        a.mid = m.mid;
        a.port = first != nullptr ? first->port : 9; // RFC 8829 §5.3.1 default candidate or 9
        a.connection = Connection{};
        if (first != nullptr) {
            a.connection->addr_type = first->address.find(':') != std::string::npos ? "IP6" : "IP4";
            a.connection->address = first->address;
        }
        a.ice_ufrag = options.ice_ufrag;
        a.ice_pwd = options.ice_pwd;
        a.fingerprints.push_back(Fingerprint{"sha-256", options.fingerprint});
        a.setup = options.setup;

        const bool in_bundle = !m.mid.empty() && bundle.count(m.mid) != 0;
        const bool carries_transport =
            !in_bundle || answer_bundle.mids.empty() || answer_bundle.mids.front() == m.mid;
        if (carries_transport && !options.candidates.empty()) {
            for (std::size_t c = 0; c < options.candidates.size(); ++c)
                a.candidates.push_back(candidate_line(options.candidates[c], c));
            a.end_of_candidates = true; // RFC 8840 §8.2: ICE-lite gathers nothing more
        }

        if (m.kind == MediaKind::Application) {
            if (is_legacy_sctp(m)) {
                a.formats = {std::to_string(options.sctp_port)};
                a.other_attributes.push_back(
                    Attribute{"sctpmap", a.formats[0] + " webrtc-datachannel 65535"});
            } else {
                a.formats = m.formats; // RFC 8841 §4: "webrtc-datachannel"
                a.sctp_port = options.sctp_port;
            }
            a.max_message_size = options.max_message_size;
            ans.media.push_back(std::move(a));
            continue;
        }

        a.codecs = choose_codecs(m, options);
        for (const auto& c : a.codecs)
            a.formats.push_back(std::to_string(c.payload_type));
        for (const auto& fb : m.rtcp_fb_all)
            if (fb_supported(options, fb))
                a.rtcp_fb_all.push_back(fb);
        for (const auto& e : m.extmaps) {
            if (!contains_ci(options.header_extensions, e.uri) ||
                (in_bundle && conflicts.count(e.id) != 0))
                continue;
            Extmap x{e.id, std::nullopt, e.uri, {}}; // RFC 8285 §7: the offer's id
            if (e.direction)
                x.direction = reverse(*e.direction);
            a.extmaps.push_back(std::move(x));
        }
        a.rtcp_mux = true; // RFC 5761; acceptable() required the offer's a=rtcp-mux
        a.rtcp_rsize = m.rtcp_rsize;
        const Direction dir = narrow(plan.direction, effective_direction(offer, i));
        a.direction = dir;

        // RFC 8853 §5.3 / RFC 8851 §7.2: the offerer's send simulcast mirrored as our recv.
        if (receives(dir)) {
            for (const auto& r : m.rids)
                if (r.direction == RidDirection::Send)
                    a.rids.push_back(Rid{r.id, RidDirection::Recv,
                                         filter_restrictions(r.restrictions, a.codecs)});
            if (m.simulcast && !m.simulcast->send.empty() && !a.rids.empty())
                a.simulcast = Simulcast{{}, m.simulcast->send};
        }

        if (sends(dir) && plan.send) {
            const SendStream& s = *plan.send;
            any_send = true;
            a.msids.push_back(Msid{s.stream_id, s.track_id}); // RFC 8830 §2
            const std::string msid = s.stream_id + " " + s.track_id;
            const bool has_rtx = std::any_of(a.codecs.begin(), a.codecs.end(),
                                             [](const Codec& c) { return iequals(c.name, "rtx"); });
            const bool rtx = has_rtx && s.rtx_ssrc.has_value();
            if (rtx) // RFC 4588 §8.3 / RFC 5576 §4.2
                a.ssrc_groups.push_back(SsrcGroup{"FID", {s.ssrc, *s.rtx_ssrc}});
            a.ssrcs.push_back(SsrcLine{s.ssrc, "cname", s.cname}); // RFC 5576 §4.1
            a.ssrcs.push_back(SsrcLine{s.ssrc, "msid", msid});
            if (rtx) {
                a.ssrcs.push_back(SsrcLine{*s.rtx_ssrc, "cname", s.cname});
                a.ssrcs.push_back(SsrcLine{*s.rtx_ssrc, "msid", msid});
            }
        }
        ans.media.push_back(std::move(a));
    }
    if (any_send || !offer.msid_semantic.empty())
        ans.msid_semantic = "WMS";

    AnswerResult r;
    r.answer = std::move(ans);
    return r;
}

} // namespace rtc::sdp
