import {
  INFRASTRUCTURE_SERVICES,
  type InfrastructureError,
  type InfrastructureService,
  SERVICE_LABELS,
} from "./infrastructure-error";
import { requirePositiveInt } from "./rollout-error";

/** Items in a row that may fail because of one service before a run stops (each CLI can change it). */
export const DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES = 5;

/** Items not scored, by the service whose failure kept them from being scored. */
export type InfrastructureCounts = Record<InfrastructureService, number>;

/** Why a run stopped for its infrastructure. */
export interface InfrastructureStop {
  service: InfrastructureService;
  /** Items in a row that this service failed. */
  inARow: number;
  /** The last failure's message (one line). */
  message: string;
}

/**
 * The one rule for infrastructure failures in a run over many items (hdpo-eval, hdpo-curate, hdpo-train's
 * evaluations): every failure is counted by service and never scored; an item that finished resets the streak of
 * each service it used (a finished item that called no tool says nothing about the tool server); once one service
 * has failed `maxConsecutive` items in a row, {@link stop} says so and the run should stop starting items.
 */
export class InfrastructureFailures {
  readonly maxConsecutive: number;
  private readonly totals = zeroInfrastructureCounts();
  private readonly streaks = zeroInfrastructureCounts();
  private stopped: InfrastructureStop | undefined;

  constructor(maxConsecutive: number = DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES) {
    requirePositiveInt(maxConsecutive, "maxConsecutive");
    this.maxConsecutive = maxConsecutive;
  }

  /** An item finished; `used` are the services it relied on, which therefore worked. */
  succeeded(used: Iterable<InfrastructureService>): void {
    for (const service of used) this.streaks[service] = 0;
  }

  /** An item was not scored because `error.service` failed; returns true once the run should stop. */
  failed(error: InfrastructureError): boolean {
    const service = error.service;
    this.totals[service]++;
    this.streaks[service]++;
    if (this.stopped === undefined && this.streaks[service] >= this.maxConsecutive) {
      this.stopped = { service, inARow: this.streaks[service], message: error.message };
    }
    return this.stopped !== undefined;
  }

  /** Items not scored so far, by service. */
  counts(): InfrastructureCounts {
    return { ...this.totals };
  }

  /** Items not scored so far, all services together. */
  get total(): number {
    return INFRASTRUCTURE_SERVICES.reduce((sum, service) => sum + this.totals[service], 0);
  }

  /** Set once a service reached the limit. */
  get stop(): InfrastructureStop | undefined {
    return this.stopped;
  }
}

/** Every service at 0. */
export function zeroInfrastructureCounts(): InfrastructureCounts {
  return { "tool-server": 0, model: 0, judge: 0 };
}

/** `3 (the tool server), 1 (the model endpoint)`: the services that failed, for report lines; "" when none. */
export function describeInfrastructureCounts(counts: InfrastructureCounts): string {
  return INFRASTRUCTURE_SERVICES.filter((service) => counts[service] > 0)
    .map((service) => `${counts[service]} (${SERVICE_LABELS[service]})`)
    .join(", ");
}

/**
 * One line: which service stopped the run, and its last error. `what` names the items and what did not happen to
 * them (hdpo-curate: "rows were not decided").
 */
export function describeInfrastructureStop(stop: InfrastructureStop, what = "items were not scored"): string {
  return `${stop.inARow} consecutive ${what} because ${SERVICE_LABELS[stop.service]} failed; the last: ${stop.message}`;
}
