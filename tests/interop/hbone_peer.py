#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent HBONE peer (Python ssl + h2) for the interop test.

Written from ../shared/reference/hbone-facts.md, not from infermesh's code:
TLS 1.3, ALPN h2, no SNI, SPIFFE identities checked by hand; plain RFC 7540
CONNECT with :method and :authority only.

  hbone_peer.py client DIR PORT   runs the cases below against an HBONE
                                  server on 127.0.0.1:PORT; one line per case
  hbone_peer.py server DIR        prints "port N", serves until stdin closes
  hbone_peer.py call DIR NAME HOST:PORT AUTHORITY PEER_ID ["METHOD PATH"]
                                  one CONNECT to AUTHORITY through the HBONE
                                  server at HOST:PORT (a running agent),
                                  presenting DIR/NAME.pem and requiring
                                  PEER_ID; on 200 an HTTP/1.1 request goes
                                  through it (GET /peer unless given; a
                                  body "{}" unless GET); prints "status N",
                                  then what came back
  hbone_peer.py serve-at DIR HOST prints "port 15008", serves HBONE on
                                  HOST:15008 (a pod's own address, for a
                                  running agent to call) until stdin
                                  closes: CONNECTs to HOST:PORT are relayed
                                  to that port; each CONNECT is printed
                                  with the client's SPIFFE ID

Both trust DIR/ca.pem; the client presents DIR/client.pem (the 401 case
DIR/denied.pem) and requires the server's SPIFFE ID; the server presents
DIR/server.pem.
"""
import select
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings

TD = 'spiffe://cluster.local'
SERVER_ID = TD + '/ns/ml/sa/model-server'
DENIED_ID = TD + '/ns/ext/sa/intruder'
ECHO_PORT = 7
GARBAGE_PORT = 666  # the server answers 200, then breaks HTTP/2
DEADLINE = 10.0  # seconds any case may take

MiB = 1 << 20


def spiffe_id(sock):
    """The first URI SAN of the peer's certificate of the spiffe:// form."""
    for kind, value in sock.getpeercert().get('subjectAltName', ()):
        if kind == 'URI' and value.startswith('spiffe://'):
            return value
    return None


