/**
 * Runs jobs one at a time in the order they were added: a model's requests execute in arrival order, so an
 * optim_step or a load_weights is a barrier for everything after it. Before each job the event loop gets a turn, so
 * the HTTP side keeps answering while jobs queue up.
 */
export class SerialLane {
  private tail: Promise<void> = Promise.resolve();

  /** Queues `job`; resolves when it has run. `job` must not throw (its errors belong to its future). */
  run(job: () => Promise<void>): Promise<void> {
    const next = this.tail
      .then(yieldToEventLoop)
      .then(job)
      .catch(() => undefined);
    this.tail = next;
    return next;
  }

  /** Resolves once every job queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
