/**
 * Helm's `snakecase` (sprig → huandu/xstrings `ToSnakeCase`, v1.5), which Linkerd's proxy template applies to every
 * key of `proxy.inbound` / `proxy.outbound` to name an environment variable (spec §3.5, "proxy params"). It is not a
 * plain "underscore before each capital": runs of capitals are one word (`HTTPServer` → `http_server`), a number
 * after a word stays with it unless letters follow (`http2` → `http2`, `http2xx` → `http_2xx`), and spaces and
 * hyphens become underscores.
 */

type WordType = "invalid" | "number" | "upper" | "alphabet" | "connector" | "punct" | "other";

interface Word {
  type: WordType;
  /** Code points of the word. */
  text: string[];
  /** Index of the first code point after the word. */
  end: number;
}

const UPPER = /^\p{Lu}$/u;
const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
const PUNCT = /^\p{P}$/u;
const SPACE = /^\p{White_Space}$/u;

const isUpper = (c: string) => UPPER.test(c);
const isNumber = (c: string) => NUMBER.test(c);
const isPunct = (c: string) => PUNCT.test(c);
const isConnector = (c: string) => c === "-" || c === "_" || SPACE.test(c);

/** A letter that is not a CJK ideograph (xstrings' `isAlphabet`). */
function isAlphabet(c: string): boolean {
  if (!LETTER.test(c)) return false;
  const code = c.codePointAt(0) as number;
  if (code < 0x3400) return true;
  if (code >= 0x4e00 && code <= 0x9fcc) return false;
  if (code >= 0x3400 && code <= 0x4d85) return false;
  if (code >= 0x20000 && code <= 0x2b81d) return false;
  return true;
}

function nextWord(chars: readonly string[], start: number): Word {
  if (start >= chars.length) return { type: "invalid", text: [], end: start };
  let i = start;
  const first = chars[i++] as string;
  const advanceWhile = (keep: (c: string) => boolean) => {
    while (i < chars.length && keep(chars[i] as string)) i++;
  };
  let type: WordType;
  if (isConnector(first)) {
    type = "connector";
    advanceWhile(isConnector);
  } else if (isPunct(first)) {
    type = "punct";
    advanceWhile(isPunct);
  } else if (isUpper(first)) {
    type = "upper";
    if (i < chars.length) {
      const next = chars[i] as string;
      if (isUpper(next)) {
        advanceWhile(isUpper);
        // `HTTPStatus` is `HTTP` and `Status`: the last capital of a run starts the next word when a letter follows.
        if (i < chars.length && isAlphabet(chars[i] as string)) i--;
      } else if (isAlphabet(next)) {
        advanceWhile((c) => isAlphabet(c) && !isUpper(c));
      }
    }
  } else if (isAlphabet(first)) {
    type = "alphabet";
    advanceWhile((c) => isAlphabet(c) && !isUpper(c));
  } else if (isNumber(first)) {
    type = "number";
    advanceWhile(isNumber);
  } else {
    type = "other";
    advanceWhile((c) => !(isConnector(c) || isAlphabet(c) || isNumber(c) || isPunct(c)));
  }
  return { type, text: chars.slice(start, i), end: i };
}

/**
 * Converts a key to snake case exactly as Helm's `snakecase` does.
 *
 * @example
 * snakeCase("keepAliveInterval") // "keep_alive_interval"
 * snakeCase("http2")             // "http2"
 * snakeCase("HTTPServer")        // "http_server"
 */
export function snakeCase(text: string): string {
  const chars = [...text];
  if (chars.length === 0) return "";
  let out = "";
  const write = (word: Word, as: WordType = word.type) => {
    if (as !== "upper" && as !== "connector") {
      out += word.text.join("");
      return;
    }
    for (const c of word.text) out += isConnector(c) ? "_" : isUpper(c) ? oneRune(c.toLowerCase(), c) : c;
  };
  let word = nextWord(chars, 0);
  while (word.end < chars.length) {
    if (word.type !== "connector") write(word);
    const previous = word;
    word = nextWord(chars, word.end);
    if (previous.type === "number") {
      while (word.type === "alphabet" || word.type === "number") {
        write(word);
        word = nextWord(chars, word.end);
      }
      if (word.type !== "invalid" && word.type !== "punct" && word.type !== "connector") out += "_";
    } else if (previous.type === "connector") {
      write(previous);
    } else if (previous.type !== "punct") {
      if (word.type !== "number") {
        if (word.type !== "connector" && word.type !== "punct") out += "_";
        continue;
      }
      if (word.end >= chars.length) continue;
      const number = word;
      word = nextWord(chars, word.end);
      // A number is part of the word before it (`Bld4Floor` → `bld4_floor`) unless letters follow it (`HTTP2xx`).
      if (word.type !== "alphabet") {
        write(number, "number");
        if (word.type !== "connector" && word.type !== "punct") out += "_";
        continue;
      }
      out += "_";
      write(number, "number");
      while (word.type === "alphabet" || word.type === "number") {
        write(word);
        word = nextWord(chars, word.end);
      }
      if (word.type !== "invalid" && word.type !== "connector" && word.type !== "punct") out += "_";
    }
  }
  write(word);
  return out;
}

/** Go's `strings.ToUpper`: rune by rune, so a letter without a one-rune capital (`ß`) stays as it is. */
export function goUpper(text: string): string {
  let out = "";
  for (const c of text) out += oneRune(c.toUpperCase(), c);
  return out;
}

/** Go maps case rune to rune; JavaScript may give several (`İ` → `i̇`), in which case Go keeps the rune. */
function oneRune(mapped: string, original: string): string {
  return [...mapped].length === 1 ? mapped : original;
}
