// connection.js over a fake WebSocket and fake timers: registration,
// capabilities, SASL PLAIN, keepalive, and reconnecting with backoff.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Connection,
  SUBPROTOCOL,
  authenticateLines,
  backoffDelay,
  defaultSocketUrl,
  saslPlainPayload,
} from "../../../src/hubbub/web/static/src/connection.js";

/** A WebSocket the test drives: it records what the client sends. */
class FakeSocket {
  static all = [];

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }

  send(line) {
    this.sent.push(line);
  }

  close() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({});
  }

  // The server's side.
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(...lines) {
    for (const line of lines) this.onmessage?.({ data: line });
  }

  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
}

/** Timers that run only when the test says so. */
class FakeTimers {
  constructor() {
    this.queue = new Map();
    this.next = 1;
  }

  setTimeout(callback, ms) {
    const id = this.next++;
    this.queue.set(id, { callback, ms });
    return id;
  }

  clearTimeout(id) {
    this.queue.delete(id);
  }

  /** Run the pending timer that was set for `ms`. */
  fire(ms) {
    for (const [id, timer] of this.queue) {
      if (timer.ms === ms) {
        this.queue.delete(id);
        timer.callback();
        return;
      }
    }
    throw new Error(`no timer for ${ms} ms`);
  }
}

function connect(options = {}) {
  FakeSocket.all = [];
  const timers = new FakeTimers();
  const connection = new Connection({
    url: "ws://chat.test/ws",
    nick: "alice",
    WebSocket: FakeSocket,
    timers,
    ...options,
  });
  const statuses = [];
  const registered = [];
  connection.on("status", (status) => statuses.push(status));
  connection.on("registered", (detail) => registered.push(detail));
  connection.start();
  const socket = FakeSocket.all[0];
  socket.open();
  return { connection, socket, timers, statuses, registered };
}

const LS = ":irc.test CAP * LS :message-tags server-time echo-message batch draft/chathistory sasl=PLAIN,SCRAM-SHA-256 unknown-cap";

test("registration: CAP LS, NICK and USER, then the wanted capabilities", () => {
  const { socket, registered, statuses } = connect();
  assert.equal(socket.url, "ws://chat.test/ws");
  assert.deepEqual(socket.protocols, [SUBPROTOCOL]);
  assert.deepEqual(socket.sent, ["CAP LS 302", "NICK alice", "USER alice 0 * alice"]);
  socket.receive(LS);
  assert.equal(socket.sent.at(-1), "CAP REQ :message-tags server-time echo-message batch draft/chathistory");
  socket.receive(":irc.test CAP alice ACK :message-tags server-time echo-message batch draft/chathistory");
  assert.equal(socket.sent.at(-1), "CAP END");
  socket.receive(":irc.test 001 alice :Welcome");
  assert.equal(registered.length, 1);
  assert.ok(registered[0].caps.has("draft/chathistory"));
  assert.deepEqual(statuses.map((s) => s.state), ["connecting", "registering", "connected"]);
});

test("a multi-line CAP LS is read to its end before requesting", () => {
  const { socket } = connect();
  socket.receive(":irc.test CAP * LS * :message-tags server-time");
  assert.equal(socket.sent.length, 3);
  socket.receive(":irc.test CAP * LS :batch");
  assert.equal(socket.sent.at(-1), "CAP REQ :message-tags server-time batch");
});

test("SASL PLAIN logs in with the account and password", () => {
  const { socket } = connect({ account: "alice", password: "pässword" });
  socket.receive(LS);
  assert.match(socket.sent.at(-1), / sasl$/);
  socket.receive(":irc.test CAP alice ACK :message-tags sasl");
  assert.equal(socket.sent.at(-1), "AUTHENTICATE PLAIN");
  socket.receive("AUTHENTICATE +");
  const payload = socket.sent.at(-1).split(" ")[1];
  assert.equal(Buffer.from(payload, "base64").toString("utf8"), "alice\0alice\0pässword");
  socket.receive(":irc.test 900 alice alice!a@h alice :You are now logged in as alice", ":irc.test 903 alice :SASL authentication successful");
  assert.equal(socket.sent.at(-1), "CAP END");
});

test("a wrong password stops with a clear message and no retry", () => {
  const { socket, statuses, timers } = connect({ account: "alice", password: "wrong" });
  socket.receive(LS, ":irc.test CAP alice ACK :sasl", "AUTHENTICATE +");
  socket.receive(":irc.test 904 alice :SASL authentication failed");
  const last = statuses.at(-1);
  assert.equal(last.state, "closed");
  assert.ok(last.fatal);
  assert.match(last.reason, /Login failed/);
  assert.equal(timers.queue.size, 0);
});

