import type { Issue } from "./types.js";

/**
 * An issue as one line of text: where it is, then what is wrong. The path reads as Kubernetes writes field paths:
 * names joined with `.`, list indexes and keys that are not plain names (annotation names, dotted map keys) in
 * brackets. Every consumer (the CLI, the webhook, the tests) prints issues with this, so the path is never repeated
 * in the message.
 *
 * @example
 * formatIssue({ code: "invalid_value_type", path: ["proxy", "uid"], message: 'expected number, got string "x"' })
 * // 'proxy.uid: expected number, got string "x"'
 * formatIssue({ code: "invalid_annotation", path: ["config.linkerd.io/admin-port"], message: 'unable to parse "x" as a 32-bit integer' })
 * // 'config.linkerd.io/admin-port: unable to parse "x" as a 32-bit integer'
 * formatIssue({ code: "invalid_value_type", path: ["podAnnotations", "example.com/team"], message: "expected string, got number 1" })
 * // "podAnnotations[example.com/team]: expected string, got number 1"
 */
export function formatIssue(issue: Issue): string {
  return issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`;
}

const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;

function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((part, i) => {
      if (typeof part === "number") return `[${part}]`;
      // The first part starts the path, so it needs no brackets to be read as one.
      if (i === 0) return part;
      return PLAIN_NAME.test(part) ? `.${part}` : `[${part}]`;
    })
    .join("");
}
