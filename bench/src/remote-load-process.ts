/**
 * The remote load generator: an SDK client in a process of its own, so that a server-side measurement
 * sees only the server's work. Forked by remote-load.ts; connects over Streamable HTTP, keeps
 * `concurrency` calls in flight, and tells its parent (over IPC) how many calls had completed at each
 * batch boundary; exits when told to stop.
 */

import { callTool, connectHttp } from './mcp-fixtures.js';
import { driveCalls } from './measure.js';
import type { LoopSettings } from './scenario.js';

/** What the parent sends to start the load. */
export interface RemoteLoadCommand {
  readonly type: 'start';
  readonly url: string;
  readonly tool: string;
  readonly loop: LoopSettings;
}

/** What the load generator reports. */
export type RemoteLoadMessage =
  | { readonly type: 'mark'; readonly count: number }
  | { readonly type: 'done'; readonly total: number }
  | { readonly type: 'error'; readonly message: string };

async function run({ url, tool, loop }: RemoteLoadCommand): Promise<void> {
  const connection = await connectHttp(new URL(url));
  let id = 0;
  let total: number;
  try {
    total = await driveCalls(
      () => callTool(connection.client, tool, { id: id++ }),
      loop,
      (count) => process.send?.({ type: 'mark', count } satisfies RemoteLoadMessage),
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
  process.send?.({ type: 'done', total } satisfies RemoteLoadMessage);
}

process.once('message', (command: RemoteLoadCommand) => {
  run(command).then(
    () => process.disconnect?.(),
    (error: unknown) => {
      process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      process.disconnect?.();
    },
  );
});
