#include "sfu/router.hpp"

#include "sfu/router_internal.hpp"

#include "crypto/random.hpp"
#include "ice/candidate.hpp"
#include "ice/lite.hpp"
#include "rtp/demux.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_builder.hpp"
#include "sdp/answer.hpp"
#include "sdp/parse.hpp"
#include "stun/message.hpp"
#include "tls/context.hpp"
#include "util/hex.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace rtc::sfu {

namespace {

constexpr std::size_t kPacketBuffer = 1500 + srtp::Session::kMaxTrailer;
constexpr std::size_t kHistoryPackets = 512;       // RFC 4585 §6.2.1 NACK answers, per video track
constexpr uint32_t kMaxGarbageInRow = 1000;        // then the peer is dropped
constexpr std::chrono::seconds kReportInterval{1}; // RFC 3550 §6.2 (a fixed 1 s here)
constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kRidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr std::string_view kRepairedRidUri =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

} // namespace

namespace detail {

uint32_t random_u32() {
    std::array<uint8_t, 4> b{};
    crypto::random_bytes(b);
    const uint32_t v =
        (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    return v == 0 ? 1 : v;
}

ExtensionIds extension_ids(const sdp::MediaDescription& m) {
    ExtensionIds ids;
    for (const auto& e : m.extmaps) {
        if (e.id == 0 || e.id > 255)
            continue;
        const auto id = static_cast<uint8_t>(e.id);
        if (e.uri == kMidUri)
            ids.mid = id;
        else if (e.uri == kRidUri)
            ids.rid = id;
        else if (e.uri == kRepairedRidUri)
            ids.repaired_rid = id;
    }
    return ids;
}

std::optional<MediaKind> media_kind(const sdp::MediaDescription& m) {
    if (m.kind == sdp::MediaKind::Audio)
        return MediaKind::Audio;
    if (m.kind == sdp::MediaKind::Video)
        return MediaKind::Video;
    return std::nullopt;
}

} // namespace detail

using detail::extension_ids;
using detail::media_kind;
using detail::prepare;
using detail::random_u32;

Router::Router(RouterConfig config, TimePoint now)
    : config_(std::move(config)), scratch_(kPacketBuffer), out_(kPacketBuffer),
      next_report_(now + kReportInterval) {
    fingerprint_ = config_.certificate->fingerprint_sha256();
    tls::ServerOptions options;
    options.transport = tls::Transport::Datagram;
    options.dtls_srtp = true;
    options.dtls_cookie_exchange = false; // ICE checked the address (RFC 8445 §2.5)
    options.dtls_retransmit_min = std::chrono::milliseconds(400);
    options.dtls_retransmit_max = std::chrono::milliseconds(6400);
    dtls_context_ = tls::Context::server(config_.certificate, options);
    tls::ClientOptions client;
    client.transport = tls::Transport::Datagram;
    client.dtls_srtp = true; // the peer's certificate is checked against the SDP fingerprint
    client.own = config_.certificate;
    client.dtls_retransmit_min = options.dtls_retransmit_min;
    client.dtls_retransmit_max = options.dtls_retransmit_max;
    dtls_client_context_ = tls::Context::client(client);
}

Router::~Router() {
    for (auto& [id, peer] : peers_)
        for (auto& t : peer->in_tracks)
            if (t.recorder)
                t.recorder->finish();
}

Negotiation Router::fail(int status, std::string error) {
    Negotiation n;
    n.status = status;
    n.error = std::move(error);
    return n;
}

std::string Router::new_resource_id() {
    std::array<uint8_t, 12> bytes{};
    for (;;) {
        crypto::random_bytes(bytes);
        auto id = util::to_hex(bytes);
        if (!peers_.count(id))
            return id;
    }
}

std::optional<detail::Prepared> detail::prepare(std::string_view text, std::size_t max_tracks,
                                                std::string& error) {
    auto parsed = sdp::parse(text);
    if (!parsed) {
        error = "bad SDP offer: " + parsed.error;
        return std::nullopt;
    }
    Prepared p{std::move(*parsed.description), {}, {}, {}};
    if (p.offer.media.empty()) {
        error = "the offer has no media section";
        return std::nullopt;
    }
    std::size_t tracks = 0;
    for (const auto& m : p.offer.media)
        tracks += media_kind(m) ? 1 : 0;
    if (tracks > max_tracks) {
        error = "the offer has more than " + std::to_string(max_tracks) +
                " audio and video sections (--max-tracks)";
        return std::nullopt;
    }
    const auto ice = sdp::effective_ice(p.offer, 0);
    if (ice.ufrag.empty() || ice.pwd.empty()) {
        error = "the offer has no a=ice-ufrag/a=ice-pwd";
        return std::nullopt;
    }
    auto fp = sdp::effective_fingerprint(p.offer, 0);
    if (!fp || !sdp::iequals(fp->algorithm, "sha-256")) {
        error = "the offer has no sha-256 a=fingerprint (RFC 8122)";
        return std::nullopt;
    }
    p.setup = sdp::effective_setup(p.offer, 0);
    p.remote_ufrag = ice.ufrag;
    p.fingerprint = fp->value;
    return p;
}

bool detail::dtls_client_role(const Prepared& offer, const Peer* existing, std::string& error) {
    error.clear();
    if (offer.setup == "passive") {
        if (existing && !existing->dtls_client)
            error = "a=setup:passive would swap the DTLS roles of the session";
        return true;
    }
    if (offer.setup == "active") {
        if (!existing || existing->dtls_client)
            error = "a=setup:active does not fit (an offer says actpass or passive, RFC 8842)";
        return false;
    }
    return existing ? existing->dtls_client : false;
}

std::unique_ptr<Peer> Router::new_peer(std::string_view stream, PeerRole role,
                                       const std::string& remote_fingerprint, TimePoint now) {
    auto peer = std::make_unique<Peer>();
    peer->id = new_resource_id();
    peer->stream = std::string(stream);
    peer->role = role;
    peer->local_ufrag = ice::random_ice_chars(8);
    peer->local_pwd = ice::random_ice_chars(24);
    peer->remote_fingerprint = remote_fingerprint;
    peer->rtcp_ssrc = random_u32();
    peer->created = now;
    return peer;
}

sdp::AnswerOptions Router::answer_options(const Peer& peer) const {
    sdp::AnswerOptions options;
    options.ice_ufrag = peer.local_ufrag;
    options.ice_pwd = peer.local_pwd;
    options.fingerprint = fingerprint_;
    options.setup = peer.dtls_client ? "active" : "passive"; // RFC 8842 §5.3
    for (const auto& c : config_.candidates)
        options.candidates.push_back({c.address.to_string(), c.port, "udp"});
    for (const auto& c : config_.tcp_candidates)
        options.candidates.push_back({c.address.to_string(), c.port, "tcp"});
    options.rtx = false;    // retransmissions come on the primary SSRC (RFC 4585 NACK)
    options.max_codecs = 1; // one codec per track keeps the forwarding a pure rewrite
    options.session_version = peer.answer_version; // RFC 8829 §5.3.2: grows per answer
    return options;
}

Negotiation Router::admit(std::unique_ptr<Peer> peer, const sdp::SessionDescription& answer) {
    peer->dtls =
        std::make_unique<tls::Engine>(peer->dtls_client ? dtls_client_context_ : dtls_context_);
    Negotiation n;
    n.resource = peer->id;
    n.answer = sdp::serialize(answer);
    n.etag = peer->local_ufrag;
    by_ufrag_[peer->local_ufrag] = peer.get();
    peers_.emplace(peer->id, std::move(peer));
    return n;
}

Negotiation Router::publish(std::string_view stream, std::string_view offer, TimePoint now) {
    if (peers_.size() >= config_.max_peers)
        return fail(503, "too many peers (--max-peers)");
    auto it = streams_.find(stream);
    if (it != streams_.end() && it->second.publisher)
        return fail(409, "the stream already has a publisher");
    if (it == streams_.end() && streams_.size() >= config_.max_streams)
        return fail(503, "too many streams (--max-streams)");
    std::string error;
    auto prepared = prepare(offer, config_.max_tracks, error);
    if (!prepared)
        return fail(400, error);

    auto peer = new_peer(stream, PeerRole::Publisher, prepared->fingerprint, now);
    peer->dtls_client = detail::dtls_client_role(*prepared, nullptr, error);
    if (!error.empty())
        return fail(400, error);
    peer->remote_ufrag = prepared->remote_ufrag;
    auto options = answer_options(*peer);
    std::vector<sdp::MediaPlan> plans;
    for (std::size_t i = 0; i < prepared->offer.media.size(); ++i) {
        const auto& m = prepared->offer.media[i];
        sdp::MediaPlan plan;
        plan.accept = media_kind(m) && sdp::sends(sdp::effective_direction(prepared->offer, i));
        plan.direction = sdp::Direction::RecvOnly;
        plans.push_back(plan);
    }
    auto answer = sdp::build_answer(prepared->offer, options, plans);
    if (!answer)
        return fail(400, "cannot answer the offer: " + answer.error);

    for (std::size_t i = 0; i < answer.answer->media.size(); ++i) {
        const auto& a = answer.answer->media[i];
        const auto kind = media_kind(a);
        if (a.port == 0 || !kind || a.codecs.empty())
            continue;
        InTrack t;
        t.mid = a.mid;
        t.kind = *kind;
        const auto& codec = a.codecs.front();
        t.codec_name = codec.name;
        t.codec = rtp::codec_from_name(codec.name);
        t.clock_rate = codec.clock_rate ? codec.clock_rate : 90000;
        t.channels = codec.channels;
        t.fmtp = codec.fmtp;
        t.payload_type = codec.payload_type;
        t.extensions = extension_ids(a);
        // RFC 8853: one layer per simulcast stream (its first rid), else one stream whose SSRC
        // is the first a=ssrc of the section (RFC 5576), if any.
        const auto& offered = prepared->offer.media[i];
        std::vector<std::string> rids;
        if (offered.simulcast)
            for (const auto& alternatives : offered.simulcast->send)
                if (!alternatives.empty() && rids.size() < kMaxLayers)
                    rids.push_back(alternatives.front().rid);
        if (rids.empty())
            rids.push_back("");
        for (const auto& rid : rids) {
            Layer layer;
            layer.rid = rid;
            if (rid.empty() && !offered.ssrcs.empty())
                layer.ssrc = offered.ssrcs.front().ssrc;
            if (t.kind == MediaKind::Video)
                layer.history = std::make_unique<rtp::RetransmitBuffer>(kHistoryPackets);
            t.layers.push_back(std::move(layer));
        }
        t.recorded_layer = t.layers.size() - 1;
        peer->in_tracks.push_back(std::move(t));
    }
    if (peer->in_tracks.empty())
        return fail(400, "the offer sends no audio or video this server can receive");

    auto& stream_entry = streams_[std::string(stream)];
    stream_entry.publisher = peer.get();
    Peer& publisher = *peer;
    auto n = admit(std::move(peer), *answer.answer);
    for (auto* subscriber : stream_entry.subscribers)
        attach(*subscriber, publisher);
    return n;
}

bool Router::remove(std::string_view resource) {
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end())
        return false;
    remove_peer(it->first, "deleted");
    return true;
}

