import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import type { JsonValue, PatchOperation } from "@l5d-injector/injector-core";
import { KUBERNETES_YAML } from "./documents.js";
import { applyJsonPatch } from "./test-support/json-patch.js";
import { detectStyle, patchDocumentText } from "./yaml-patch.js";

/** As the CLI reads a document: plain JSON, where aliases are copies rather than shared objects. */
function jsonOf(text: string): JsonValue {
  return JSON.parse(JSON.stringify(parseDocument(text, KUBERNETES_YAML).toJS())) as JsonValue;
}

/** Applies the patch both ways and checks the text parses to exactly the patched object. */
function edit(text: string, operations: PatchOperation[]) {
  const expected = applyJsonPatch(jsonOf(text), operations);
  const result = patchDocumentText(text, expected);
  expect(jsonOf(result.text)).toEqual(expected);
  return result;
}

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("editDocumentText", () => {
  it("adds an annotation after the existing ones, leaving every other line as written", () => {
    const text = lines(
      "# a comment that must survive",
      "kind: Deployment   # trailing comment",
      "metadata:",
      "    name: web",
      "    annotations:",
      "        owner: 'team-a'",
      "spec: {replicas: 1}",
    );
    const result = edit(text, [{ op: "add", path: "/metadata/annotations/linkerd.io~1inject", value: "enabled" }]);
    expect(result.preserved).toBe(true);
    expect(result.text).toBe(
      lines(
        "# a comment that must survive",
        "kind: Deployment   # trailing comment",
        "metadata:",
        "    name: web",
        "    annotations:",
        "        owner: 'team-a'",
        "        linkerd.io/inject: enabled",
        "spec: {replicas: 1}",
      ),
    );
  });

  it("creates a missing map in block style at the document's indentation", () => {
    const text = lines("metadata:", "  name: web", "spec:", "  replicas: 1");
    const result = edit(text, [
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/a", value: "80" },
      { op: "add", path: "/metadata/annotations/b", value: "on" },
    ]);
    expect(result.text).toBe(
      lines("metadata:", "  name: web", "  annotations:", '    a: "80"', '    b: "on"', "spec:", "  replicas: 1"),
    );
  });

  it("turns an empty flow map into a block map when a key is added", () => {
    const text = lines("metadata:", "  annotations: {}", "  name: web");
    const result = edit(text, [{ op: "add", path: "/metadata/annotations/x", value: "z" }]);
    expect(result.text).toBe(lines("metadata:", "  annotations:", "    x: z", "  name: web"));
  });

  it("inserts a sequence item above the comment that introduces the item it displaces", () => {
    const text = lines("spec:", "  containers:", "  # the app", "  - name: app", "    image: app:1");
    const result = edit(text, [{ op: "add", path: "/spec/containers/0", value: { name: "proxy", image: "p:1" } }]);
    expect(result.text).toBe(
      lines(
        "spec:",
        "  containers:",
        "  - name: proxy",
        "    image: p:1",
        "  # the app",
        "  - name: app",
        "    image: app:1",
      ),
    );
  });

  it("inserts a sequence item after the block scalar of the item above, whose lines may look like comments", () => {
    const text = lines("list:", "- |", "  # not a comment", "- b");
    expect(edit(text, [{ op: "add", path: "/list/1", value: "new" }]).text).toBe(
      lines("list:", "- |", "  # not a comment", "- new", "- b"),
    );
    const replaced = edit(text, [
      { op: "replace", path: "/list/0", value: "x" },
      { op: "add", path: "/list/1", value: "z" },
    ]);
    expect(replaced.text).toBe(lines("list:", "- x", "- z", "- b"));
  });

  it("appends items to an indented sequence with the sequence's own indentation", () => {
    const text = lines(
      "spec:",
      "  volumes:",
      "    - name: data",
      "      emptyDir: {}",
      "  containers:",
      "    - name: app",
    );
    const result = edit(text, [
      { op: "add", path: "/spec/volumes/-", value: { name: "extra", emptyDir: { medium: "Memory" } } },
    ]);
    expect(result.text).toBe(
      lines(
        "spec:",
        "  volumes:",
        "    - name: data",
        "      emptyDir: {}",
        "    - name: extra",
        "      emptyDir:",
        "        medium: Memory",
        "  containers:",
        "    - name: app",
      ),
    );
  });

  it("renders nested sequences in the style the document mostly uses", () => {
    const indented = lines("a:", "  - x", "b:", "  - y", "c:", "- z");
    expect(detectStyle(parseDocument(indented, KUBERNETES_YAML), indented)).toEqual({
      indent: 2,
      indentSeq: true,
      sortKeys: false,
    });
    const flat = lines("a:", "    b:", "    - x");
    expect(detectStyle(parseDocument(flat, KUBERNETES_YAML), flat)).toEqual({
      indent: 4,
      indentSeq: false,
      sortKeys: false,
    });
  });

  it("removes sequence items and keys with their lines only", () => {
    const text = lines(
      "spec:",
      "  initContainers:",
      "  - name: linkerd-init",
      "    image: x",
      "  - name: mine # keep me",
      "  containers:",
      "  - name: app",
      "  hostNetwork: false",
      "  dnsPolicy: ClusterFirst",
    );
    const result = edit(text, [
      { op: "remove", path: "/spec/initContainers/0" },
      { op: "remove", path: "/spec/hostNetwork" },
    ]);
    expect(result.text).toBe(
      lines(
        "spec:",
        "  initContainers:",
        "  - name: mine # keep me",
        "  containers:",
        "  - name: app",
        "  dnsPolicy: ClusterFirst",
      ),
    );
  });

  it("removes the first key of a sequence item by moving the next key onto the dash line", () => {
    const text = lines("env:", "- value: ''", "  name: A", "- name: B");
    const result = edit(text, [{ op: "remove", path: "/env/0/value" }]);
    expect(result.text).toBe(lines("env:", "- name: A", "- name: B"));
  });

  it("leaves an empty collection behind when its last entry is removed", () => {
    const text = lines("spec:", "  initContainers:", "  - name: linkerd-init", "  containers: []");
    const result = edit(text, [{ op: "remove", path: "/spec/initContainers/0" }]);
    expect(result.text).toBe(lines("spec:", "  initContainers: []", "  containers: []"));
  });

  it("writes multi-line strings as literal block scalars and quotes strings that read as other types", () => {
    const text = lines("env:", "- name: A", "  value: x");
    const result = edit(text, [
      { op: "add", path: "/env/-", value: { name: "PEM", value: "-----BEGIN-----\nabc\n-----END-----\n" } },
      { op: "add", path: "/env/-", value: { name: "T", value: "12:30" } },
      { op: "add", path: "/env/-", value: { name: "D", value: "2001-12-14" } },
      { op: "add", path: "/env/-", value: { name: "E", value: "" } },
    ]);
    expect(result.text).toBe(
      lines(
        "env:",
        "- name: A",
        "  value: x",
        "- name: PEM",
        "  value: |",
        "    -----BEGIN-----",
        "    abc",
        "    -----END-----",
        "- name: T",
        '  value: "12:30"',
        "- name: D",
        '  value: "2001-12-14"',
        "- name: E",
        '  value: ""',
      ),
    );
  });

  it("replaces a scalar in place and keeps the rest of the line layout", () => {
    const text = lines("a:", "  b: 1", "  c: 2");
    const result = edit(text, [{ op: "replace", path: "/a/b", value: "two words" }]);
    expect(result.text).toBe(lines("a:", "  b: two words", "  c: 2"));
  });

  it("does not touch a key whose value the patch sets to what it already is", () => {
    const text = lines("metadata:", "  annotations:", '    linkerd.io/inject: "enabled"   # as written');
    const result = edit(text, [{ op: "add", path: "/metadata/annotations/linkerd.io~1inject", value: "enabled" }]);
    expect(result.text).toBe(text);
  });

  it("adds a key to a document that does not end with a newline", () => {
    const result = edit("a: 1", [{ op: "add", path: "/b", value: 2 }]);
    expect(result.text).toBe(lines("a: 1", "b: 2"));
  });

  it("rewrites only the key whose value is an alias when that value changes", () => {
    const text = lines("base: &b", "  x: 1", "other: *b");
    expect(edit(text, [{ op: "add", path: "/other/w", value: 2 }])).toEqual({
      text: lines("base: &b", "  x: 1", "other:", "  x: 1", "  w: 2"),
      preserved: true,
    });
  });

  it("keeps a merge key when adding beside it, and rewrites the map when a merged key goes", () => {
    const text = lines("# header", "base: &b", "  x: 1", "other:", "  <<: *b", "  z: 3");
    expect(edit(text, [{ op: "add", path: "/other/w", value: 2 }])).toEqual({
      text: lines("# header", "base: &b", "  x: 1", "other:", "  <<: *b", "  z: 3", "  w: 2"),
      preserved: true,
    });
    expect(edit(text, [{ op: "remove", path: "/other/x" }]).text).toBe(
      lines("# header", "base: &b", "  x: 1", "other:", "  z: 3"),
    );
  });

  it("does not edit an anchored map in place, since its aliases would change with it", () => {
    const text = lines("base: &b", "  x: 1", "other: *b");
    expect(edit(text, [{ op: "add", path: "/base/w", value: 2 }])).toEqual({
      text: lines("base:", "  x: 1", "  w: 2", "other:", "  x: 1"),
      preserved: false,
    });
  });

  it("replaces a nested sequence item whole when its own items cannot be edited in place", () => {
    const text = lines("- a", "- - b");
    expect(edit(text, [{ op: "add", path: "/1/0", value: "c" }])).toEqual({
      text: lines("- a", "- - c", "  - b"),
      preserved: true,
    });
  });

  it("falls back to rendering the whole document, under its header comment, when the root cannot be edited", () => {
    const text = lines("# header", "", "{a: 1}");
    expect(edit(text, [{ op: "add", path: "/b", value: 2 }])).toEqual({
      text: lines("# header", "", "a: 1", "b: 2"),
      preserved: false,
    });
  });

  it("edits a container that lost a field instead of rewriting it, matching list items by name", () => {
    const text = lines(
      "containers:",
      "- name: app   # the application",
      "  env:",
      "  - name: EMPTY",
      "    value: ''",
      "  - name: KEEP",
      "    value: x",
    );
    const result = edit(text, [
      { op: "add", path: "/containers/0", value: { name: "proxy" } },
      { op: "remove", path: "/containers/1/env/0/value" },
    ]);
    expect(result.text).toBe(
      lines(
        "containers:",
        "- name: proxy",
        "- name: app   # the application",
        "  env:",
        "  - name: EMPTY",
        "  - name: KEEP",
        "    value: x",
      ),
    );
  });

  it("keeps CRLF line ends, on added lines too", () => {
    const text = "metadata:\r\n  name: web # here\r\n";
    expect(edit(text, [{ op: "add", path: "/metadata/labels", value: { a: "b" } }]).text).toBe(
      "metadata:\r\n  name: web # here\r\n  labels:\r\n    a: b\r\n",
    );
  });

  it("renders JSON input as block YAML once the root object changes", () => {
    const text = '{"kind": "Pod", "metadata": {"name": "p"}}\n';
    const result = edit(text, [{ op: "add", path: "/metadata/annotations", value: { a: "b" } }]);
    expect(result).toEqual({
      text: lines("kind: Pod", "metadata:", "  name: p", "  annotations:", "    a: b"),
      preserved: false,
    });
  });
});
