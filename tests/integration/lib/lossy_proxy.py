"""A UDP proxy that drops a share of the RTP packets passing one way, for loss tests.

The test points a WebRTC client at the proxy (by rewriting the candidate in the SDP answer)
instead of the server: the client's datagrams go to the server from the proxy's own socket,
the server's come back through it. Every `drop_every`-th RTP packet (RFC 7983: first byte
128-191, not RTCP) larger than `min_size` bytes in the chosen direction is dropped and counted.
"""

import selectors
import socket
import threading


class LossyProxy:
    def __init__(self, server, drop_every=10, min_size=0, direction="to_client"):
        self.server = server  # (host, port)
        self.drop_every = drop_every
        self.min_size = min_size
        self.direction = direction
        self.dropped = 0
        self.passed = 0
        self.listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listen.bind(("127.0.0.1", 0))
        self.port = self.listen.getsockname()[1]
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.upstream.bind(("127.0.0.1", 0))
        self.client = None
        self._count = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _lose(self, data, direction):
        if direction != self.direction or len(data) < self.min_size:
            return False
        if not (128 <= data[0] <= 191) or 192 <= data[1] <= 223:
            return False  # not RTP
        self._count += 1
        if self._count % self.drop_every == 0:
            self.dropped += 1
            return True
        return False

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.listen, selectors.EVENT_READ, "from_client")
        sel.register(self.upstream, selectors.EVENT_READ, "from_server")
        while not self._stop:
            for key, _ in sel.select(timeout=0.2):
                data, source = key.fileobj.recvfrom(2048)
                if key.data == "from_client":
                    self.client = source
                    if not self._lose(data, "to_server"):
                        self.upstream.sendto(data, self.server)
                elif self.client is not None:
                    if not self._lose(data, "to_client"):
                        self.passed += 1
                        self.listen.sendto(data, self.client)
        sel.close()

    def rewrite_answer(self, sdp):
        """The answer with the server's media port replaced by the proxy's."""
        host, port = self.server
        return sdp.replace("%s %d typ host" % (host, port), "127.0.0.1 %d typ host" % self.port)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.listen.close()
        self.upstream.close()
