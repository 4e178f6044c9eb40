#pragma once
// The media plane of rtc-sfu, sans-I/O (ARCHITECTURE principle 1): every peer on one UDP port.
// Datagrams are demultiplexed by their first byte (RFC 7983 §7): STUN checks are answered as an
// ICE-lite agent (RFC 8445 §2.5) and bind the peer's 5-tuple, DTLS runs the handshake and keys
// SRTP (RFC 5764), SRTP from a publisher is forwarded to each subscriber of its stream with
// payload type, SSRC, sequence, timestamp and the mid extension rewritten, SRTCP feedback from
// subscribers (PLI, FIR, NACK) is answered or relayed to the publisher.
//
//   Router router(config, now);
//   auto r = router.publish("cam1", offer_sdp, now);      // WHIP: r.answer, r.resource
//   auto s = router.subscribe("cam1", offer_sdp, now);    // WHEP
//   router.renegotiate(s.resource, "cam2", offer2, now);  // a room's receiving PC grows
//   router.on_datagram(bytes, from, now, sink);           // each UDP datagram
//   router.on_timer(now, sink);                           // every ~20 ms
//   router.remove(r.resource);                            // DELETE
//
// All calls come from one thread.
#include "rtp/packet.hpp"
#include "sdp/answer.hpp"
#include "sfu/peer.hpp"
#include "sfu/peer_summary.hpp"
#include "tls/credentials.hpp"
#include "util/ip_address.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rtc::sfu {

struct RouterConfig {
    std::shared_ptr<const tls::Credentials> certificate; // DTLS identity (fingerprint in SDP)
    std::vector<util::Endpoint> candidates;              // host candidates advertised (UDP)
    std::vector<util::Endpoint> tcp_candidates;          // passive ICE-TCP (RFC 6544), if any
    std::size_t max_peers = 1000;
    std::size_t max_streams = 100;
    std::size_t max_subscribers = 500;                // per stream
    std::size_t max_tracks = 128;                     // audio/video sections in one offer
    std::chrono::seconds consent_timeout{30};         // RFC 7675 §5.1
    std::chrono::seconds connect_timeout{30};         // from the answer to DTLS connected
    std::chrono::milliseconds keyframe_interval{500}; // PLIs to one publisher at most this often
    // REMB sent to every publisher (draft-alvestrand-rmcat-remb): the bitrate it may use for
    // all its video, which lets a browser's estimate ramp up to its simulcast layers.
    uint64_t max_publisher_bitrate = 3'000'000;
    // Recording (--record): opens the file of one published track, e.g.
    // "cam1-<resource>-<mid>.webm"; null (or a null sink) records nothing.
    std::function<std::unique_ptr<record::ByteSink>(const std::string& file_name)> open_recording;
};

struct Negotiation {
    int status = 201;     // 201 Created, else an HTTP error status
    std::string error;    // for an error status
    std::string resource; // the peer's id (WHIP/WHEP resource)
    std::string answer;   // SDP
    std::string etag;     // changes with an ICE restart (RFC 9725 §4.3.2)
};

struct RouterStats {
    uint64_t publishers = 0;
    uint64_t subscribers = 0;
    uint64_t streams = 0;
    uint64_t connected = 0; // peers whose DTLS-SRTP is up
    uint64_t rtp_in = 0;    // packets from publishers
    uint64_t rtp_out = 0;   // packets forwarded to subscribers
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    uint64_t rtcp_in = 0;
    uint64_t rtcp_out = 0;
    uint64_t nacks_in = 0;           // sequence numbers asked for by subscribers
    uint64_t retransmits = 0;        // packets sent again from the buffer
    uint64_t nacks_out = 0;          // sequence numbers asked of publishers
    uint64_t keyframe_requests = 0;  // PLIs sent to publishers
    uint64_t checks = 0;             // STUN checks answered
    uint64_t drops_unknown = 0;      // from an address no peer has checked from
    uint64_t drops_malformed = 0;    // bad STUN/RTP/RTCP
    uint64_t drops_auth = 0;         // STUN integrity or SRTP authentication failed
    uint64_t drops_not_ready = 0;    // media before DTLS-SRTP was up
    uint64_t dtls_failures = 0;      // handshake failed or fingerprint mismatch
    uint64_t timeouts = 0;           // peers dropped for silence
    uint64_t garbage_drops = 0;      // peers dropped for a run of undecodable datagrams
    uint64_t recordings = 0;         // track files opened (--record)
    uint64_t recording_failures = 0; // files that could not be opened
};

