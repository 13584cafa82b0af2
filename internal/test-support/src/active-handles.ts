/**
 * Whether a type from `process.getActiveResourcesInfo()` is a request (an fs read, a close, a write, a connect):
 * one operation in flight rather than a resource held.
 *
 * @param type - the type
 * @returns whether it is a request
 */
export function isRequest(type: string): boolean {
  return /Req|Request|^(WriteWrap|ShutdownWrap|ConnectWrap|TCPConnectWrap|PipeConnectWrap)$/.test(type);
}

/**
 * The live handles and requests of this process by type, from `process.getActiveResourcesInfo()`: those that keep
 * the event loop alive (`TCPSocketWrap`, `Timeout`, `ProcessWrap`, ...), and the requests in flight.
 *
 * @returns counts by type, handles and requests apart
 */
export function activeResources(): { handles: Record<string, number>; requests: Record<string, number> } {
  const handles: Record<string, number> = {};
  const requests: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    const into = isRequest(type) ? requests : handles;
    into[type] = (into[type] ?? 0) + 1;
  }
  return { handles, requests };
}
