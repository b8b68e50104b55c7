// state.js: what the client knows, changed only by server messages and the
// person's choices; no DOM.
import assert from "node:assert/strict";
import { test } from "node:test";

import { parseMessage } from "../../../src/hubbub/web/static/src/irc.js";
import { ChatState, SERVER_KEY, sortedMembers } from "../../../src/hubbub/web/static/src/state.js";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const at = (seconds) => new Date(T0 + seconds * 1000).toISOString();

/** A state that has registered as alice and joined #room with bob and carol. */
function session() {
  const state = new ChatState({ now: () => new Date(T0) });
  const events = [];
  for (const type of ["joined", "mention", "history-wanted", "ctcp", "nick"]) {
    state.on(type, (detail) => events.push({ type, ...detail }));
  }
  const feed = (...lines) => lines.forEach((line) => state.handle(parseMessage(line)));
  feed(
    ":irc.test 001 alice :Welcome to the test network, alice",
    ":irc.test 005 alice CHANTYPES=#& PREFIX=(ov)@+ NETWORK=TestNet CHATHISTORY=100 soju.im/FILEHOST=http://127.0.0.1:9/upload :are supported",
    `@time=${at(0)} :alice!a@h JOIN #room * :Alice`,
    ":irc.test 353 alice = #room :carol!c@h @bob!b@h +alice!a@h",
    ":irc.test 366 alice #room :End of /NAMES list",
  );
  return { state, feed, events };
}

const texts = (buffer) => buffer.lines.map((line) => line.text);

test("joining makes a room with its members, ranked", () => {
  const { state, events } = session();
  const room = state.find("#ROOM");
  assert.equal(room.kind, "channel");
  assert.ok(room.joined);
  assert.deepEqual(
    sortedMembers(room, state.isupport.prefixes).map((m) => m.prefixes + m.nick),
    ["@bob", "+alice", "carol"],
  );
  assert.deepEqual(texts(room), ["You joined #room"]);
  assert.equal(events[0].type, "joined");
  assert.equal(state.serverBuffer.name, "TestNet");
  assert.equal(state.isupport.filehost, "http://127.0.0.1:9/upload");
  assert.equal(state.isupport.chathistory, 100);
  assert.deepEqual(texts(state.serverBuffer), ["Welcome to the test network, alice"]);
});

test("messages in another buffer count as unread until it is selected", () => {
  const { state, feed } = session();
  assert.equal(state.current, SERVER_KEY);
  feed(`@time=${at(1)};msgid=m1 :bob!b@h PRIVMSG #room :hello`);
  feed(`@time=${at(2)} :carol!c@h JOIN #room`); // events are not unread
  const room = state.find("#room");
  assert.equal(room.unread, 1);
  assert.equal(room.highlights, 0);
  const line = room.lines.find((l) => l.msgid === "m1");
  assert.equal(line.time.toISOString(), at(1));
  assert.equal(line.nick, "bob");
  state.select(room.key);
  assert.equal(room.unread, 0);
});

test("a mention highlights and asks for a notification", () => {
  const { state, feed, events } = session();
  feed(":bob!b@h PRIVMSG #room :alice: look at this");
  const room = state.find("#room");
  assert.equal(room.highlights, 1);
  assert.ok(room.lines.at(-1).mention);
  assert.equal(events.filter((e) => e.type === "mention").length, 1);
});

test("private messages open a conversation; our echo goes to the person's", () => {
  const { state, feed, events } = session();
  feed("@msgid=p1 :bob!b@h PRIVMSG alice :psst");
  const query = state.find("bob");
  assert.equal(query.kind, "query");
  assert.deepEqual(texts(query), ["psst"]);
  assert.ok(events.some((e) => e.type === "history-wanted" && e.buffer === query));
  assert.ok(events.some((e) => e.type === "mention" && e.buffer === query));
  feed("@msgid=p2 :alice!a@h PRIVMSG bob :hi!");
  feed("@msgid=p2 :alice!a@h PRIVMSG bob :hi!"); // the same message twice
  assert.deepEqual(texts(query), ["psst", "hi!"]);
  assert.ok(query.lines.at(-1).self);
});

test("a server notice goes to the server buffer, a user's to the current one", () => {
  const { state, feed } = session();
  feed(":irc.test NOTICE alice :maintenance at noon");
  assert.equal(state.serverBuffer.lines.at(-1).text, "maintenance at noon");
  state.select(state.find("#room").key);
  feed(":NickServ!s@services NOTICE alice :You are now identified");
  assert.equal(state.find("#room").lines.at(-1).text, "You are now identified");
  assert.equal(state.find("NickServ"), null);
});

