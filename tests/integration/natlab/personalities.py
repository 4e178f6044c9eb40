"""The router's personalities: an nftables ruleset each, and the verdict it must produce.

Vocabulary (RFC 4787 §4.1 mapping, §5 filtering; RFC 5780 §4.3, §4.4 tests):
"endpoint-independent", "address-dependent", "address-and-port-dependent"; "none" for the
mapping of a router without NAT.
RFC 3489 §5 labels for the classic view: "full cone", "restricted cone", "port-restricted cone",
"symmetric", "udp blocked", "open internet".

How Linux gives each behaviour (kernel NAT keeps the client's source port whenever the
translated 5-tuple is still unique, so plain SNAT is endpoint-independent for one client):
- mapping: port-preserving SNAT is endpoint-independent; a different public address per server
  address is address-dependent; a fresh port per destination (fully-random, or a port block per
  destination address and port) is address-and-port-dependent.
- filtering: conntrack alone admits only replies from the exact server address and port
  (address-and-port-dependent); a DNAT of every inbound UDP port to the client is
  endpoint-independent; a DNAT limited to (server address, mapped port) pairs the client has
  sent to, remembered in a dynamic set, is address-dependent.
- hairpinning: a DNAT of the public address from the LAN side too, plus an SNAT of the
  hairpinned packet to the public address, so the client sees the sender's mapped address.
"""

import re
from dataclasses import dataclass

from topology import (CLIENT2_IP, CLIENT_IP, LAN_IF, LAN_NET, ROUTER2_WAN_IP, ROUTER_WAN_IP,
                      SERVER_ALT_IP, SERVER_IP, WAN_IF)

EIM = "endpoint-independent"
ADM = "address-dependent"
APDM = "address-and-port-dependent"
NONE = "none"
# The same words describe filtering.
EIF, ADF, APDF = EIM, ADM, APDM

# UDP ports of the lab's STUN servers on both server addresses: rtc-stun on 3478 (alternate
# port 3479), coturn on 3480 (alternate port 3481).
SERVER_PORTS = (3478, 3479, 3480, 3481)

# Exit codes of `rtc-probe nat` (its man page).
EXIT_NO_NAT = 0
EXIT_EIM = 10
EXIT_ADM = 11
EXIT_APDM = 12
EXIT_UDP_BLOCKED = 20
EXIT_UNKNOWN = 30
EXIT_FOR_MAPPING = {NONE: EXIT_NO_NAT, EIM: EXIT_EIM, ADM: EXIT_ADM, APDM: EXIT_APDM}


@dataclass(frozen=True)
class Expected:
    mapping: str  # None when UDP is blocked
    filtering: str
    rfc3489: str
    hairpin: bool = False  # None: not asserted
    lifetime: float = None  # seconds, when the personality sets one

    @property
    def exit_code(self):
        if self.mapping is None:
            return EXIT_UDP_BLOCKED
        return EXIT_FOR_MAPPING[self.mapping]


@dataclass(frozen=True)
class Personality:
    name: str
    summary: str
    ruleset: str
    expected: Expected
    wan_addresses: tuple = ()
    sysctls: tuple = ()
    inet_routes: tuple = ()
    notes: str = ""


def _ruleset(snat="", dnat="", forward_first="", forward_last="", sets="", chains=""):
    """One table for everything; sections are nft statements, one per line."""
    return """flush ruleset
table ip natlab {{
{sets}
    chain input {{
        type filter hook input priority filter; policy accept;
        # The router runs no UDP service. Unsolicited datagrams die silently: an ICMP error
        # would leave a conntrack entry that moves later mappings.
        meta l4proto udp ct state new drop
    }}
    chain forward {{
        type filter hook forward priority filter; policy drop;
{forward_first}
        ct state established,related accept
        iifname "{lan}" oifname "{wan}" accept
        ct status dnat accept
{forward_last}
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
{snat}
    }}
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
{dnat}
    }}
{chains}
}}
""".format(sets=sets, forward_first=forward_first, forward_last=forward_last, snat=snat,
           dnat=dnat, chains=chains, lan=LAN_IF, wan=WAN_IF)


