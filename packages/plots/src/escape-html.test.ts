import { expect, it } from "vitest";
import { escapeHtml } from "./escape-html";

it("escapes every HTML special character", () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  expect(escapeHtml("plain text")).toBe("plain text");
});
