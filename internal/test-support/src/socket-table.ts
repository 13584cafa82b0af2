import { readFileSync } from 'node:fs';

const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** `0100007F:1F90` (little-endian IPv4 of /proc/net/tcp) → `127.0.0.1:8080`; IPv6 kept in hex. */
function endpoint(hex: string): string {
  const [address = '', port = ''] = hex.split(':');
  const host =
    address.length === 8
      ? (address.match(/../g) ?? [])
          .reverse()
          .map((b) => Number.parseInt(b, 16))
          .join('.')
      : `[${address}]`;
  return `${host}:${Number.parseInt(port, 16)}`;
}

/**
 * Every socket of the network namespace by inode, from /proc/net: `tcp 127.0.0.1:41000 → 127.0.0.1:8080
 * ESTABLISHED`, `udp 127.0.0.1:5353`, `unix /path` (Linux; empty elsewhere).
 *
 * @returns descriptions by inode
 */
export function socketTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${proto}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const inode = f[9];
      if (inode === undefined || f[1] === undefined || f[2] === undefined) continue;
      const state = proto.startsWith('tcp') ? ` ${TCP_STATES[f[3] ?? ''] ?? f[3]}` : '';
      table.set(inode, `${proto} ${endpoint(f[1])} → ${endpoint(f[2])}${state}`);
    }
  }
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[6] !== undefined) table.set(f[6], `unix ${f[7] ?? '(unnamed)'}`);
    }
  } catch {
    // no /proc/net/unix
  }
  return table;
}
