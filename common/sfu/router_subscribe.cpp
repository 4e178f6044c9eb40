// The Router's subscribers: a WHEP offer, and the subsequent offers of a room member's one
// receiving PeerConnection (RFC 8829 §5.2.2, §5.3.2), whose sections are matched by mid to the
// tracks of the publishers they receive.
#include "sdp/parse.hpp"
#include "sfu/router.hpp"
#include "sfu/router_internal.hpp"
#include "tls/credentials.hpp"

#include <algorithm>

namespace rtc::sfu {

namespace {

const OutTrack* find_by_mid(const std::vector<OutTrack>& tracks, std::string_view mid) {
    if (mid.empty())
        return nullptr;
    for (const auto& t : tracks)
        if (t.mid == mid)
            return &t;
    return nullptr;
}

} // namespace

Negotiation Router::subscribe(std::string_view stream, std::string_view offer, TimePoint now) {
    if (peers_.size() >= config_.max_peers)
        return fail(503, "too many peers (--max-peers)");
    auto it = streams_.find(stream);
    if (it == streams_.end() || !it->second.publisher)
        return fail(404, "no such stream: nobody publishes it");
    if (it->second.subscribers.size() >= config_.max_subscribers)
        return fail(503, "too many subscribers on this stream (--max-subscribers)");
    std::string error;
    auto prepared = detail::prepare(offer, config_.max_tracks, error);
    if (!prepared)
        return fail(400, error);
    auto peer = new_peer(stream, PeerRole::Subscriber, prepared->fingerprint, now);
    peer->dtls_client = detail::dtls_client_role(*prepared, nullptr, error);
    if (!error.empty())
        return fail(400, error);
    peer->remote_ufrag = prepared->remote_ufrag;
    sdp::SessionDescription answer;
    auto n = answer_subscriber(*peer, std::move(prepared->offer), stream, true, answer);
    if (n.status != 200)
        return n;
    return admit(std::move(peer), answer);
}

Negotiation Router::renegotiate(std::string_view resource, std::string_view stream,
                                std::string_view offer, TimePoint /*now*/) {
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end() || it->second->role != PeerRole::Subscriber)
        return fail(404, "no such subscriber session");
    Peer& peer = *it->second;
    std::string error;
    auto prepared = detail::prepare(offer, config_.max_tracks, error);
    if (!prepared)
        return fail(400, error);
    // RFC 8829 §5.2.2: a subsequent offer keeps the ICE credentials unless it restarts ICE
    // (RFC 8445 §9), and the DTLS association stays the one the fingerprint names (RFC 8842).
    if (prepared->remote_ufrag != peer.remote_ufrag)
        return fail(400, "the offer changes the ICE ufrag (an ICE restart is not a renegotiation)");
    if (!tls::same_fingerprint(prepared->fingerprint, peer.remote_fingerprint))
        return fail(400, "the offer changes the DTLS fingerprint");
    detail::dtls_client_role(*prepared, &peer, error);
    if (!error.empty())
        return fail(400, error);
    sdp::SessionDescription answer;
    auto n = answer_subscriber(peer, std::move(prepared->offer), stream, false, answer);
    if (n.status != 200)
        return n;
    n.answer = sdp::serialize(answer);
    n.etag = peer.local_ufrag;
    return n;
}

