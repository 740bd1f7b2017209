/** HTTP-level counters of the tool server (`GET /metrics` → `http`). */
export interface ServerCounters {
  requests: number;
  observationRequests: number;
  observations: number;
  status: Record<string, number>;
  validationErrors: number;
  bodyTooLarge: number;
  overloaded: number;
  internalErrors: number;
  notFound: number;
}

export function newServerCounters(): ServerCounters {
  return {
    requests: 0,
    observationRequests: 0,
    observations: 0,
    status: {},
    validationErrors: 0,
    bodyTooLarge: 0,
    overloaded: 0,
    internalErrors: 0,
    notFound: 0,
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
}
