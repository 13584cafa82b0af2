// A self-signed certificate for TLS tests on 127.0.0.1, made with openssl (absent: the tests that need it skip).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether openssl is there to make a certificate. */
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** Makes a key and a one-day certificate for CN=localhost in `dir`. */
export function makeTestCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile];
  const made = spawnSync('openssl', [...args, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  if (made.status !== 0) throw new Error('openssl could not make a certificate');
  return { key: readFileSync(keyFile), cert: readFileSync(certFile) };
}