void Router::remove_peer(const std::string& id, std::string why) {
    auto it = peers_.find(id);
    if (it == peers_.end())
        return;
    Peer* peer = it->second.get();
    for (auto& t : peer->in_tracks)
        if (t.recorder)
            t.recorder->finish();
    by_ufrag_.erase(peer->local_ufrag);
    if (peer->address) {
        auto a = by_address_.find(*peer->address);
        if (a != by_address_.end() && a->second == peer)
            by_address_.erase(a);
    }
    // A publisher's viewers keep their peers; only the tracks it fed detach.
    auto own = streams_.find(peer->stream);
    if (own != streams_.end() && own->second.publisher == peer) {
        own->second.publisher = nullptr;
        for (auto* sub : own->second.subscribers)
            for (auto& out : sub->out_tracks)
                if (out.source == peer) {
                    out.attached = false;
                    out.source = nullptr;
                }
    }
    for (auto s = streams_.begin(); s != streams_.end();) {
        std::erase(s->second.subscribers, peer);
        if (!s->second.publisher && s->second.subscribers.empty())
            s = streams_.erase(s);
        else
            ++s;
    }
    removed_.emplace_back(id, std::move(why));
    peers_.erase(it);
}

std::vector<std::pair<std::string, std::string>> Router::take_removed() {
    return std::exchange(removed_, {});
}