Negotiation Router::answer_subscriber(Peer& peer, sdp::SessionDescription offer,
                                      std::string_view stream, bool initial,
                                      sdp::SessionDescription& answer) {
    Peer* publisher = nullptr;
    if (auto s = streams_.find(stream); !stream.empty() && s != streams_.end())
        publisher = s->second.publisher;
    // A publisher's track this peer receives already is not given to it twice.
    std::vector<bool> used(publisher ? publisher->in_tracks.size() : 0, false);
    for (const auto& out : peer.out_tracks)
        if (publisher && out.source == publisher && out.source_track < used.size())
            used[out.source_track] = true;

    auto options = answer_options(peer);
    options.codecs.clear();
    if (!initial)
        options.session_version = peer.answer_version + 1;
    std::vector<sdp::MediaPlan> plans(offer.media.size());
    std::vector<std::optional<OutTrack>> tracks(offer.media.size());
    bool asks_new = false;
    bool adds = false;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        auto& m = offer.media[i];
        plans[i].accept = false;
        plans[i].direction = sdp::Direction::SendOnly;
        const auto kind = detail::media_kind(m);
        // RFC 8829 §5.3.2 / RFC 3264 §8.2: port 0 stops a section (a recycled m-line comes
        // back with a new mid); an inactive or sendonly one receives nothing.
        const bool receiving = kind && (m.port != 0 || m.bundle_only) &&
                               sdp::receives(sdp::effective_direction(offer, i));
        if (kind && (m.port != 0 || m.bundle_only) &&
            sdp::effective_direction(offer, i) == sdp::Direction::Inactive) {
            // Answered inactive rather than rejected (RFC 8829 §5.3.1), so a page can keep a
            // section that anchors the BUNDLE transport while the others come and go.
            const auto defaults = sdp::AnswerOptions{}.codecs;
            const auto codec = std::find_if(m.codecs.begin(), m.codecs.end(), [&](auto& c) {
                return std::any_of(defaults.begin(), defaults.end(),
                                   [&](auto& d) { return sdp::iequals(c.name, d); });
            });
            if (codec == m.codecs.end())
                continue;
            const std::string name = codec->name;
            std::erase_if(m.codecs,
                          [&](const sdp::Codec& c) { return !sdp::iequals(c.name, name); });
            if (std::none_of(options.codecs.begin(), options.codecs.end(),
                             [&](const std::string& c) { return sdp::iequals(c, name); }))
                options.codecs.push_back(name);
            plans[i].accept = true;
            continue;
        }
        OutTrack track;
        if (const auto* known = initial ? nullptr : find_by_mid(peer.out_tracks, m.mid)) {
            if (!receiving || *kind != known->kind ||
                !sdp::find_codec_by_name(m, known->codec_name))
                continue; // answered rejected; the track is not carried over (detached)
            track = *known;
        } else {
            if (!receiving)
                continue;
            asks_new = true;
            if (!publisher)
                continue;
            // The publisher's next unused track of this kind with a codec the section offers.
            std::optional<std::size_t> source;
            for (std::size_t t = 0; t < publisher->in_tracks.size() && !source; ++t) {
                const auto& in = publisher->in_tracks[t];
                if (!used[t] && in.kind == *kind && sdp::find_codec_by_name(m, in.codec_name))
                    source = t;
            }
            if (!source)
                continue;
            used[*source] = true;
            adds = true;
            const auto& in = publisher->in_tracks[*source];
            track.mid = m.mid;
            track.stream = std::string(stream);
            track.track_id = track.stream + "-" + in.mid;
            track.kind = in.kind;
            track.codec_name = in.codec_name;
            track.ssrc = detail::random_u32();
            track.attached = true;
            track.source = publisher;
            track.source_track = *source;
            // Simulcast: start on the last layer of the offer (the largest, by convention).
            track.layer = track.target_layer = in.layers.size() - 1;
        }
        // The section is answered with the track's codec only, so its payload type is the one
        // the track is forwarded with.
        std::erase_if(m.codecs,
                      [&](const sdp::Codec& c) { return !sdp::iequals(c.name, track.codec_name); });
        if (std::none_of(options.codecs.begin(), options.codecs.end(),
                         [&](const std::string& c) { return sdp::iequals(c, track.codec_name); }))
            options.codecs.push_back(track.codec_name);
        plans[i].accept = true;
        sdp::SendStream send; // RFC 5576 ssrc, RFC 8830 msid: the same for a kept track
        send.ssrc = track.ssrc;
        send.cname = std::string(detail::kCname);
        send.stream_id = track.stream;
        send.track_id = track.track_id;
        plans[i].send = send;
        tracks[i] = std::move(track);
    }
    if (!initial && asks_new && !stream.empty() && !publisher)
        return fail(409, "no such stream: nobody publishes it");
    if (adds) {
        auto& subscribers = streams_.find(stream)->second.subscribers;
        if (std::find(subscribers.begin(), subscribers.end(), &peer) == subscribers.end() &&
            subscribers.size() >= config_.max_subscribers)
            return fail(503, "too many subscribers on this stream (--max-subscribers)");
    }
    if (initial && !adds)
        return fail(400, "the offer receives none of the stream's tracks (kind or codec)");
    auto built = sdp::build_answer(offer, options, plans);
    if (!built)
        return fail(400, "cannot answer the offer: " + built.error);

    std::vector<OutTrack> result;
    for (std::size_t i = 0; i < built.answer->media.size() && i < tracks.size(); ++i) {
        if (!tracks[i])
            continue;
        const auto& a = built.answer->media[i];
        const auto* codec = sdp::find_codec_by_name(a, tracks[i]->codec_name);
        if (a.port == 0 || !codec)
            continue;
        OutTrack& out = *tracks[i];
        out.payload_type = codec->payload_type;
        out.extensions = detail::extension_ids(a);
        out.plan = {};
        if (out.extensions.mid) {
            // RFC 8843 §15: every packet names its m-section (the subscriber's mid).
            out.plan.add_extra(out.extensions.mid,
                               {reinterpret_cast<const uint8_t*>(out.mid.data()), out.mid.size()});
        }
        result.push_back(std::move(out));
    }
    if (initial && result.empty())
        return fail(400, "the offer receives none of the stream's tracks (kind or codec)");

    peer.out_tracks = std::move(result);
    peer.answer_version = options.session_version;
    sync_streams(peer);
    answer = std::move(*built.answer);
    Negotiation n;
    n.status = 200;
    n.resource = peer.id;
    return n;
}

