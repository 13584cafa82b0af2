/** Where telemetry failures go: OpenTelemetry's diagnostic logger, never the guard or the user. */

import { diag } from '@opentelemetry/api';

/**
 * Reports failures of the telemetry itself (a broken meter, exporter or instrument) to `diag`: the
 * first failure of each kind at error level, later ones at debug level, so that a broken pipeline
 * does not flood the log on every call. It never throws.
 *
 * @example
 * ```ts
 * const errors = new TelemetryErrors();
 * try { histogram.record(1); } catch (e) { errors.report('event:call', e); }
 * ```
 */
export class TelemetryErrors {
  readonly #seen = new Set<string>();
  #count = 0;

  /** Failures reported so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Reports one failure.
   *
   * @param where - what failed (`setup`, `event:call`, `observe`, ...)
   * @param error - what was thrown
   */
  report(where: string, error: unknown): void {
    this.#count++;
    try {
      const message = `@mcp-resource-guard/otel-exporter: ${where} failed; the guard and its calls are unaffected`;
      if (this.#seen.has(where)) {
        diag.debug(message, error);
      } else {
        this.#seen.add(where);
        diag.error(message, error);
      }
    } catch {
      // A failing diagnostic logger leaves nothing safe to do.
    }
  }
}