def _lines(*statements):
    return "\n".join("        " + s for s in statements)


MASQUERADE = _lines('oifname "%s" masquerade' % WAN_IF)
SNAT_PRESERVE = _lines('oifname "%s" snat to %s' % (WAN_IF, ROUTER_WAN_IP))
# Every inbound UDP datagram to the public address goes to the client, same port (EIF).
DNAT_ALL = 'ip daddr %s udp dport 1024-65535 dnat to %s' % (ROUTER_WAN_IP, CLIENT_IP)


def _port_blocks():
    """A block of 1000 public ports for each (server address, port): 20000-20999, 21000-..."""
    entries = []
    base = 20000
    for address in (SERVER_IP, SERVER_ALT_IP):
        for port in SERVER_PORTS:
            entries.append("%s . %d : %s . %d-%d" % (address, port, ROUTER_WAN_IP, base,
                                                    base + 999))
            base += 1000
    return ", ".join(entries)


def _address_restricted_ruleset():
    sets = """    set sent_to {
        type ipv4_addr . inet_service; flags dynamic, timeout; timeout 30s;
    }"""
    remember = """    chain remember {
        # After SNAT (srcnat + 10): the datagram already carries its public port.
        type filter hook postrouting priority srcnat + 10; policy accept;
        oifname "%s" meta l4proto udp update @sent_to { ip daddr . udp sport }
    }""" % WAN_IF
    return _ruleset(
        sets=sets, snat=SNAT_PRESERVE, chains=remember,
        dnat=_lines('iifname "%s" ip daddr %s ip saddr . udp dport @sent_to dnat to %s'
                    % (WAN_IF, ROUTER_WAN_IP, CLIENT_IP)))