void Router::sync_streams(Peer& subscriber) {
    for (auto s = streams_.begin(); s != streams_.end();) {
        auto& subscribers = s->second.subscribers;
        const bool fed = std::any_of(subscriber.out_tracks.begin(), subscriber.out_tracks.end(),
                                     [&](const OutTrack& out) { return out.stream == s->first; });
        const bool listed =
            std::find(subscribers.begin(), subscribers.end(), &subscriber) != subscribers.end();
        if (fed && !listed)
            subscribers.push_back(&subscriber);
        else if (!fed && listed)
            std::erase(subscribers, &subscriber);
        if (!s->second.publisher && subscribers.empty())
            s = streams_.erase(s);
        else
            ++s;
    }
}

void Router::attach(Peer& subscriber, Peer& publisher) {
    // A stream published again feeds the tracks that waited for it, by kind and codec in order.
    std::vector<bool> used(publisher.in_tracks.size(), false);
    for (const auto& out : subscriber.out_tracks)
        if (out.source == &publisher && out.source_track < used.size())
            used[out.source_track] = true;
    for (auto& out : subscriber.out_tracks) {
        if (out.attached || out.stream != publisher.stream)
            continue;
        out.started = false;
        for (std::size_t t = 0; t < publisher.in_tracks.size(); ++t) {
            const auto& track = publisher.in_tracks[t];
            if (used[t] || track.kind != out.kind ||
                !sdp::iequals(track.codec_name, out.codec_name))
                continue;
            used[t] = true;
            out.attached = true;
            out.source = &publisher;
            out.source_track = t;
            out.layer = out.target_layer = track.layers.size() - 1;
            break;
        }
    }
}

std::vector<std::string> Router::mids(std::string_view resource, std::string_view stream) const {
    std::vector<std::string> out;
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end())
        return out;
    for (const auto& t : it->second->out_tracks)
        if (t.stream == stream)
            out.push_back(t.mid);
    return out;
}

std::vector<std::string> Router::detach(std::string_view resource, std::string_view stream) {
    std::vector<std::string> out;
    auto it = peers_.find(std::string(resource));
    if (it == peers_.end() || it->second->role != PeerRole::Subscriber)
        return out;
    for (auto& t : it->second->out_tracks)
        if (t.stream == stream) {
            t.attached = false;
            t.source = nullptr;
            out.push_back(t.mid);
        }
    return out;
}

} // namespace rtc::sfu