RouterStats Router::stats() const {
    RouterStats s = stats_;
    s.publishers = s.subscribers = s.connected = 0;
    for (const auto& [id, p] : peers_) {
        (p->role == PeerRole::Publisher ? s.publishers : s.subscribers) += 1;
        s.connected += p->connected ? 1 : 0;
    }
    s.streams = streams_.size();
    return s;
}

void Router::on_datagram(std::span<const uint8_t> datagram, const util::Endpoint& from,
                         TimePoint now, DatagramSink& sink) {
    const auto kind = rtp::classify(datagram);
    if (kind == rtp::PacketKind::Stun) {
        auto m = stun::MessageView::parse(datagram);
        if (!m) {
            ++stats_.drops_malformed;
            return;
        }
        auto names = ice::check_username(*m);
        if (!names) {
            ++stats_.drops_malformed;
            return;
        }
        auto p = by_ufrag_.find(std::string(names->local));
        if (p == by_ufrag_.end()) {
            ++stats_.drops_unknown;
            return;
        }
        Peer& peer = *p->second;
        auto r = ice::answer_check(*m, from, peer.local_pwd, out_);
        if (r.outcome == ice::CheckOutcome::BadIntegrity) {
            ++stats_.drops_auth;
            return;
        }
        if (r.size == 0) {
            ++stats_.drops_malformed;
            return;
        }
        sink.send(std::span(out_).first(r.size), from);
        if (r.outcome != ice::CheckOutcome::Valid)
            return;
        ++stats_.checks;
        peer.last_check = now;
        // RFC 8445 §7.3.1.5: the nominated pair carries the media; until a nomination the
        // latest valid check's address does (aggressive agents nominate at once).
        if (!peer.address || (r.use_candidate && *peer.address != from)) {
            if (peer.address) {
                auto a = by_address_.find(*peer.address);
                if (a != by_address_.end() && a->second == &peer)
                    by_address_.erase(a);
            }
            peer.address = from;
            by_address_[from] = &peer;
        }
        if (peer.dtls_client && !peer.dtls_started) {
            peer.dtls_started = true;
            peer.dtls->start(now);
            pump_dtls(peer, now, sink);
        }
        return;
    }

    auto a = by_address_.find(from);
    if (a == by_address_.end()) {
        ++stats_.drops_unknown;
        return;
    }
    Peer& peer = *a->second;
    if (kind == rtp::PacketKind::Dtls) {
        if (peer.dtls->state() == tls::EngineState::Handshaking && !peer.dtls_client) {
            if (!peer.hello)
                peer.hello = std::make_unique<tls::ClientHelloReassembly>();
            auto hello = peer.hello->feed(datagram);
            if (hello.kind == tls::ClientHelloReassembly::Kind::Pending)
                return;
            if (hello.kind == tls::ClientHelloReassembly::Kind::Drop) {
                ++stats_.drops_malformed;
                return;
            }
            if (hello.kind == tls::ClientHelloReassembly::Kind::Complete) {
                peer.dtls->feed(hello.record, now);
                pump_dtls(peer, now, sink);
                return;
            }
        } else {
            peer.hello.reset();
        }
        peer.dtls->feed(datagram, now);
        pump_dtls(peer, now, sink);
        return;
    }
    if (kind != rtp::PacketKind::Rtp && kind != rtp::PacketKind::Rtcp) {
        ++stats_.drops_malformed;
        count_garbage(peer);
        return;
    }
    if (!peer.srtp) {
        ++stats_.drops_not_ready;
        return;
    }
    if (datagram.size() > scratch_.size() - srtp::Session::kMaxTrailer) {
        ++stats_.drops_malformed;
        return;
    }
    std::copy(datagram.begin(), datagram.end(), scratch_.begin());
    std::size_t length = datagram.size();
    if (kind == rtp::PacketKind::Rtp) {
        if (!peer.srtp->unprotect_rtp(scratch_, length)) {
            ++stats_.drops_auth;
            count_garbage(peer);
            return;
        }
        peer.garbage_in_row = 0;
        if (peer.role == PeerRole::Publisher)
            route_rtp(peer, std::span(scratch_).first(length), now, sink);
        return;
    }
    if (!peer.srtp->unprotect_rtcp(scratch_, length)) {
        ++stats_.drops_auth;
        count_garbage(peer);
        return;
    }
    peer.garbage_in_row = 0;
    ++stats_.rtcp_in;
    const auto rtcp = std::span<const uint8_t>(scratch_).first(length);
    if (peer.role == PeerRole::Subscriber) {
        on_subscriber_rtcp(peer, rtcp, now, sink);
        return;
    }
    on_publisher_rtcp(peer, rtcp, now);
}