PERSONALITIES = [
    Personality(
        name="port-restricted",
        summary="plain masquerade",
        ruleset=_ruleset(snat=MASQUERADE),
        expected=Expected(EIM, APDF, "port-restricted cone"),
        notes="Linux keeps the source port (EIM); conntrack admits only exact replies (APDF).",
    ),
    Personality(
        name="symmetric-random",
        summary="masquerade fully-random",
        ruleset=_ruleset(snat=_lines('oifname "%s" masquerade fully-random' % WAN_IF)),
        expected=Expected(APDM, APDF, "symmetric"),
        notes="A random public port for every new 5-tuple.",
    ),
    Personality(
        name="symmetric-blocks",
        summary="symmetric, deterministic ports: snat to a port block per destination",
        ruleset=_ruleset(snat=_lines(
            'oifname "%s" snat ip to ip daddr . udp dport map { %s }' % (WAN_IF, _port_blocks()),
            'oifname "%s" masquerade fully-random' % WAN_IF)),
        expected=Expected(APDM, APDF, "symmetric"),
        notes="Each (server address, port) has its own block of 1000 public ports, so the "
              "mapped port always changes with the destination and tells which one it was; "
              "a block, not one port, so two sockets to one destination do not collide.",
    ),
    Personality(
        name="address-dependent",
        summary="a public address per server address",
        ruleset=_ruleset(snat=_lines(
            'oifname "%s" ip daddr %s snat to 198.51.100.3' % (WAN_IF, SERVER_ALT_IP),
            'oifname "%s" snat to %s' % (WAN_IF, ROUTER_WAN_IP))),
        wan_addresses=("198.51.100.3",),
        expected=Expected(ADM, APDF, "symmetric"),
        notes="Port-preserving SNAT to 198.51.100.3 towards 203.0.113.11 and to 198.51.100.2 "
              "elsewhere: the mapping changes with the server address only (a port-only "
              "comparison misses it).",
    ),
    Personality(
        name="full-cone",
        summary="snat + dnat of every port back to the client",
        ruleset=_ruleset(snat=SNAT_PRESERVE,
                         dnat=_lines('iifname "%s" %s' % (WAN_IF, DNAT_ALL))),
        expected=Expected(EIM, EIF, "full cone"),
        notes="1:1 NAT for UDP: port-preserving SNAT out, DNAT of any port in.",
    ),
    Personality(
        name="full-cone-hairpin",
        summary="full cone that hairpins",
        ruleset=_ruleset(
            snat=_lines(
                'oifname "%s" snat to %s' % (WAN_IF, ROUTER_WAN_IP),
                # Hairpinned datagrams leave with the sender's public address (RFC 4787 §6).
                'oifname "%s" ip saddr %s ct status dnat snat to %s'
                % (LAN_IF, LAN_NET, ROUTER_WAN_IP)),
            dnat=_lines(DNAT_ALL)),
        expected=Expected(EIM, EIF, "full cone", hairpin=True),
        notes="As full-cone, and the DNAT also applies to datagrams from the LAN side.",
    ),
    Personality(
        name="address-restricted",
        summary="EIM + filtering by the server address the client sent to",
        ruleset=_address_restricted_ruleset(),
        expected=Expected(EIM, ADF, "restricted cone"),
        notes="After SNAT, every outgoing datagram records (server address, public port) in a "
              "dynamic set; an inbound datagram from any port of a recorded address to that "
              "public port is DNATed to the client.",
    ),
    Personality(
        name="udp-blocked",
        summary="drop udp",
        ruleset=_ruleset(snat=MASQUERADE, forward_first=_lines("meta l4proto udp drop")),
        expected=Expected(None, None, "udp blocked", hairpin=None),
        notes="TCP would still pass; every UDP datagram is dropped in forward.",
    ),
    Personality(
        name="lifetime-5s",
        summary="masquerade, UDP conntrack timeouts 5 s",
        ruleset=_ruleset(snat=MASQUERADE),
        sysctls=(("net.netfilter.nf_conntrack_udp_timeout", "5"),
                 ("net.netfilter.nf_conntrack_udp_timeout_stream", "5")),
        expected=Expected(EIM, APDF, "port-restricted cone", lifetime=5.0),
        notes="nf_conntrack_udp_timeout(_stream) are per network namespace.",
    ),
    Personality(
        name="no-nat",
        summary="a plain router, no NAT, no firewall",
        ruleset=_ruleset(forward_last=_lines('iifname "%s" oifname "%s" accept'
                                             % (WAN_IF, LAN_IF))),
        inet_routes=(LAN_NET,),
        expected=Expected(NONE, EIF, "open internet", hairpin=None),
        notes="Control: the client's own address is its mapped address.",
    ),
]


BY_NAME = {p.name: p for p in PERSONALITIES}


# The second router's addresses in place of the first's (two-sided lab, topology.Lab(sides=2)).
_SIDE2_ADDRESSES = ((CLIENT_IP, CLIENT2_IP), (ROUTER_WAN_IP, ROUTER2_WAN_IP),
                    ("198.51.100.3", "198.18.0.3"))


def _to_side2(text):
    # Whole addresses only: "192.0.2.2" must not rewrite "192.0.2.25".
    for old, new in _SIDE2_ADDRESSES:
        text = re.sub(r"(?<![\d.])%s(?![\d])" % re.escape(old), new, text)
    return text


def router_args(personality, side=0):
    """set_router's keyword arguments for `personality` on side 0 or 1 of the lab."""
    if side == 0:
        return dict(ruleset=personality.ruleset, wan_addresses=personality.wan_addresses,
                    sysctls=personality.sysctls, inet_routes=personality.inet_routes, side=0)
    return dict(ruleset=_to_side2(personality.ruleset),
                wan_addresses=tuple(_to_side2(a) for a in personality.wan_addresses),
                sysctls=personality.sysctls,
                inet_routes=tuple(_to_side2(r) for r in personality.inet_routes), side=1)