def tls_context(d, name, server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server
                         else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(f'{d}/{name}.pem', f'{d}/{name}.key')
    ctx.load_verify_locations(f'{d}/ca.pem')
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = False
    ctx.set_alpn_protocols(['h2'])
    return ctx


# ---------------------------------------------------------------- client

class Client:
    """One HBONE connection; every event is kept for the case to judge."""

    def __init__(self, d, port, name='client', settings=True,
                 host='127.0.0.1', server_id=SERVER_ID):
        raw = socket.create_connection((host, port), timeout=DEADLINE)
        self.sock = tls_context(d, name, False).wrap_socket(
            raw, server_hostname=None)  # no SNI, as ztunnel
        if spiffe_id(self.sock) != server_id:
            raise RuntimeError('server identity %r' % spiffe_id(self.sock))
        cfg = h2.config.H2Configuration(client_side=True,
                                        validate_outbound_headers=False,
                                        header_encoding='utf-8')
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings({
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 4 * MiB,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: MiB,
                h2.settings.SettingCodes.ENABLE_PUSH: 0})
            self.conn.increment_flow_control_window(16 * MiB - 65535)
        self.events = []
        self.closed = False
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, until, deadline=DEADLINE):
        """Reads events until until() or the deadline; False on timeout."""
        end = time.monotonic() + deadline
        while not until():
            if self.closed or time.monotonic() > end:
                return until()
            try:
                data = self.sock.recv(65536)
            except (ssl.SSLError, OSError):
                data = b''
            if not data:
                self.closed = True
                continue
            for ev in self.conn.receive_data(data):
                self.events.append(ev)
                if isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(
                        ev.flow_controlled_length, ev.stream_id)
                if isinstance(ev, h2.events.ConnectionTerminated):
                    self.closed = True
            self.flush()  # PING ACKs and WINDOW_UPDATEs go out at once
        return True

    def connect(self, authority, extra=()):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(':method', 'CONNECT'),
                                     (':authority', authority)] + list(extra))
        self.flush()
        return sid

    def of(self, sid, kind):
        return [e for e in self.events if isinstance(e, kind)
                and getattr(e, 'stream_id', None) == sid]

    def status(self, sid):
        for e in self.of(sid, h2.events.ResponseReceived):
            return int(dict(e.headers)[':status'])
        return None

    def ended(self, sid):
        return bool(self.of(sid, h2.events.StreamEnded) or
                    self.of(sid, h2.events.StreamReset))

    def body(self, sid):
        return b''.join(e.data for e in self.of(sid, h2.events.DataReceived))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def case_echo(d, port):
    """200, 300 KiB both ways, our END_STREAM answered by theirs."""
    c = Client(d, port)
    sid = c.connect('127.0.0.1:%d' % ECHO_PORT)
    c.pump(lambda: c.status(sid) is not None)
    if c.status(sid) != 200:
        return 'status %r' % c.status(sid)
    payload = bytes((i * 7 + 3) & 0xff for i in range(300 * 1024))
    sent = 0
    while sent < len(payload):  # within the stream window the server gave
        n = min(16384, len(payload) - sent,
                c.conn.local_flow_control_window(sid))
        if n <= 0:
            c.pump(lambda: c.conn.local_flow_control_window(sid) > 0)
            continue
        c.conn.send_data(sid, payload[sent:sent + n])
        sent += n
        c.flush()
    c.conn.end_stream(sid)
    c.flush()
    c.pump(lambda: bool(c.of(sid, h2.events.StreamEnded)))
    got = c.body(sid)
    c.close()
    if got != payload:
        return 'echo %d of %d bytes, equal=%s' % (len(got), len(payload),
                                                  got == payload[:len(got)])
    return None


def case_status(d, port, authority, want, name='client'):
    """A bare HEADERS with END_STREAM and no body, the connection intact."""
    c = Client(d, port, name)
    sid = c.connect(authority)
    c.pump(lambda: c.ended(sid))
    st, ended = c.status(sid), bool(c.of(sid, h2.events.StreamEnded))
    body = c.body(sid)
    # the connection still takes a stream afterwards
    sid2 = c.connect('127.0.0.1:%d' % ECHO_PORT)
    c.pump(lambda: c.status(sid2) is not None)
    ok2 = c.status(sid2)
    c.close()
    if st != want or not ended or body:
        return 'status %r ended %s body %r' % (st, ended, body)
    if ok2 != 200 and name == 'client':
        return 'next stream got %r' % ok2
    return None


def case_not_connect(d, port):
    """A GET (with :scheme and :path) is no HBONE request: 400."""
    c = Client(d, port)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(':method', 'GET'), (':scheme', 'https'),
                              (':path', '/'), (':authority', '127.0.0.1:7')],
                        end_stream=True)
    c.flush()
    c.pump(lambda: c.ended(sid))
    st = c.status(sid)
    c.close()
    return None if st == 400 else 'status %r' % st


def case_reset(d, port, authority, extra=()):
    """What HTTP/2 itself refuses (CONNECT with :scheme/:path, characters no
    :authority may hold): RST_STREAM(PROTOCOL_ERROR), no status."""
    c = Client(d, port)
    sid = c.connect(authority, extra)
    c.pump(lambda: c.ended(sid))
    resets = c.of(sid, h2.events.StreamReset)
    st = c.status(sid)
    c.close()
    if st is not None or not resets or resets[0].error_code != 1:
        return 'status %r resets %r' % (st, resets)
    return None


def case_oversize_headers(d, port):
    """A header list over the server's 65536: the connection ends."""
    c = Client(d, port)
    c.connect('127.0.0.1:7', [('x-big', 'a' * 70000)])
    c.pump(lambda: c.closed)
    c.close()
    return None if c.closed else 'connection still open'


