import { readdirSync, readlinkSync } from 'node:fs';

/** One open descriptor of this process. */
export interface OpenFd {
  readonly fd: number;
  /** What it is open on, as /proc/self/fd shows it: a path, `socket:[<inode>]`, `pipe:[<inode>]`, `anon_inode:…`. */
  readonly target: string;
}

/**
 * The open descriptors of this process, from /proc/self/fd (the listing's own descriptor left out).
 *
 * @returns them, or undefined where /proc is unavailable
 */
export function openFdList(): OpenFd[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  const out: OpenFd[] = [];
  for (const name of names) {
    try {
      out.push({ fd: Number(name), target: readlinkSync(`/proc/self/fd/${name}`) });
    } catch {
      // the listing's own descriptor, closed by now
    }
  }
  return out;
}

/**
 * Whether a descriptor is on `/proc/<pid>/stat`: the memory probe reads child processes with `pidusage` where
 * /proc is not read directly, and `pidusage` keeps each child's stat file open in a cache for up to a minute after
 * the child is gone. Counted apart, so that they can be told from what a call left.
 *
 * @param fd - an open descriptor
 * @returns whether it is one of those
 */
export function isProcStatFd(fd: OpenFd): boolean {
  return /^\/proc\/\d+\/stat$/.test(fd.target);
}
