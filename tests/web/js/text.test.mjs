// text.js: formatting codes, links, mentions, splitting long text.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  mentions,
  nickHue,
  safeUrl,
  splitForSending,
  splitLinks,
  stripFormatting,
  utf8Length,
} from "../../../src/hubbub/web/static/src/text.js";

test("formatting codes are removed", () => {
  assert.equal(stripFormatting("\x02bold\x02 \x0304,12red\x03 \x1ditalic\x0f"), "bold red italic");
  assert.equal(stripFormatting("\x04ff0000hex\x04"), "hex");
  assert.equal(stripFormatting("plain 😀"), "plain 😀");
});

test("links are found, and the segments give the text back", () => {
  const text = "see https://example.com/a?b=1&c=<d>, (also http://x.org/wiki/Foo_(bar)). ok";
  const segments = splitLinks(text);
  assert.equal(segments.map((s) => s.text).join(""), text);
  const links = segments.filter((s) => s.href).map((s) => s.text);
  assert.deepEqual(links, ["https://example.com/a?b=1&c=", "http://x.org/wiki/Foo_(bar)"]);
});

test("trailing punctuation is not part of a link", () => {
  const [, link] = splitLinks("go to https://example.com/page. now");
  assert.equal(link.text, "https://example.com/page");
  assert.equal(link.href, "https://example.com/page");
});

test("only http and https become links", () => {
  for (const text of ["javascript:alert(1)", "data:text/html,<script>", "ftp://x", "<img src=x onerror=alert(1)>"]) {
    assert.deepEqual(splitLinks(text), [{ text }]);
  }
  assert.equal(safeUrl("javascript:alert(1)"), null);
  assert.equal(safeUrl("https://ok.example/").href, "https://ok.example/");
});

test("mentions match the nick as a word", () => {
  assert.ok(mentions("alice: hi", "alice"));
  assert.ok(mentions("hi @Alice!", "alice"));
  assert.ok(mentions("ALICE", "alice"));
  assert.ok(mentions("ping [x]y", "[x]y"));
  assert.ok(!mentions("malice", "alice"));
  assert.ok(!mentions("alice_2 hi", "alice"));
  assert.ok(!mentions("anything", ""));
});

test("long text is cut on character boundaries, preferably at spaces", () => {
  const words = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
  const pieces = splitForSending(words, 50);
  assert.ok(pieces.every((piece) => utf8Length(piece) <= 50));
  assert.equal(pieces.join(" "), words);
  const emoji = "😀".repeat(30); // 4 bytes each
  const cut = splitForSending(emoji, 10);
  assert.ok(cut.every((piece) => utf8Length(piece) <= 10 && piece === "😀".repeat(piece.length / 2)));
  assert.equal(cut.join(""), emoji);
});

test("each line of pasted text is its own message; empty lines go", () => {
  assert.deepEqual(splitForSending("one\n\ntwo\r\nthree  ", 100), ["one", "two", "three  "]);
  assert.deepEqual(splitForSending("   ", 100), []);
});

test("a nick keeps its colour", () => {
  assert.equal(nickHue("alice"), nickHue("ALICE"));
  assert.ok(nickHue("bob") >= 0 && nickHue("bob") < 360);
});
