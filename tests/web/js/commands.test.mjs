// commands.js: slash commands parsed into actions, like the terminal client's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatMessage } from "../../../src/hubbub/web/static/src/irc.js";
import { COMMANDS, InputError, helpText, parseInput } from "../../../src/hubbub/web/static/src/commands.js";

const isChannel = (name) => "#&".includes(name[0]);
const inRoom = { target: "#room", channel: "#room", isJoined: true, chantypes: "#&", isChannel };
const inQuery = { target: "bob", channel: null, isJoined: true, chantypes: "#&", isChannel };
const inServer = { target: null, channel: null, isJoined: true, chantypes: "#&", isChannel };

/** The IRC lines an input sends (for "send" actions). */
function lines(text, context = inRoom) {
  return parseInput(text, context)
    .filter((action) => action.type === "send")
    .map((action) => formatMessage(action.message));
}

test("plain text is said in the current room or conversation", () => {
  assert.deepEqual(parseInput("hello there", inRoom), [
    { type: "say", target: "#room", text: "hello there", kind: "privmsg" },
  ]);
  assert.deepEqual(parseInput("hi", inQuery)[0].target, "bob");
  assert.deepEqual(parseInput("   ", inRoom), []);
});

test("// sends text that starts with a slash", () => {
  assert.equal(parseInput("//shrug", inRoom)[0].text, "/shrug");
});

test("text in the server window or a room one left is refused with a hint", () => {
  assert.throws(() => parseInput("hi", inServer), /join #room/);
  assert.throws(() => parseInput("hi", { ...inRoom, isJoined: false }), /not in #room/);
});

test("/join adds the channel prefix and keeps a key", () => {
  assert.deepEqual(parseInput("/join tea", inServer), [{ type: "join", channel: "#tea", key: null }]);
  assert.deepEqual(parseInput("/j #tea secret", inServer), [{ type: "join", channel: "#tea", key: "secret" }]);
  assert.throws(() => parseInput("/join", inServer), /Usage: \/join/);
});

test("/part leaves the current room, with a reason, or closes a conversation", () => {
  assert.deepEqual(lines("/part"), ["PART #room"]);
  assert.deepEqual(lines("/part bye all"), ["PART #room :bye all"]);
  assert.deepEqual(lines("/part #other see you"), ["PART #other :see you"]);
  assert.deepEqual(parseInput("/part", inQuery), [{ type: "close", name: "bob" }]);
  assert.throws(() => parseInput("/part", inServer), InputError);
});

test("/msg, /query, /me and /notice", () => {
  assert.deepEqual(parseInput("/msg bob  hi  there", inRoom), [
    { type: "say", target: "bob", text: "hi  there", kind: "privmsg" },
  ]);
  assert.deepEqual(parseInput("/query bob hello", inRoom), [
    { type: "open", name: "bob" },
    { type: "say", target: "bob", text: "hello", kind: "privmsg" },
  ]);
  assert.throws(() => parseInput("/query #room", inRoom), /not a nickname/);
  assert.deepEqual(parseInput("/me waves", inRoom), [
    { type: "say", target: "#room", text: "waves", kind: "action" },
  ]);
  assert.throws(() => parseInput("/me waves", inServer), InputError);
  assert.equal(parseInput("/notice bob psst", inRoom)[0].kind, "notice");
});

test("commands that send one IRC line", () => {
  assert.deepEqual(lines("/nick newname"), ["NICK newname"]);
  assert.throws(() => parseInput("/nick two words", inRoom), /spaces/);
  assert.deepEqual(lines("/topic"), ["TOPIC #room"]);
  assert.deepEqual(lines("/topic new topic here"), ["TOPIC #room :new topic here"]);
  assert.deepEqual(lines("/topic #x set"), ["TOPIC #x set"]);
  assert.deepEqual(lines("/names"), ["NAMES #room"]);
  assert.deepEqual(lines("/whois bob"), ["WHOIS bob"]);
  assert.deepEqual(lines("/who"), ["WHO #room"]);
  assert.deepEqual(lines("/list"), ["LIST"]);
  assert.deepEqual(lines("/away lunch time"), ["AWAY :lunch time"]);
  assert.deepEqual(lines("/away"), ["AWAY away"]);
  assert.deepEqual(lines("/back"), ["AWAY"]);
  assert.deepEqual(lines("/invite bob"), ["INVITE bob #room"]);
  assert.deepEqual(lines("/kick bob be nice"), ["KICK #room bob :be nice"]);
  assert.deepEqual(lines("/mode +m"), ["MODE #room +m"]);
  assert.deepEqual(lines("/mode #x +o bob"), ["MODE #x +o bob"]);
  assert.deepEqual(lines("/raw PRIVMSG #x :raw text"), ["PRIVMSG #x :raw text"]);
  assert.deepEqual(lines("/quote PING x"), ["PING x"]);
});

test("/raw refuses what is not an IRC line", () => {
  assert.throws(() => parseInput("/raw :only-a-source", inRoom), /Not an IRC line/);
});

test("unknown commands point to /help", () => {
  assert.throws(() => parseInput("/frobnicate", inRoom), /Unknown command \/frobnicate: \/help/);
});

test("/help lists every command, or explains one", () => {
  const [action] = parseInput("/help", inRoom);
  for (const entry of COMMANDS.values()) {
    if (!entry.alias) assert.ok(action.text.includes(entry.usage), entry.usage);
  }
  assert.equal(helpText("/join"), "/join #room [key]: join a room (and show it)");
  assert.throws(() => helpText("nope"), /No command \/nope/);
});

test("/upload, /clear, /close and /quit are actions for the app", () => {
  assert.deepEqual(parseInput("/upload", inRoom), [{ type: "upload" }]);
  assert.deepEqual(parseInput("/clear", inRoom), [{ type: "clear" }]);
  assert.deepEqual(parseInput("/close", inQuery), [{ type: "close", name: "bob" }]);
  assert.equal(formatMessage(parseInput("/close", inRoom)[0].message), "PART #room");
  assert.deepEqual(parseInput("/quit gone fishing", inRoom), [{ type: "quit", reason: "gone fishing" }]);
});
