#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A hostile HBONE client, for tests/e2e/mesh_refusals.sh: one bad thing
done to a running agent's <pod ip>:15008, and what the agent did about it.

  hbone_hostile.py tls DIR NAME HOST:PORT [tls12]
      a handshake with DIR/NAME.pem (NAME "-": no client certificate;
      tls12: TLS 1.2 only); prints "refused: ..." when the agent ends it
      before any HTTP/2 byte, "accepted" when its SETTINGS arrive
  hbone_hostile.py silent HOST:PORT       TCP connect, then nothing
  hbone_hostile.py hello HOST:PORT        a ClientHello, then nothing
  hbone_hostile.py garbage HOST:PORT      bytes that are no TLS record
      each prints "closed after N ms" once the agent hangs up
  hbone_hostile.py h2 DIR NAME HOST:PORT PEER_ID KIND
      after a good handshake (the agent proves PEER_ID), KIND:
        preface   garbage instead of the HTTP/2 preface
        oversize  a frame header announcing 16 MiB - 1 bytes
        truncated half a frame, then our FIN
        authority CONNECT with an :authority no address can be
      prints what the agent did: "closed after N ms", "reset N" (the
      stream's RST_STREAM code) or "status N"

Exit 0 when the agent refused as it must, 1 when it did not (or nothing
came back before the deadline), 2 on a usage error.
"""
import socket
import ssl
import sys
import time

import h2.events

from hbone_peer import Client, tls_context

DEADLINE = 30.0  # seconds: longer than any bound the agent keeps


def addr(hostport):
    host, _, port = hostport.rpartition(':')
    return host, int(port)


def wait_closed(sock):
    """Reads and drops until the peer ends the connection; ms it took, or
    None at the deadline."""
    t0 = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - t0 < DEADLINE:
        try:
            if not sock.recv(65536):
                break
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (ssl.SSLError, OSError):  # an alert or a RST ends it too
            break
    else:
        return None
    return int((time.monotonic() - t0) * 1000)


def report_closed(sock):
    ms = wait_closed(sock)
    sock.close()
    if ms is None:
        print('still open after %d s' % DEADLINE)
        return 1
    print('closed after %d ms' % ms)
    return 0


def run_tls(d, name, hostport, tls12=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the agent is judged, not us
    ctx.set_alpn_protocols(['h2'])
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if name != '-':
        ctx.load_cert_chain(f'{d}/{name}.pem', f'{d}/{name}.key')
    raw = socket.create_connection(addr(hostport), timeout=DEADLINE)
    try:
        s = ctx.wrap_socket(raw, server_hostname=None)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        print('refused: %s' % e)
        return 0
    # TLS 1.3: the client's certificate is judged after our Finished, so
    # the verdict is the agent's first record: its SETTINGS, or an alert
    try:
        data = s.recv(65536)
    except (ssl.SSLError, OSError) as e:
        data, why = b'', str(e)
    else:
        why = 'end of stream'
    s.close()
    if data:
        print('accepted')
        return 1
    print('refused: %s' % why)
    return 0


def run_raw(kind, hostport):
    s = socket.create_connection(addr(hostport), timeout=DEADLINE)
    if kind == 'garbage':
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + bytes(range(256)))
    elif kind == 'hello':
        s.sendall(client_hello())
    return report_closed(s)  # the agent's answer is read, never acted on


def client_hello():
    """The bytes of a TLS 1.3 ClientHello (ALPN h2), made in memory: the
    socket never sees our side of the handshake go on."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(['h2'])
    out = ssl.MemoryBIO()
    t = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=None)
    try:
        t.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def run_h2(d, name, hostport, peer_id, kind):
    host, port = addr(hostport)
    if kind == 'authority':
        c = Client(d, port, name, host=host, server_id=peer_id)
        sid = c.connect('not an authority')
        c.pump(lambda: c.ended(sid))
        resets = c.of(sid, h2.events.StreamReset)
        st = c.status(sid)
        c.close()
        if resets:
            print('reset %d' % resets[0].error_code)
        else:
            print('status %s' % st)
        return 0 if resets or st == 400 else 1
    if kind == 'preface':
        raw = socket.create_connection((host, port), timeout=DEADLINE)
        s = tls_context(d, name, False).wrap_socket(raw, server_hostname=None)
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + bytes(range(64)))
        return report_closed(s)
    c = Client(d, port, name, settings=False, host=host, server_id=peer_id)
    s = c.sock  # the client's preface and SETTINGS are already out
    if kind == 'oversize':
        # DATA on stream 1, 16 MiB - 1 announced: over any MAX_FRAME_SIZE
        s.sendall(b'\xff\xff\xff\x00\x00\x00\x00\x00\x01' + bytes(4096))
    elif kind == 'truncated':
        # a PING announces 8 bytes; 3 come, then our FIN (no close_notify:
        # a cut, not an end), which cannot overtake them as a RST could
        s.sendall(b'\x00\x00\x08\x06\x00\x00\x00\x00\x00' + b'abc')
        s.shutdown(socket.SHUT_WR)
    else:
        print('unknown kind %s' % kind)
        return 2
    return report_closed(s)


if __name__ == '__main__':
    a = sys.argv[1:]
    if len(a) in (4, 5) and a[0] == 'tls' and a[4:] in ([], ['tls12']):
        sys.exit(run_tls(a[1], a[2], a[3], a[4:] == ['tls12']))
    if len(a) == 2 and a[0] in ('silent', 'hello', 'garbage'):
        sys.exit(run_raw(a[0], a[1]))
    if len(a) == 6 and a[0] == 'h2':
        sys.exit(run_h2(*a[1:]))
    sys.exit(__doc__)