def case_too_many_streams(d, port):
    """201 CONNECTs before the server's SETTINGS can limit us: one over
    MAX_CONCURRENT_STREAMS (200) is refused, the other 200 get 200."""
    c = Client(d, port)
    sids = [c.connect('127.0.0.1:%d' % ECHO_PORT) for _ in range(201)]
    c.pump(lambda: all(c.status(s) is not None or c.ended(s) for s in sids))
    ok = sum(c.status(s) == 200 for s in sids)
    refused = sum(e.error_code == 7 for s in sids
                  for e in c.of(s, h2.events.StreamReset))
    c.close()
    return None if (ok, refused) == (200, 1) else 'ok %d refused %d' % (ok, refused)


def case_ping(d, port):
    """The server ACKs our PING promptly."""
    c = Client(d, port)
    c.conn.ping(b'infermsh')
    c.flush()
    c.pump(lambda: any(isinstance(e, h2.events.PingAckReceived)
                       for e in c.events))
    acks = [e for e in c.events if isinstance(e, h2.events.PingAckReceived)]
    c.close()
    return None if acks and acks[0].ping_data == b'infermsh' else 'no ACK'


def case_garbage(d, port):
    """Bytes that are no HTTP/2 after the handshake: the server hangs up."""
    raw = socket.create_connection(('127.0.0.1', port), timeout=DEADLINE)
    s = tls_context(d, 'client', False).wrap_socket(raw, server_hostname=None)
    s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + bytes(range(256)))
    end, data = time.monotonic() + DEADLINE, b'x'
    while data and time.monotonic() < end:
        try:
            data = s.recv(65536)
        except (ssl.SSLError, OSError):
            data = b''
    s.close()
    return None if not data else 'still open'


def run_client(d, port):
    cases = [
        ('echo_200', lambda: case_echo(d, port)),
        ('bad_authority_ip_400', lambda: case_status(d, port, '10.255.0.1:7', 400)),
        ('authority_without_port_400', lambda: case_status(d, port, '10.1.2.3', 400)),
        ('authority_bad_port_400', lambda: case_status(d, port, '127.0.0.1:70000', 400)),
        ('authority_bad_chars_reset', lambda: case_reset(d, port, 'not an authority')),
        ('no_upstream_503', lambda: case_status(d, port, '127.0.0.1:9', 503)),
        ('denied_identity_401', lambda: case_status(d, port, '127.0.0.1:7', 401, 'denied')),
        ('get_not_connect_400', lambda: case_not_connect(d, port)),
        ('connect_with_path_reset', lambda: case_reset(
            d, port, '127.0.0.1:7', [(':scheme', 'https'), (':path', '/')])),
        ('too_many_streams', lambda: case_too_many_streams(d, port)),
        ('ping_acked', lambda: case_ping(d, port)),
        ('oversize_headers', lambda: case_oversize_headers(d, port)),
        ('garbage', lambda: case_garbage(d, port)),
    ]
    fails = 0
    for name, fn in cases:
        try:
            err = fn()
        except Exception as e:  # a case that blew up is a failed case
            err = '%s: %s' % (type(e).__name__, e)
        print('%s %s%s' % ('ok' if err is None else 'FAIL', name,
                           '' if err is None else ': ' + err), flush=True)
        fails += err is not None
    return 1 if fails else 0


def http1_request(authority, request):
    """REQUEST ("METHOD PATH") as HTTP/1.1 bytes; one that is not a GET
    carries a small JSON body, as an inference call would."""
    method, path = request.split(' ', 1)
    body = b'' if method == 'GET' else b'{}'
    head = '%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n' % (
        method, path, authority)
    if body:
        head += 'Content-Length: %d\r\n' % len(body)
    return head.encode() + b'\r\n' + body


