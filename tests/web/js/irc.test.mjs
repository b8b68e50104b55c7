// irc.js against the parser cases shared with protocol/message.py
// (tests/data/message_cases.json), and the same formatting rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  Message,
  ParseError,
  casefold,
  escapeTagValue,
  formatMessage,
  formatTags,
  parseAction,
  parseCtcp,
  parseMessage,
  parseSource,
  serverTime,
  unescapeTagValue,
} from "../../../src/hubbub/web/static/src/irc.js";

const CASES = JSON.parse(
  readFileSync(new URL("../../data/message_cases.json", import.meta.url), "utf8"),
);

/** A parsed message as the plain shape the JSON cases use. */
function plain(message) {
  return {
    command: message.command,
    params: [...message.params],
    source: message.source,
    tags: Object.fromEntries(message.tags),
  };
}

describe("parseMessage matches the shared cases", () => {
  for (const { line, ...expected } of CASES) {
    test(JSON.stringify(line), () => {
      assert.deepEqual(plain(parseMessage(line)), expected);
    });
  }
});

describe("formatMessage round-trips the shared cases", () => {
  for (const { line } of CASES) {
    test(JSON.stringify(line), () => {
      const message = parseMessage(line);
      assert.deepEqual(plain(parseMessage(formatMessage(message))), plain(message));
    });
  }
});

test("lines without a command are parse errors", () => {
  for (const line of ["", "   ", ":source", ":source   ", "@a=b", "@a=b :src"]) {
    assert.throws(() => parseMessage(line), ParseError, JSON.stringify(line));
  }
});

test("formatMessage adds a colon only where needed", () => {
  assert.equal(formatMessage(new Message("JOIN", ["#a"], "n!u@h")), ":n!u@h JOIN #a");
  assert.equal(formatMessage(new Message("PRIVMSG", ["#a", "hi you"])), "PRIVMSG #a :hi you");
  assert.equal(formatMessage(new Message("PRIVMSG", ["#a", ""])), "PRIVMSG #a :");
  assert.equal(formatMessage(new Message("PRIVMSG", ["#a", ":)"])), "PRIVMSG #a ::)");
  assert.equal(formatMessage(new Message("CAP", ["END"])), "CAP END");
});

test("formatMessage escapes tag values", () => {
  const message = new Message("TAGMSG", ["#a"], null, { "+x": "a b;c", "+y": "" });
  assert.equal(formatMessage(message), "@+x=a\\sb\\:c;+y TAGMSG #a");
  assert.equal(formatTags(new Map()), "");
});

test("message.param returns a default when missing", () => {
  const message = new Message("NICK");
  assert.equal(message.param(0), "");
  assert.equal(message.param(2, "x"), "x");
});

test("a tag named __proto__ is just a tag", () => {
  const message = parseMessage("@__proto__=x;constructor=y CMD");
  assert.equal(message.tags.get("__proto__"), "x");
  assert.equal(message.tags.get("constructor"), "y");
});

test("tag escaping round-trips", () => {
  const samples = ["", "plain", "a b", "semi;colon", "back\\slash", "cr\rlf\n", "\\s", ";;  \\\\", "émoji 😀"];
  for (let i = 0; i < 200; i++) {
    let random = "";
    for (let j = 0; j < 12; j++) random += " ;\\\rnsa:é"[Math.floor(Math.random() * 10)] ?? "x";
    samples.push(random);
  }
  for (const value of samples) {
    assert.equal(unescapeTagValue(escapeTagValue(value)), value, JSON.stringify(value));
  }
});

test("parseSource splits nick, user and host", () => {
  assert.deepEqual(parseSource("nick!user@host"), { nick: "nick", user: "user", host: "host" });
  assert.deepEqual(parseSource("irc.example"), { nick: "irc.example", user: "", host: "" });
  assert.deepEqual(parseSource(null), { nick: "", user: "", host: "" });
});

test("casefold follows rfc1459 by default", () => {
  assert.equal(casefold("Nick[A]\\~"), "nick{a}|^");
  assert.equal(casefold("Nick[A]\\~", "strict-rfc1459"), "nick{a}|~");
  assert.equal(casefold("Nick[A]", "ascii"), "nick[a]");
  assert.equal(casefold("ÉCOLE"), "École"); // only ASCII letters fold
});

test("CTCP ACTION and other CTCP queries", () => {
  assert.equal(parseAction("\x01ACTION waves\x01"), "waves");
  assert.equal(parseAction("\x01ACTION waves"), "waves");
  assert.equal(parseAction("\x01ACTION\x01"), "");
  assert.equal(parseAction("hello"), null);
  assert.deepEqual(parseCtcp("\x01version\x01"), { query: "VERSION", argument: "" });
  assert.deepEqual(parseCtcp("\x01PING 123\x01"), { query: "PING", argument: "123" });
  assert.equal(parseCtcp("hi"), null);
});

test("serverTime reads the time tag", () => {
  const message = parseMessage("@time=2026-01-02T03:04:05.678Z :a!b@c PRIVMSG #x :hi");
  assert.equal(serverTime(message).toISOString(), "2026-01-02T03:04:05.678Z");
  assert.equal(serverTime(parseMessage("@time=nonsense PING")), null);
  assert.equal(serverTime(parseMessage("PING")), null);
});
