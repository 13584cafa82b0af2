// Turns a client call into a comparable value: the result, or the error's code and message.
export type CallOutcomeValue = { result: unknown } | { error: { code: unknown; message: string } };

export async function settle(call: () => Promise<unknown>): Promise<CallOutcomeValue> {
  try {
    return { result: await call() };
  } catch (error) {
    const e = error as { code?: unknown; message?: string };
    return { error: { code: e.code, message: String(e.message) } };
  }
}
