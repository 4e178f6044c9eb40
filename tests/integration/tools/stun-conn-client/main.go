// Command stun-conn-client sends STUN Binding requests through pion/stun's Client over a UDP,
// TCP or TLS connection (RFC 8489 §6.2) and prints one JSON line per answer, so the integration
// tests can check a third-party client against rtc-stun on every transport.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/pion/stun"
)

type answer struct {
	Local    string `json:"local"`
	Mapped   string `json:"mapped,omitempty"`
	Origin   string `json:"origin,omitempty"`
	Other    string `json:"other,omitempty"`
	Software string `json:"software,omitempty"`
	Error    int    `json:"error,omitempty"`
	Class    string `json:"class"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "stun-conn-client: "+format+"\n", args...)
	os.Exit(1)
}

func dial(network, addr string, timeout time.Duration) net.Conn {
	switch network {
	case "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6":
		conn, err := net.DialTimeout(network, addr, timeout)
		if err != nil {
			fail("dial %s %s: %v", network, addr, err)
		}
		return conn
	case "tls":
		d := &net.Dialer{Timeout: timeout}
		// The server under test uses a self-signed certificate (--cert auto).
		conn, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			fail("dial tls %s: %v", addr, err)
		}
		return conn
	}
	fail("unknown -net %q (udp, udp4, udp6, tcp, tcp4, tcp6, tls)", network)
	return nil
}

func main() {
	network := flag.String("net", "udp", "udp, udp4, udp6, tcp, tcp4, tcp6 or tls")
	addr := flag.String("addr", "127.0.0.1:3478", "server host:port")
	count := flag.Int("count", 1, "Binding requests to send over the one connection")
	timeout := flag.Duration("timeout", 5*time.Second, "overall time limit")
	flag.Parse()

	conn := dial(*network, *addr, *timeout)
	options := []stun.ClientOption{}
	if *network == "tcp" || *network == "tcp4" || *network == "tcp6" || *network == "tls" {
		// Streams retransmit by themselves (RFC 8489 §6.2.2).
		options = append(options, stun.WithNoRetransmit)
	}
	client, err := stun.NewClient(conn, options...)
	if err != nil {
		fail("client: %v", err)
	}
	deadline := time.AfterFunc(*timeout, func() { fail("no answer within %v", *timeout) })
	out := json.NewEncoder(os.Stdout)
	for i := 0; i < *count; i++ {
		request := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
		doErr := client.Do(request, func(e stun.Event) {
			if e.Error != nil {
				fail("transaction: %v", e.Error)
			}
			a := answer{Local: conn.LocalAddr().String(), Class: e.Message.Type.Class.String()}
			var xorAddr stun.XORMappedAddress
			if xorAddr.GetFrom(e.Message) == nil {
				a.Mapped = xorAddr.String()
			}
			var origin stun.ResponseOrigin
			if origin.GetFrom(e.Message) == nil {
				a.Origin = origin.String()
			}
			var other stun.OtherAddress
			if other.GetFrom(e.Message) == nil {
				a.Other = other.String()
			}
			var software stun.Software
			if software.GetFrom(e.Message) == nil {
				a.Software = software.String()
			}
			var code stun.ErrorCodeAttribute
			if code.GetFrom(e.Message) == nil {
				a.Error = int(code.Code)
			}
			if encErr := out.Encode(a); encErr != nil {
				fail("write: %v", encErr)
			}
		})
		if doErr != nil {
			fail("do: %v", doErr)
		}
	}
	deadline.Stop()
	if err := client.Close(); err != nil {
		fail("close: %v", err)
	}
}