void Router::count_garbage(Peer& peer) {
    // A peer whose datagrams keep failing (a broken or hostile client) is dropped; the others
    // are not disturbed. Replays and the odd corrupt packet never come this many in a row.
    if (++peer.garbage_in_row < kMaxGarbageInRow)
        return;
    ++stats_.garbage_drops;
    remove_peer(peer.id, "sent " + std::to_string(kMaxGarbageInRow) +
                             " datagrams in a row that failed SRTP authentication or parsing");
}

void Router::pump_dtls(Peer& peer, TimePoint now, DatagramSink& sink) {
    for (auto out = peer.dtls->pending_output(); !out.empty(); out = peer.dtls->pending_output()) {
        if (peer.address)
            sink.send(out, *peer.address);
        peer.dtls->consume_output();
    }
    // Application data is not used on this association (no data channels yet).
    while (!peer.dtls->pending_plaintext().empty())
        peer.dtls->consume_plaintext(peer.dtls->pending_plaintext().size());
    if (peer.dtls->state() == tls::EngineState::Failed) {
        ++stats_.dtls_failures;
        remove_peer(peer.id, "DTLS failed: " + peer.dtls->error());
        return;
    }
    if (peer.dtls->is_open() && !peer.connected)
        on_connected(peer, now, sink);
}

