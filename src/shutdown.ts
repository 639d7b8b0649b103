/**
 * The order in which a server process stops what it started, on SIGTERM or SIGINT.
 * Whatever starts something in server.ts registers how to stop it, in the phase it
 * belongs to, so a later addition cannot end up after the store it still writes to:
 *
 *   requests    stop taking requests, answer those in flight (readiness turns 503 first)
 *   background  work beside the app: webhook delivery, the housekeeping (purges,
 *               pending API-token last-use times: maintenance.ts)
 *   app         what the app itself holds: the rate limiter (Redis)
 *   storage     the database: queued writes are committed, then it is closed
 *   telemetry   the metrics listener, the log buffer
 *
 * Phases run one after another, and within a phase steps run in the order added. A
 * step that fails is logged and the rest still run.
 */
import type { Logger } from './observability/logger.ts';

export const SHUTDOWN_PHASES = ['requests', 'background', 'app', 'storage', 'telemetry'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

interface Step {
  name: string;
  stop: () => Promise<void> | void;
}

export class Shutdown {
  private readonly steps = new Map<ShutdownPhase, Step[]>(SHUTDOWN_PHASES.map((phase) => [phase, []]));
  private running: Promise<boolean> | null = null;

  constructor(private readonly logger: Logger) {}

  /** Registers how to stop something, in its phase. */
  add(phase: ShutdownPhase, name: string, stop: () => Promise<void> | void): void {
    this.steps.get(phase)!.push({ name, stop });
  }

  /** Runs every step once (a second call gets the first one's outcome); true when none failed. */
  run(): Promise<boolean> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<boolean> {
    let ok = true;
    for (const phase of SHUTDOWN_PHASES) {
      for (const step of this.steps.get(phase)!) {
        try {
          await step.stop();
        } catch (error) {
          ok = false;
          this.logger.error({ err: error, phase, step: step.name }, 'shutdown step failed');
        }
      }
    }
    return ok;
  }
}