test("/me actions, formatting codes, and CTCP queries", () => {
  const { state, feed, events } = session();
  feed(":bob!b@h PRIVMSG #room :\x01ACTION \x02waves\x02\x01");
  const line = state.find("#room").lines.at(-1);
  assert.equal(line.kind, "action");
  assert.equal(line.text, "waves");
  feed(":bob!b@h PRIVMSG alice :\x01VERSION\x01");
  assert.equal(state.find("bob"), null);
  assert.deepEqual(events.at(-1), { type: "ctcp", nick: "bob", query: "VERSION", argument: "" });
  // A query sent to a room is not answered: every web client there would.
  const count = events.filter((event) => event.type === "ctcp").length;
  feed(":bob!b@h PRIVMSG #room :\x01VERSION\x01");
  assert.equal(events.filter((event) => event.type === "ctcp").length, count);
});

test("a buffer keeps its newest lines, and forgets the ids of those it drops", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  for (let i = 0; i < 5600; i += 1) {
    feed(`@msgid=m${i} :bob!b@h PRIVMSG #room :line ${i}`);
  }
  assert.ok(room.lines.length <= 5500);
  assert.equal(room.lines.at(-1).text, "line 5599");
  assert.ok(room.msgids.size <= 5500);
  assert.ok(!room.msgids.has("m0"));
  assert.ok(room.msgids.has("m5599"));
});

test("history merges in time order, without repeats, and not as unread", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  state.requestHistory(room, "latest", 50);
  assert.ok(room.loadingHistory);
  feed(
    ":irc.test BATCH +h1 chathistory #room",
    `@batch=h1;time=${at(-60)};msgid=o1 :bob!b@h PRIVMSG #room :older one`,
    `@batch=h1;time=${at(-30)};msgid=o2 :carol!c@h PRIVMSG #room :older two`,
    `@batch=h1;time=${at(0)};msgid=j1 :alice!a@h JOIN #room`, // the live JOIN again
    ":irc.test BATCH -h1",
  );
  assert.deepEqual(texts(room), ["older one", "older two", "You joined #room"]);
  assert.equal(room.unread, 0);
  assert.ok(!room.loadingHistory);
  assert.ok(room.history.exhausted, "fewer than asked for: nothing older");
  assert.equal(room.oldestReference(), "msgid=o1");
});

test("a full page of history leaves more to load", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  state.requestHistory(room, "before", 2);
  feed(
    ":irc.test BATCH +h2 chathistory #room",
    `@batch=h2;time=${at(-9)};msgid=a :bob!b@h PRIVMSG #room :a`,
    `@batch=h2;time=${at(-8)};msgid=b :bob!b@h PRIVMSG #room :b`,
    ":irc.test BATCH -h2",
  );
  assert.ok(!room.history.exhausted);
  assert.deepEqual(texts(room).slice(0, 2), ["a", "b"]);
});

test("a history batch inside a labeled-response batch still counts as history", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  state.requestHistory(room, "before", 10);
  feed(
    "@label=x :irc.test BATCH +outer labeled-response",
    "@batch=outer :irc.test BATCH +inner chathistory #room",
    `@batch=inner;time=${at(-5)};msgid=q :bob!b@h PRIVMSG #room :from history`,
    ":irc.test BATCH -inner",
    ":irc.test BATCH -outer",
  );
  assert.equal(room.lines[0].text, "from history");
});

test("nick changes follow the person, and their conversation", () => {
  const { state, feed } = session();
  feed(":bob!b@h PRIVMSG alice :hi");
  feed(":bob!b@h NICK robert");
  const room = state.find("#room");
  assert.ok(room.members.has("robert"));
  assert.ok(!room.members.has("bob"));
  assert.equal(room.members.get("robert").prefixes, "@");
  assert.equal(room.lines.at(-1).text, "bob is now known as robert");
  assert.equal(state.find("bob"), null);
  assert.equal(state.find("robert").name, "robert");
  feed(":alice!a@h NICK alicia");
  assert.equal(state.nick, "alicia");
  assert.equal(room.lines.at(-1).text, "You are now known as alicia");
});

