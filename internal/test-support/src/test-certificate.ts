import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let openssl: boolean | undefined;

/**
 * Whether openssl is there to make a certificate (asked once); without it, what needs TLS is skipped.
 *
 * @returns whether it is
 */
export function hasOpenssl(): boolean {
  openssl ??= spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
  return openssl;
}

/**
 * Makes a key and a self-signed one-day certificate for CN=localhost with openssl, for TLS servers on 127.0.0.1
 * (clients connect with `rejectUnauthorized: false`, or trust `cert`).
 *
 * @returns the key and the certificate, PEM
 */
export function makeTestCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-resource-guard-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile];
    const made = spawnSync('openssl', [...args, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    if (made.status !== 0) throw new Error('openssl could not make a certificate');
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
