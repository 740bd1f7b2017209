/** A CLI's stdout and stderr captured in memory (a non-TTY stderr, no environment), for `main(args, io)` tests. */
export function capturedIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t), isTTY: false },
      env: {},
    },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}
