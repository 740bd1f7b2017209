/** Never returns, without spinning the CPU: the thread sleeps on a futex nobody wakes. */
export function loss(): never {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error("unreachable: nothing wakes the wait");
}