def run_call(d, name, hostport, authority, peer_id, request='GET /peer'):
    """One stream against a real agent: the answer's status and, on 200,
    the workload's (or the agent's HTTP filter's) reply to REQUEST sent
    through the tunnel."""
    host, _, port = hostport.rpartition(':')
    c = Client(d, int(port), name, host=host, server_id=peer_id)
    sid = c.connect(authority)
    # an agent may answer 503 only when its own connect to the workload
    # times out (10 s by default): wait longer than that
    c.sock.settimeout(3 * DEADLINE)
    c.pump(lambda: c.status(sid) is not None or c.ended(sid), 3 * DEADLINE)
    st = c.status(sid)
    print('status %s' % st, flush=True)
    if st == 200:
        c.conn.send_data(sid, http1_request(authority, request))
        c.conn.end_stream(sid)
        c.flush()
        c.pump(lambda: c.ended(sid))
        sys.stdout.write(c.body(sid).decode('utf-8', 'replace'))
    c.close()
    return 0 if st is not None else 1


# ---------------------------------------------------------------- server

class ServerConn:
    """One accepted HBONE connection: CONNECT to 127.0.0.1:7 echoes, another
    IP is 400, the denied identity 401, port 666 gets 200 and then bytes
    that break HTTP/2, any other port 503."""

    def __init__(self, sock):
        self.sock = sock
        self.peer = spiffe_id(sock)
        cfg = h2.config.H2Configuration(client_side=False,
                                        validate_inbound_headers=False,
                                        header_encoding='utf-8')
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.local_settings = h2.settings.Settings(
            client=False, initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 4 * MiB,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: MiB,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 200})
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(16 * MiB - 65535)
        self.pending = {}  # stream -> bytes to echo
        self.ended = set()  # streams whose client half-closed

    def answer(self, ev):
        h = dict(ev.headers)
        auth = h.get(':authority', '')
        host, _, port = auth.rpartition(':')
        if h.get(':method') != 'CONNECT' or ':path' in h or not port.isdigit():
            status = 400
        elif host != '127.0.0.1':
            status = 400
        elif self.peer == DENIED_ID:
            status = 401
        elif int(port) not in (ECHO_PORT, GARBAGE_PORT):
            status = 503
        else:
            status = 200
        self.conn.send_headers(ev.stream_id, [(':status', str(status))],
                               end_stream=status != 200)
        if status != 200:
            self.conn.reset_stream(ev.stream_id, 0)  # NO_ERROR, as h2 does
        elif int(port) == GARBAGE_PORT:
            # a DATA frame header announcing 16 MiB - 1, over any
            # MAX_FRAME_SIZE, then junk
            self.sock.sendall(self.conn.data_to_send() +
                              b'\xff\xff\xff\x00\x00\x00\x00\x00\x01' +
                              bytes(range(256)))
        else:
            self.pending[ev.stream_id] = b''

    def echo(self):
        for sid in list(self.pending):
            data = self.pending[sid]
            while data:
                n = min(len(data), self.conn.local_flow_control_window(sid),
                        self.conn.max_outbound_frame_size)
                if n <= 0:
                    break
                self.conn.send_data(sid, data[:n])
                data = data[n:]
            self.pending[sid] = data
            if not data and sid in self.ended:
                self.conn.end_stream(sid)
                del self.pending[sid]

    def handle(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            self.answer(ev)
        elif isinstance(ev, h2.events.DataReceived):
            if ev.stream_id in self.pending:
                self.pending[ev.stream_id] += ev.data
            self.conn.acknowledge_received_data(ev.flow_controlled_length,
                                                ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self.ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            self.pending.pop(ev.stream_id, None)

    def run(self):
        self.sock.sendall(self.conn.data_to_send())
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                for ev in self.conn.receive_data(data):
                    self.handle(ev)
                self.echo()
                self.sock.sendall(self.conn.data_to_send())
        except Exception:
            return  # a broken client ends only its own connection
        finally:
            self.sock.close()


class RelayConn(ServerConn):
    """A pod's HBONE server: CONNECT to its own address is relayed to that
    port (a refused connect is 503), any other address is 400."""

    def __init__(self, sock, host):
        super().__init__(sock)
        self.host = host
        self.up = {}  # stream -> socket to the workload

    def answer(self, ev):
        h = dict(ev.headers)
        auth = h.get(':authority', '')
        print('connect %s %s' % (auth, self.peer), flush=True)
        host, _, port = auth.rpartition(':')
        status = 400
        if (h.get(':method') == 'CONNECT' and ':path' not in h and
                port.isdigit() and host == self.host):
            try:
                self.up[ev.stream_id] = socket.create_connection(
                    (host, int(port)), timeout=DEADLINE)
                self.pending[ev.stream_id] = b''
                status = 200
            except OSError:
                status = 503
        self.conn.send_headers(ev.stream_id, [(':status', str(status))],
                               end_stream=status != 200)

    def handle(self, ev):
        sid = getattr(ev, 'stream_id', None)
        if isinstance(ev, h2.events.DataReceived) and sid in self.up:
            self.up[sid].sendall(ev.data)
            self.conn.acknowledge_received_data(ev.flow_controlled_length,
                                                sid)
        elif isinstance(ev, h2.events.StreamEnded) and sid in self.up:
            self.up[sid].shutdown(socket.SHUT_WR)  # half-close, passed on
        elif isinstance(ev, h2.events.StreamReset) and sid in self.up:
            self.up.pop(sid).close()
            self.pending.pop(sid, None)
        elif not isinstance(ev, h2.events.StreamEnded):
            super().handle(ev)

    def from_workload(self, sid):
        data = self.up[sid].recv(65536)
        if data:
            self.pending[sid] += data
        else:  # the workload is done: echo() ends the stream once sent
            self.ended.add(sid)
            self.up.pop(sid).close()

    def run(self):
        self.sock.sendall(self.conn.data_to_send())
        end = time.monotonic() + 60
        try:
            while time.monotonic() < end:
                socks = [self.sock] + list(self.up.values())
                r = socks if self.sock.pending() else \
                    select.select(socks, [], [], 0.5)[0]
                if self.sock in r:
                    data = self.sock.recv(65536)
                    if not data:
                        return
                    for ev in self.conn.receive_data(data):
                        self.handle(ev)
                for sid, u in list(self.up.items()):
                    if u in r:
                        self.from_workload(sid)
                self.echo()
                self.sock.sendall(self.conn.data_to_send())
        except Exception:
            return
        finally:
            for u in self.up.values():
                u.close()
            self.sock.close()


def run_server(d, host=None):
    ctx = tls_context(d, 'server', True)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host or '127.0.0.1', 15008 if host else 0))
    lsock.listen(16)
    print('port %d' % lsock.getsockname()[1], flush=True)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        r, _, _ = select.select([lsock, sys.stdin], [], [], 0.5)
        if sys.stdin in r and not sys.stdin.readline():
            break
        if lsock in r:
            raw, _ = lsock.accept()
            raw.settimeout(DEADLINE)
            try:
                s = ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                continue
            conn = RelayConn(s, host) if host else ServerConn(s)
            threading.Thread(target=conn.run, daemon=True).start()
    lsock.close()
    return 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'client':
        sys.exit(run_client(sys.argv[2], int(sys.argv[3])))
    if len(sys.argv) == 3 and sys.argv[1] == 'server':
        sys.exit(run_server(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == 'serve-at':
        sys.exit(run_server(sys.argv[2], sys.argv[3]))
    if len(sys.argv) in (7, 8) and sys.argv[1] == 'call':
        sys.exit(run_call(*sys.argv[2:]))
    sys.exit('usage: hbone_peer.py client DIR PORT | server DIR | '
             'call DIR NAME HOST:PORT AUTHORITY PEER_ID ["METHOD PATH"] | '
             'serve-at DIR HOST')