class Router {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    Router(RouterConfig config, TimePoint now);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // WHIP: the offer's audio/video sections are received (one track per section).
    Negotiation publish(std::string_view stream, std::string_view offer, TimePoint now);
    // WHEP: the offer's sections are sent the stream's tracks, by kind in order.
    Negotiation subscribe(std::string_view stream, std::string_view offer, TimePoint now);
    // A subscriber's subsequent offer on the same PeerConnection (RFC 8829 §5.2.2, §5.3.2), with
    // the same ICE ufrag and DTLS fingerprint (else 400). Sections match by mid: known mids keep
    // their track (SSRC, sequence, payload type); rejected, inactive or vanished ones detach;
    // new receiving mids get `stream`'s tracks by kind in order (none when `stream` is empty).
    // 200; 404 no such subscriber; 400 bad offer; 409 new sections but `stream` has no publisher.
    Negotiation renegotiate(std::string_view resource, std::string_view stream,
                            std::string_view offer, TimePoint now);
    // The mids of subscriber `resource` that `stream` feeds (empty if none or no such peer).
    std::vector<std::string> mids(std::string_view resource, std::string_view stream) const;
    // Stops forwarding `stream` to subscriber `resource` at once (its page renegotiates the
    // sections away next); returns their mids.
    std::vector<std::string> detach(std::string_view resource, std::string_view stream);
    // DELETE: false if no such resource.
    bool remove(std::string_view resource);
    bool has(std::string_view resource) const { return peers_.count(std::string(resource)) != 0; }
    // ICE restart (RFC 9725 §4.3.2, PATCH with If-Match "*"; RFC 8445 §9): the peer gets new local
    // credentials; its address, DTLS and SRTP stay until checks with the new ones choose another.
    // `sdpfrag` (RFC 8840) must carry the client's new a=ice-ufrag and a=ice-pwd. Status 200 with
    // `answer` an sdpfrag of the new credentials and `etag` the new ETag; else 400 or 404.
    Negotiation restart_ice(std::string_view resource, std::string_view sdpfrag);
    // The resource's ETag, "" if there is no such resource (RFC 9725 §4.3.1: a trickle PATCH
    // whose If-Match differs gets 412).
    std::string etag(std::string_view resource) const;
    // Simulcast (RFC 8853): forward this rid of every video track to the subscriber from the
    // next keyframe on; an empty rid (or "auto") lets its feedback choose again. False if there
    // is no such subscriber or no track has that rid.
    bool select_layer(std::string_view resource, std::string_view rid);

    void on_datagram(std::span<const uint8_t> datagram, const util::Endpoint& from, TimePoint now,
                     DatagramSink& sink);
    void on_timer(TimePoint now, DatagramSink& sink);

    RouterStats stats() const;
    // Every peer as an operator sees it (router_stats.cpp).
    std::vector<PeerSummary> summaries(TimePoint now) const;
    // The peers removed since the last call, with why (for the log).
    std::vector<std::pair<std::string, std::string>> take_removed();

private:
    struct Stream {
        Peer* publisher = nullptr;
        std::vector<Peer*> subscribers; // every subscriber with a track of this stream
    };
    Negotiation fail(int status, std::string error);
    std::string new_resource_id();
    void remove_peer(const std::string& id, std::string why);
    std::unique_ptr<Peer> new_peer(std::string_view stream, PeerRole role,
                                   const std::string& remote_fingerprint, TimePoint now);
    sdp::AnswerOptions answer_options(const Peer& peer) const;
    // Registers a negotiated peer (by id and ufrag) with its DTLS session; the caller links it
    // to its stream.
    Negotiation admit(std::unique_ptr<Peer> peer, const sdp::SessionDescription& answer);
    void attach(Peer& subscriber, Peer& publisher);
    // router_subscribe.cpp: answers a subscriber's (first or subsequent) offer; on success the
    // peer's tracks and stream memberships are replaced, else nothing changes.
    Negotiation answer_subscriber(Peer& peer, sdp::SessionDescription offer,
                                  std::string_view stream, bool initial,
                                  sdp::SessionDescription& answer);
    // Puts the subscriber in the subscriber list of exactly the streams its tracks come from.
    void sync_streams(Peer& subscriber);
    void on_connected(Peer& peer, TimePoint now, DatagramSink& sink);
    void pump_dtls(Peer& peer, TimePoint now, DatagramSink& sink);
    // A datagram from the peer failed; too many in a row remove it (the caller must not touch
    // `peer` after a call).
    void count_garbage(Peer& peer);

    // router_media.cpp: RTP from publishers to subscribers, simulcast layers, recording.
    void route_rtp(Peer& publisher, std::span<uint8_t> packet, TimePoint now, DatagramSink& sink);
    void forward(Peer& subscriber, OutTrack& out, const rtp::RtpView& packet, DatagramSink& sink);
    void record(Peer& publisher, std::size_t track, std::size_t layer, const rtp::RtpView& packet,
                TimePoint now, DatagramSink& sink);
    void subscriber_layers(Stream& stream, TimePoint now, bool report_due, DatagramSink& sink);

    // router_rtcp.cpp: feedback both ways (RFC 3550 §6, RFC 4585).
    void on_publisher_rtcp(Peer& publisher, std::span<const uint8_t> rtcp, TimePoint now);
    void on_subscriber_rtcp(Peer& subscriber, std::span<const uint8_t> rtcp, TimePoint now,
                            DatagramSink& sink);
    void request_keyframe(Peer& publisher, std::size_t track, std::size_t layer, TimePoint now,
                          DatagramSink& sink);
    void send_rtcp(Peer& peer, std::span<uint8_t> buffer, std::size_t length, DatagramSink& sink);
    void publisher_feedback(Peer& publisher, TimePoint now, bool report_due, DatagramSink& sink);
    void subscriber_reports(Peer& subscriber, TimePoint now, DatagramSink& sink);

    RouterConfig config_;
    std::string fingerprint_;
    std::unordered_map<std::string, std::unique_ptr<Peer>> peers_; // by resource id
    std::unordered_map<std::string, Peer*> by_ufrag_;
    std::unordered_map<util::Endpoint, Peer*> by_address_;
    std::map<std::string, Stream, std::less<>> streams_;
    std::vector<std::pair<std::string, std::string>> removed_;
    RouterStats stats_;
    std::shared_ptr<const tls::Context> dtls_context_;        // we are the DTLS server
    std::shared_ptr<const tls::Context> dtls_client_context_; // a=setup:passive offers
    std::vector<uint8_t> scratch_;                            // one packet being unprotected
    std::vector<uint8_t> out_; // one packet being rewritten and protected
    TimePoint next_report_;
};

} // namespace rtc::sfu
