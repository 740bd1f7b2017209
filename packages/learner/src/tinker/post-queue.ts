/**
 * Runs tasks one after another, each starting when the previous one settled. The engine executes a model's
 * requests in the order they *reached the server* (optim_step and load_weights are barriers by request id), so a
 * model's POSTs must go out strictly one at a time: each waits for the previous POST's HTTP answer. Waiting for
 * the futures happens outside the queue (pipelining futures is allowed).
 */
export class PostQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    // A failed task must not stop the ones queued behind it; its caller sees the failure.
    this.tail = next.catch(() => undefined);
    return next;
  }
}
