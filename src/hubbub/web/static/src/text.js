// Message text as a person reads it: formatting codes removed, links found,
// mentions spotted, long text cut to fit IRC lines. Pure functions, no DOM:
// ui.js turns the segments into text nodes and <a> elements, never HTML.

// mIRC formatting: bold, italics, underline, strikethrough, monospace,
// reverse, reset, colours (\x03 fg[,bg]) and hex colours (\x04 rrggbb[,rrggbb]).
// https://modern.ircdocs.horse/formatting
const FORMATTING =
  /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

/** The text without IRC formatting codes. */
export function stripFormatting(text) {
  return text.replace(FORMATTING, "");
}

// http(s) links; stops at whitespace and at characters that never end a URL
// in running text. Trailing punctuation is trimmed below.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?*'"]+$/;

function trimLink(candidate) {
  let link = candidate.replace(TRAILING, "");
  // Keep a closing bracket only when the link opened one: (see http://x/(a))
  for (const [open, close] of [["(", ")"], ["[", "]"], ["{", "}"]]) {
    while (
      link.endsWith(close) &&
      link.split(close).length > link.split(open).length
    ) {
      link = link.slice(0, -1).replace(TRAILING, "");
    }
  }
  return link;
}

/** A well-formed http(s) URL, or null (never javascript:, data: and the like). */
export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/**
 * The text as segments, in order: {text} for plain text and {text, href} for
 * a link. Joining every segment's text gives the input back.
 */
export function splitLinks(text) {
  const segments = [];
  let at = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const link = trimLink(match[0]);
    const url = safeUrl(link);
    if (!url) continue;
    if (match.index > at) segments.push({ text: text.slice(at, match.index) });
    segments.push({ text: link, href: url.href });
    at = match.index + link.length;
  }
  if (at < text.length) segments.push({ text: text.slice(at) });
  return segments;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Does `text` name `nick` as a word (case-insensitively)? */
export function mentions(text, nick) {
  if (!nick) return false;
  const word = new RegExp(
    `(^|[^\\p{L}\\p{N}_\\-\\[\\]\\\\^{}|\`])${escapeRegExp(nick)}($|[^\\p{L}\\p{N}_\\-\\[\\]\\\\^{}|\`])`,
    "iu",
  );
  return word.test(text);
}

const encoder = new TextEncoder();

/** How many bytes `text` takes in UTF-8. */
export function utf8Length(text) {
  return encoder.encode(text).length;
}

/**
 * Text cut into pieces of at most `maxBytes` bytes of UTF-8 each, on
 * character boundaries, preferring to cut at a space; one piece per line of
 * the input. Empty lines are dropped.
 */
export function splitForSending(text, maxBytes) {
  const pieces = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    let rest = line;
    while (utf8Length(rest) > maxBytes) {
      let cut = 0;
      let bytes = 0;
      for (const char of rest) {
        const size = utf8Length(char);
        if (bytes + size > maxBytes) break;
        bytes += size;
        cut += char.length;
      }
      const space = rest.lastIndexOf(" ", cut);
      if (space > cut / 2) cut = space + 1;
      pieces.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut);
    }
    if (rest.trim()) pieces.push(rest);
  }
  return pieces;
}

/** A stable hue (0-359) for a nick, so each person keeps a colour. */
export function nickHue(nick) {
  // FNV-1a: similar nicks still get unrelated colours.
  let hash = 0x811c9dc5;
  for (const char of nick.toLowerCase()) {
    hash = Math.imul(hash ^ char.codePointAt(0), 0x01000193) >>> 0;
  }
  return hash % 360;
}