void Router::on_connected(Peer& peer, TimePoint now, DatagramSink& sink) {
    // RFC 8122 §5, RFC 8827 §6.5: the certificate must be the one the offer named.
    const auto fingerprint = peer.dtls->peer_fingerprint_sha256();
    if (!tls::same_fingerprint(fingerprint, peer.remote_fingerprint)) {
        ++stats_.dtls_failures;
        remove_peer(peer.id, "DTLS certificate does not match the SDP fingerprint");
        return;
    }
    auto keys = peer.dtls->srtp_keying();
    if (!keys) {
        ++stats_.dtls_failures;
        remove_peer(peer.id, "the peer did not negotiate DTLS-SRTP (RFC 5764)");
        return;
    }
    peer.srtp.emplace(*keys, peer.dtls_client ? srtp::Role::DtlsClient : srtp::Role::DtlsServer);
    peer.connected = true;
    if (peer.role != PeerRole::Subscriber)
        return;
    // A new viewer needs a keyframe to start decoding.
    for (const auto& out : peer.out_tracks)
        if (out.attached && out.source && out.kind == MediaKind::Video)
            request_keyframe(*out.source, out.source_track, out.target_layer, now, sink);
}

void Router::on_timer(TimePoint now, DatagramSink& sink) {
    const bool report_due = now >= next_report_;
    if (report_due)
        next_report_ = now + kReportInterval;
    std::vector<std::string> expired;
    for (auto& [id, peer] : peers_) {
        const auto since = peer->last_check == TimePoint{} ? peer->created : peer->last_check;
        if (!peer->connected && now - peer->created > config_.connect_timeout) {
            expired.push_back(id);
            continue;
        }
        if (peer->connected && now - since > config_.consent_timeout) {
            expired.push_back(id);
            continue;
        }
        if (auto deadline = peer->dtls->next_deadline(); deadline && *deadline <= now) {
            peer->dtls->on_timer(now);
            if (peer->dtls->state() == tls::EngineState::Failed) {
                expired.push_back(id);
                continue;
            }
            for (auto out = peer->dtls->pending_output(); !out.empty();
                 out = peer->dtls->pending_output()) {
                if (peer->address)
                    sink.send(out, *peer->address);
                peer->dtls->consume_output();
            }
        }
        if (peer->connected && peer->role == PeerRole::Publisher)
            publisher_feedback(*peer, now, report_due, sink);
        if (peer->connected && peer->role == PeerRole::Subscriber && report_due)
            subscriber_reports(*peer, now, sink);
    }
    for (auto& [name, stream] : streams_)
        if (stream.publisher && stream.publisher->connected)
            subscriber_layers(stream, now, report_due, sink);
    for (const auto& id : expired) {
        auto it = peers_.find(id);
        if (it == peers_.end())
            continue;
        ++stats_.timeouts;
        remove_peer(id, it->second->connected ? "consent expired (no checks, RFC 7675)"
                                              : "never connected");
    }
}

} // namespace rtc::sfu
