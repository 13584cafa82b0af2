/**
 * The peer: servers on 127.0.0.1 in a process of their own, so that the measuring process's descriptor
 * and handle counts see only the client side of each connection. Started by peer.ts with `fork`; talks
 * over the IPC channel; exits when its parent disconnects.
 *
 * HTTP routes: `/ok` (a short body), `/slow` (headers and part of a body, never finished), `/hang` (no
 * answer at all). A TCP server and a TLS server (when `openssl` can make a certificate) accept and hold
 * connections; both end their side when the client ends its own.
 */

import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { makeTestCertificate } from '@mcp-resource-guard/test-support';

/** Messages the peer sends. */
export type PeerMessage =
  | { type: 'ready'; http: number; tcp: number; tls: number | null; ca: string | null }
  | { type: 'reply'; id: number; ok: boolean; error?: string };

/** Messages the peer accepts. */
export type PeerCommand = { type: 'connect'; id: number; port: number } | { type: 'closeIdle'; id: number };

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function hold(socket: net.Socket): void {
  socket.on('error', () => {});
  socket.resume();
}

async function main(): Promise<void> {
  const send = (message: PeerMessage): void => {
    process.send?.(message);
  };
  const web = http.createServer((req, res) => {
    req.resume();
    res.on('error', () => {});
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return;
    }
    if (req.url?.startsWith('/hang') === true) return; // `/hang?<n>`: a request the client can tell apart
    res.end('ok');
  });
  web.keepAliveTimeout = 60_000;
  web.on('clientError', (_e, socket) => socket.destroy());
  const tcp = net.createServer(hold);
  let certificate: { key: string; cert: string } | null = null;
  try {
    certificate = makeTestCertificate();
  } catch {
    // no openssl: no TLS server
  }
  const secure = certificate === null ? null : tls.createServer(certificate, hold);
  secure?.on('tlsClientError', () => {});
  const [httpPort, tcpPort, tlsPort] = await Promise.all([
    listen(web),
    listen(tcp),
    secure === null ? Promise.resolve(null) : listen(secure),
  ]);
  process.on('message', (command: PeerCommand) => {
    if (command.type === 'closeIdle') {
      web.closeIdleConnections();
      send({ type: 'reply', id: command.id, ok: true });
      return;
    }
    const socket = net.connect(command.port, '127.0.0.1');
    socket.once('connect', () => send({ type: 'reply', id: command.id, ok: true }));
    socket.once('error', (error) => send({ type: 'reply', id: command.id, ok: false, error: error.message }));
    hold(socket);
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', http: httpPort, tcp: tcpPort, tls: tlsPort, ca: certificate?.cert ?? null });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
