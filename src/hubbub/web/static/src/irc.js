// IRC messages: the Message value, parseMessage() and formatMessage().
//
// This mirrors src/hubbub/protocol/message.py line for line, and both are
// tested against tests/data/message_cases.json.
// Wire format: https://modern.ircdocs.horse/#messages
// Tags: https://ircv3.net/specs/extensions/message-tags

// message-tags: "Escaping values" table.
const UNESCAPES = new Map([
  [":", ";"],
  ["s", " "],
  ["\\", "\\"],
  ["r", "\r"],
  ["n", "\n"],
]);
const ESCAPES = new Map([
  [";", "\\:"],
  [" ", "\\s"],
  ["\\", "\\\\"],
  ["\r", "\\r"],
  ["\n", "\\n"],
]);

/** The line is not an IRC message (the sender's fault). */
export class ParseError extends Error {
  constructor(message) {
    super(message);
    this.name = "ParseError";
  }
}

/** Undo message-tags escaping; an invalid escape drops its backslash. */
export function unescapeTagValue(value) {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === "\\") {
      // A trailing lone backslash is dropped (message-tags spec).
      const following = i + 1 < value.length ? value[++i] : "";
      out += UNESCAPES.has(following) ? UNESCAPES.get(following) : following;
    } else {
      out += char;
    }
  }
  return out;
}

/** Escape a tag value for the wire. */
export function escapeTagValue(value) {
  let out = "";
  for (const char of value) out += ESCAPES.get(char) ?? char;
  return out;
}

/** One IRC message. `tags` maps a tag key to its (unescaped) value, "" if none. */
export class Message {
  constructor(command, params = [], source = null, tags = new Map()) {
    this.command = command;
    this.params = Object.freeze([...params]);
    this.source = source;
    this.tags = tags instanceof Map ? tags : new Map(Object.entries(tags));
    Object.freeze(this);
  }

  /** The parameter at `index`, or `fallback` when there are fewer. */
  param(index, fallback = "") {
    return index < this.params.length ? this.params[index] : fallback;
  }
}

/** Python's str.partition: [head, separator, tail]; tail is "" when absent. */
function partition(text, separator) {
  const at = text.indexOf(separator);
  if (at < 0) return [text, "", ""];
  return [text.slice(0, at), separator, text.slice(at + separator.length)];
}

function lstripSpaces(text) {
  return text.replace(/^ +/, "");
}

function parseTags(raw) {
  const tags = new Map();
  for (const item of raw.split(";")) {
    if (!item) continue;
    const [key, , value] = partition(item, "=");
    if (!key) throw new ParseError("empty tag key");
    // message-tags: if a key is repeated, the last one wins.
    tags.set(key, unescapeTagValue(value));
  }
  return tags;
}

/**
 * Parse one line (without its CRLF) into a Message.
 * @throws {ParseError} the line is empty or has no command.
 */
export function parseMessage(line) {
  let rest = lstripSpaces(line);
  let tags = new Map();
  if (rest.startsWith("@")) {
    let rawTags;
    [rawTags, , rest] = partition(rest.slice(1), " ");
    tags = parseTags(rawTags);
    rest = lstripSpaces(rest);
  }
  let source = null;
  if (rest.startsWith(":")) {
    [source, , rest] = partition(rest.slice(1), " ");
    rest = lstripSpaces(rest);
  }
  let trailing = null;
  if (rest.includes(" :")) {
    [rest, , trailing] = partition(rest, " :");
  } else if (rest.startsWith(":")) {
    throw new ParseError("missing command");
  }
  // Modern: parameters are separated by one or more spaces.
  const words = rest.split(" ").filter((word) => word);
  if (words.length === 0) throw new ParseError("missing command");
  const command = words[0].toUpperCase();
  const params = words.slice(1);
  if (trailing !== null) params.push(trailing);
  return new Message(command, params, source, tags);
}

/** Render tags as `@a=b;c` (without the trailing space), or "" when empty. */
export function formatTags(tags) {
  const entries = tags instanceof Map ? [...tags] : Object.entries(tags);
  if (entries.length === 0) return "";
  const parts = entries.map(([key, value]) =>
    value ? `${key}=${escapeTagValue(value)}` : key,
  );
  return "@" + parts.join(";");
}

/** Render a Message as one line, without CRLF. */
export function formatMessage(message) {
  const pieces = [];
  if (message.tags.size) pieces.push(formatTags(message.tags));
  if (message.source) pieces.push(":" + message.source);
  pieces.push(message.command);
  const params = message.params;
  if (params.length) {
    pieces.push(...params.slice(0, -1));
    let last = params[params.length - 1];
    if (!last || last.includes(" ") || last.startsWith(":")) last = ":" + last;
    pieces.push(last);
  }
  return pieces.join(" ");
}

// The parts of IRC a client needs beyond the wire format.

/** `nick!user@host` as {nick, user, host}; a server name is all nick. */
export function parseSource(source) {
  if (!source) return { nick: "", user: "", host: "" };
  const [nickUser, , host] = partition(source, "@");
  const [nick, , user] = partition(nickUser, "!");
  return { nick, user, host };
}

/** The nick of a message's source (the server's name for a server). */
export function nickOf(source) {
  return parseSource(source).nick;
}

const RFC1459_UPPER = { "[": "{", "]": "}", "\\": "|", "~": "^" };

/**
 * Fold a nick or channel name for comparison, by the server's CASEMAPPING
 * (https://modern.ircdocs.horse/#casemapping-parameter).
 */
export function casefold(name, casemapping = "rfc1459") {
  const lower = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (casemapping === "ascii") return lower;
  const specials = casemapping === "strict-rfc1459" ? /[[\]\\]/g : /[[\]\\~]/g;
  return lower.replace(specials, (c) => RFC1459_UPPER[c]);
}

/** CTCP ACTION (`/me`): the action's text, or null for any other message. */
export function parseAction(text) {
  const match = /^\x01ACTION(?: (.*?))?\x01?$/s.exec(text);
  return match ? (match[1] ?? "") : null;
}

/** Other CTCP queries: {query, argument}, or null for plain text. */
export function parseCtcp(text) {
  if (!text.startsWith("\x01")) return null;
  const body = text.replace(/^\x01|\x01$/g, "");
  const [query, , argument] = partition(body, " ");
  return { query: query.toUpperCase(), argument };
}

/** IRCv3 server-time (`time` tag) as a Date, or null when absent or invalid. */
export function serverTime(message) {
  const value = message.tags.get("time");
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A Date as a chathistory timestamp reference value. */
export function formatTimestamp(date) {
  return date.toISOString();
}