test("quits, parts and kicks leave the member lists", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  feed(":carol!c@h QUIT :Ping timeout");
  assert.ok(!room.members.has("carol"));
  assert.equal(room.lines.at(-1).text, "carol quit (Ping timeout)");
  feed(":bob!b@h KICK #room alice :be nice");
  assert.equal(room.lines.at(-1).text, "You were removed from #room by bob (be nice)");
  assert.ok(!room.joined);
  assert.equal(room.members.size, 0);
  assert.deepEqual(state.roomsToRejoin(), []);
});

test("after a disconnect the rooms we were in are rejoined", () => {
  const { state } = session();
  state.disconnected();
  const room = state.find("#room");
  assert.ok(!room.joined);
  assert.deepEqual(state.roomsToRejoin(), ["#room"]);
});

test("topics and modes", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  feed(":irc.test 332 alice #room :\x02Welcome\x02 <b>all</b>");
  assert.equal(room.topic, "Welcome <b>all</b>");
  feed(":bob!b@h TOPIC #room :new topic");
  assert.equal(room.topic, "new topic");
  assert.equal(room.lines.at(-1).text, "bob changed the topic to: new topic");
  feed(":bob!b@h MODE #room +ov-v carol carol alice");
  assert.equal(room.members.get("carol").prefixes, "@+");
  assert.equal(room.members.get("alice").prefixes, "");
  feed(":bob!b@h MODE #room +k-o secret carol");
  assert.equal(room.members.get("carol").prefixes, "+");
});

test("errors from the server show in the current buffer", () => {
  const { state, feed } = session();
  feed(":irc.test 401 alice nobody :No such nick/channel");
  const line = state.serverBuffer.lines.at(-1);
  assert.equal(line.kind, "error");
  assert.equal(line.text, "nobody: No such nick/channel");
  feed(":irc.test FAIL REGISTER WEAK_PASSWORD :Password too weak");
  assert.equal(state.serverBuffer.lines.at(-1).text, "Password too weak");
});

test("a refused history request stops the loading", () => {
  const { state, feed } = session();
  const room = state.find("#room");
  state.requestHistory(room, "before", 50);
  feed(":irc.test FAIL CHATHISTORY INVALID_TARGET BEFORE #room :No such channel history");
  assert.ok(!room.loadingHistory);
  assert.ok(room.history.exhausted);
});

test("closing the current buffer selects another", () => {
  const { state, feed } = session();
  feed(":bob!b@h PRIVMSG alice :hi");
  state.select(state.find("bob").key);
  state.close(state.find("bob").key);
  assert.equal(state.currentBuffer.name, "#room");
  assert.deepEqual(state.bufferList().map((b) => b.kind), ["server", "channel"]);
});

test("away-notify and CHATHISTORY TARGETS", () => {
  const { state, feed, events } = session();
  feed(":bob!b@h AWAY :lunch");
  assert.ok(state.find("#room").members.get("bob").away);
  feed(":bob!b@h AWAY");
  assert.ok(!state.find("#room").members.get("bob").away);
  feed(
    ":irc.test BATCH +t draft/chathistory-targets",
    `@batch=t :irc.test CHATHISTORY TARGETS dave timestamp=${at(-100)}`,
    `@batch=t :irc.test CHATHISTORY TARGETS #room timestamp=${at(-50)}`,
    ":irc.test BATCH -t",
  );
  assert.equal(state.find("dave").kind, "query");
  assert.equal(events.filter((e) => e.type === "history-wanted").length, 1);
});

test("NAMES asked for by the person is shown; the automatic one is not", () => {
  const { state, feed } = session();
  assert.ok(!state.serverBuffer.lines.some((line) => line.text.startsWith("In #room")));
  state.showNames("#room");
  feed(":irc.test 353 alice = #room :@bob!b@h alice!a@h", ":irc.test 366 alice #room :End");
  assert.equal(state.serverBuffer.lines.at(-1).text, "In #room: @bob alice");
  assert.equal(state.find("#room").members.size, 2);
  feed(":irc.test 353 alice = #elsewhere :zed", ":irc.test 366 alice #elsewhere :End");
  assert.equal(state.serverBuffer.lines.at(-1).text, "In #elsewhere: zed");
});

test("history for a buffer closed meanwhile is dropped", () => {
  const { state, feed } = session();
  feed(":bob!b@h PRIVMSG alice :hi");
  const query = state.find("bob");
  state.requestHistory(query, "latest", 50);
  state.close(query.key);
  feed(
    ":irc.test BATCH +z chathistory bob",
    "@batch=z;msgid=x :bob!b@h PRIVMSG alice :old",
    ":irc.test BATCH -z",
  );
  assert.equal(state.find("bob"), null);
});