test("a server without SASL is refused when logging in", () => {
  const { socket, statuses } = connect({ account: "alice", password: "x" });
  socket.receive(":irc.test CAP * LS :message-tags");
  assert.match(statuses.at(-1).reason, /does not offer account login/);
});

test("a taken nick is retried with underscores before registration", () => {
  const { socket } = connect();
  socket.receive(":irc.test 433 * alice :Nickname is already in use");
  assert.equal(socket.sent.at(-1), "NICK alice_");
  socket.receive(":irc.test 433 * alice_ :Nickname is already in use");
  assert.equal(socket.sent.at(-1), "NICK alice__");
});

test("an invalid nick is a clear message", () => {
  const { socket, statuses } = connect();
  socket.receive(":irc.test 432 * alice :Erroneous nickname");
  assert.match(statuses.at(-1).reason, /cannot be used as a nickname/);
});

test("PING is answered", () => {
  const { socket } = connect();
  socket.receive("PING :token 1");
  assert.equal(socket.sent.at(-1), "PONG :token 1");
});

test("a lost connection is retried with growing delays, and the count resets", () => {
  const random = Math.random;
  Math.random = () => 1; // the longest delay of each step
  try {
    const { socket, statuses, timers, connection } = connect();
    socket.receive(":irc.test 001 alice :Welcome");
    socket.drop();
    const waiting = statuses.at(-1);
    assert.equal(waiting.state, "waiting");
    assert.equal(waiting.retryIn, 1000);
    assert.match(waiting.reason, /lost/);
    timers.fire(1000);
    assert.equal(FakeSocket.all.length, 2);
    FakeSocket.all[1].drop(); // never opened
    assert.equal(statuses.at(-1).retryIn, 2000);
    assert.match(statuses.at(-1).reason, /Could not reach/);
    timers.fire(2000);
    const third = FakeSocket.all[2];
    third.open();
    assert.deepEqual(third.sent.slice(0, 2), ["CAP LS 302", "NICK alice"]);
    third.receive(":irc.test 001 alice :Welcome");
    third.drop();
    assert.equal(statuses.at(-1).retryIn, 1000);
    connection.close();
  } finally {
    Math.random = random;
  }
});

test("close() quits and does not come back", () => {
  const { socket, connection, timers, statuses } = connect();
  socket.receive(":irc.test 001 alice :Welcome");
  connection.close("bye");
  assert.equal(socket.sent.at(-1), "QUIT bye");
  assert.equal(statuses.at(-1).state, "closed");
  assert.equal(timers.queue.size, 0);
});

test("a silent server is pinged, then given up on", () => {
  const { socket, timers, statuses } = connect();
  socket.receive(":irc.test 001 alice :Welcome");
  timers.fire(60_000);
  assert.equal(socket.sent.at(-1), "PING keepalive");
  timers.fire(30_000);
  assert.equal(statuses.at(-1).state, "waiting");
  assert.match(statuses.at(-1).reason, /stopped answering/);
});

test("the server's ERROR is the reason shown", () => {
  const { socket, statuses } = connect();
  socket.receive("ERROR :Closing Link: alice (Killed)");
  socket.drop();
  assert.match(statuses.at(-1).reason, /Killed/);
});

test("backoff doubles to a ceiling, with jitter in its upper half", () => {
  const low = { random: () => 0 };
  const high = { random: () => 1 };
  assert.equal(backoffDelay(0, high), 1000);
  assert.equal(backoffDelay(3, high), 8000);
  assert.equal(backoffDelay(3, low), 4000);
  assert.equal(backoffDelay(50, high), 30000);
});

test("SASL payloads are split into 400-byte AUTHENTICATE pieces", () => {
  assert.deepEqual(authenticateLines("abc"), ["abc"]);
  const exact = "x".repeat(400);
  assert.deepEqual(authenticateLines(exact), [exact, "+"]);
  assert.equal(authenticateLines("y".repeat(900)).length, 3);
  assert.equal(saslPlainPayload("a", "b"), Buffer.from("a\0a\0b").toString("base64"));
});

test("the socket URL sits beside the page", () => {
  assert.equal(defaultSocketUrl(new URL("http://h:8080/")), "ws://h:8080/ws");
  assert.equal(defaultSocketUrl(new URL("https://h/chat/?x#y")), "wss://h/chat/ws");
});
