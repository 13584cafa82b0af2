/**
 * The soak's sessions: real SDK clients over InMemoryTransport and over Streamable HTTP, each retired after a
 * drawn number of calls (it takes no new call, and is closed once its calls in flight are answered) and replaced
 * by a new session on the same transport, so that sessions open and close throughout the run.
 */

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type Connection, connectHttp, connectInMemory } from './mcp-fixtures.js';

/** The transport of a session. */
export type SoakTransport = 'memory' | 'http';

/** One open session. */
export interface SoakSession {
  readonly client: Client;
  readonly transport: SoakTransport;
}

interface Live extends SoakSession {
  readonly connection: Connection;
  inFlight: number;
  /** Calls it still takes before it is retired. */
  remaining: number;
}

/** How sessions are made. */
export interface SessionPoolOptions {
  /** A new server behind the guard (InMemory sessions; the HTTP host makes its own). */
  readonly createServer: () => McpServer;
  /** The Streamable HTTP host's endpoint. */
  readonly url: URL;
  /** Sessions open at once on each transport. */
  readonly perTransport: number;
  /** Calls a session takes before it is retired: drawn uniformly in [min, max]. */
  readonly lifetime: { readonly min: number; readonly max: number };
  readonly random: () => number;
}

/** A pool of sessions with churn. */
export class SessionPool {
  readonly #options: SessionPoolOptions;
  readonly #live: Live[] = [];
  readonly #closing = new Set<Promise<void>>();
  #next = 0;
  #memorySessions = 0;
  /** Sessions opened and closed so far, by transport. */
  readonly opened: Record<SoakTransport, number> = { memory: 0, http: 0 };
  readonly closed: Record<SoakTransport, number> = { memory: 0, http: 0 };

  constructor(options: SessionPoolOptions) {
    this.#options = options;
  }

  /** Opens the initial sessions. */
  async start(): Promise<void> {
    const opening: Promise<void>[] = [];
    for (let i = 0; i < this.#options.perTransport; i++) opening.push(this.#open('memory'), this.#open('http'));
    await Promise.all(opening);
  }

  /**
   * A session to send one call on (round robin over the live ones); give it back with {@link release}.
   *
   * @returns the session
   */
  async acquire(): Promise<SoakSession> {
    for (;;) {
      const candidates = this.#live.filter((s) => s.remaining > 0);
      if (candidates.length > 0) {
        const session = candidates[this.#next++ % candidates.length]!;
        session.remaining--;
        session.inFlight++;
        return session;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Gives a session back after its call was answered; a retired session with nothing in flight is closed
   * and replaced.
   *
   * @param session - from {@link acquire}
   */
  release(session: SoakSession): void {
    const live = session as Live;
    live.inFlight--;
    if (live.remaining > 0 || live.inFlight > 0) return;
    this.#live.splice(this.#live.indexOf(live), 1);
    const closing = (async () => {
      await live.connection.close();
      this.closed[live.transport]++;
      await this.#open(live.transport);
    })();
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  /** Waits for replacements under way, then closes every session (none may have calls in flight). */
  async closeAll(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all(this.#closing);
    for (const live of this.#live.splice(0)) {
      await live.connection.close();
      this.closed[live.transport]++;
    }
  }

  async #open(transport: SoakTransport): Promise<void> {
    const { createServer, url, lifetime, random } = this.#options;
    const connection =
      transport === 'http'
        ? await connectHttp(url)
        : await connectInMemory(createServer(), `soak-memory-${this.#memorySessions++}`);
    this.opened[transport]++;
    const remaining = lifetime.min + Math.floor(random() * (lifetime.max - lifetime.min + 1));
    this.#live.push({ client: connection.client, transport, connection, inFlight: 0, remaining });
  }
}
