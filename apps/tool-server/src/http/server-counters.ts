/** HTTP-level counters of the tool server (`GET /metrics` → `http`). */
export interface ServerCounters {
  requests: number;
  observationRequests: number;
  observations: number;
  /** Entries of 200 replies answered with an error observation (their tool call failed or did not fit). */
  failedEntries: number;
  status: Record<string, number>;
  validationErrors: number;
  bodyTooLarge: number;
  overloaded: number;
  internalErrors: number;
  notFound: number;
  /** Requests whose headers or body did not arrive in time (408). */
  requestTimeouts: number;
  /** Requests refused for JSON nested too deep, or another malformed request (400). */
  badRequests: number;
}

export function newServerCounters(): ServerCounters {
  return {
    requests: 0,
    observationRequests: 0,
    observations: 0,
    failedEntries: 0,
    status: {},
    validationErrors: 0,
    bodyTooLarge: 0,
    overloaded: 0,
    internalErrors: 0,
    notFound: 0,
    requestTimeouts: 0,
    badRequests: 0,
  };
}

/** Counts one answered request by its status. */
export function countStatus(counters: ServerCounters, status: number): void {
  counters.status[String(status)] = (counters.status[String(status)] ?? 0) + 1;
  if (status === 422) counters.validationErrors++;
  else if (status === 413) counters.bodyTooLarge++;
  else if (status === 503) counters.overloaded++;
  else if (status === 500) counters.internalErrors++;
  else if (status === 404) counters.notFound++;
  else if (status === 408) counters.requestTimeouts++;
  else if (status === 400) counters.badRequests++;
}
