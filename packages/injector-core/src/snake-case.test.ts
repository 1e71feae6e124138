import { describe, expect, it } from "vitest";
import { goUpper, snakeCase } from "./snake-case.js";

describe("snakeCase (Helm's snakecase)", () => {
  // The cases of huandu/xstrings' own test of ToSnakeCase, which Helm's snakecase is.
  const cases: Record<string, string> = {
    keepAliveInterval: "keep_alive_interval",
    http2: "http2",
    appleSauce: "apple_sauce",
    HTTPServer: "http_server",
    _camelCase: "_camel_case",
    NoHTTPS: "no_https",
    Wi_thF: "wi_th_f",
    _AnotherTES_TCaseP: "_another_tes_t_case_p",
    ALL: "all",
    _HELLO_WORLD_: "_hello_world_",
    HELLO_WORLD: "hello_world",
    HELLO____WORLD: "hello____world",
    TW: "tw",
    _C: "_c",
    http2xx: "http_2xx",
    HTTP2XX: "http2_xx",
    HTTP20xOK: "http_20x_ok",
    HTTP20xStatus: "http_20x_status",
    "HTTP-20xStatus": "http_20x_status",
    a: "a",
    Duration2m3s: "duration_2m3s",
    Bld4Floor3rd: "bld4_floor_3rd",
    " _-_ ": "_____",
    a1b2c3d: "a_1b2c3d",
    "A//B%%2c": "a//b%%2c",
    "HTTP状态码404/502Error": "http_状态码404/502_error",
    "中文(字符)": "中文(字符)",
    混合ABCWords与123数字456: "混合_abc_words_与123_数字456",
    "  sentence case  ": "__sentence_case__",
    " Mixed-hyphen case _and SENTENCE_case and UPPER-case": "_mixed_hyphen_case__and_sentence_case_and_upper_case",
    "FROM CamelCase to snake/kebab-case": "from_camel_case_to_snake/kebab_case",
    "": "",
    abc_123_def: "abc_123_def",
    FirstName: "first_name",
    GO_PATH: "go_path",
    "GO PATH": "go_path",
    "GO-PATH": "go_path",
  };
  for (const [input, want] of Object.entries(cases)) {
    it(`turns ${JSON.stringify(input)} into ${JSON.stringify(want)}`, () => expect(snakeCase(input)).toBe(want));
  }

  it("upper-cases rune by rune, as Go does", () => {
    expect(goUpper("keep_alive_ß")).toBe("KEEP_ALIVE_ß");
  });
});
