/**
 * True when `value` parses as an http: or https: URL: what every endpoint flag takes (model, tool server, judge).
 * CLIs check flags with it so that a malformed URL is one line at parse time, not a client's stack trace later.
 */
export function isHttpUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "http:" || url.protocol === "https:";
}
