// The link to the server: IRC over WebSocket, with capability negotiation,
// SASL PLAIN, keepalive, and reconnection with exponential backoff.
//
// WebSocket transport: https://ircv3.net/specs/extensions/websocket
//   (subprotocol text.ircv3.net: one IRC line per text message, no CRLF)
// Capability negotiation: https://ircv3.net/specs/extensions/capability-negotiation
// SASL: https://ircv3.net/specs/extensions/sasl-3.1
//
// Events (see events.js):
//   "status"     {state: "connecting" | "registering" | "connected" | "waiting" | "closed",
//                 reason?, retryIn? (ms), fatal?}
//   "message"    a parsed Message, for everything the server sends
//   "registered" {nick, caps} once 001 arrives (after every reconnect)
//   "sent"       a Message we sent (for debugging views)

import { Emitter } from "./events.js";
import { Message, ParseError, formatMessage, parseMessage } from "./irc.js";

export const SUBPROTOCOL = "text.ircv3.net";

/** The capabilities the client uses, when the server offers them. */
export const WANTED_CAPS = [
  "message-tags",
  "server-time",
  "echo-message",
  "batch",
  "labeled-response",
  "draft/chathistory",
  "draft/event-playback",
  "account-tag",
  "account-notify",
  "away-notify",
  "multi-prefix",
  "extended-join",
  "setname",
  "invite-notify",
  "userhost-in-names",
  "cap-notify",
];

const KEEPALIVE_MS = 60_000; // send a PING when the server has been quiet this long
const KEEPALIVE_TIMEOUT_MS = 30_000; // then give up on the link after this long
const SASL_CHUNK = 400; // AUTHENTICATE payloads are sent in 400-byte pieces

/**
 * How long to wait before reconnect attempt number `attempt` (0-based):
 * doubling from `base` up to `max`, with jitter so that many clients
 * dropped at once do not all come back in the same second.
 */
export function backoffDelay(
  attempt,
  { base = 1000, max = 30_000, random = Math.random } = {},
) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The SASL PLAIN payload for `account` and `password`, base64 (RFC 4616). */
export function saslPlainPayload(account, password) {
  const bytes = new TextEncoder().encode(`${account}\0${account}\0${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The AUTHENTICATE lines that carry `payload` (split, "+" after a full last piece). */
export function authenticateLines(payload) {
  const lines = [];
  for (let at = 0; at < payload.length; at += SASL_CHUNK) {
    lines.push(payload.slice(at, at + SASL_CHUNK));
  }
  if (payload.length % SASL_CHUNK === 0) lines.push("+");
  return lines;
}

/** The WebSocket URL beside the page that was served (`ws` relative to it). */
export function defaultSocketUrl(location) {
  const url = new URL("ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  url.search = "";
  return url.href;
}

// Why the server refused to let us in, as the person should read it.
const REGISTRATION_ERRORS = {
  432: (nick) =>
    `"${nick}" cannot be used as a nickname. Use letters, digits and - _ [ ] { } | ^, not starting with a digit or -.`,
  465: () => "This server has banned you.",
  904: () => "Login failed: the account name or password is wrong.",
  905: () => "Login failed: the account name or password is too long.",
  906: () => "Login was cancelled.",
  908: () => "The server does not support password login (SASL PLAIN).",
};

export class Connection extends Emitter {
  /**
   * @param {object} options
   *   url, nick, realname, account?, password?;
   *   WebSocket (the constructor; injected by tests), timers ({setTimeout, clearTimeout}).
   */
  constructor(options) {
    super();
    this.url = options.url;
    this.nick = options.nick;
    this.realname = options.realname || options.nick;
    this.account = options.account || null;
    this.password = options.password || "";
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.timers = options.timers ?? globalThis;
    this.caps = new Set();
    this.registered = false;
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this.offeredCaps = new Map();
    this.nickTries = 0;
    this.closingReason = null;
    this.retryTimer = null;
    this.quietTimer = null;
    this.pingTimer = null;
  }

  /** Open the connection (and keep it open until close()). */
  start() {
    this.stopped = false;
    this.#open();
  }

  /** Reconnect now instead of waiting out the backoff (e.g. the browser came online). */
  retryNow() {
    if (this.stopped || (this.socket && this.socket.readyState <= 1)) return;
    this.timers.clearTimeout(this.retryTimer);
    this.#open();
  }

  /** Leave for good: QUIT, close the socket, and do not reconnect. */
  close(reason = "") {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    if (this.socket?.readyState === 1) {
      this.send(new Message("QUIT", reason ? [reason] : []));
    }
    this.#clearKeepalive();
    this.socket?.close(1000);
    this.emit("status", { state: "closed" });
  }

  get isOpen() {
    return this.socket?.readyState === 1;
  }

  /** Send a Message (or a raw line); false when not connected. */
  send(message) {
    if (!this.isOpen) return false;
    const line = typeof message === "string" ? message : formatMessage(message);
    this.socket.send(line);
    if (typeof message !== "string") this.emit("sent", message);
    return true;
  }

  #open() {
    this.registered = false;
    this.caps = new Set();
    this.offeredCaps = new Map();
    this.nickTries = 0;
    this.closingReason = null;
    this.emit("status", { state: "connecting" });
    let socket;
    try {
      socket = new this.WebSocket(this.url, [SUBPROTOCOL]);
    } catch {
      this.#scheduleRetry("The chat server's address is not valid.");
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.emit("status", { state: "registering" });
      this.send(new Message("CAP", ["LS", "302"]));
      this.send(new Message("NICK", [this.nick]));
      this.send(new Message("USER", [this.nick, "0", "*", this.realname]));
      this.#resetKeepalive();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.#receive(event.data);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.#clearKeepalive();
      this.registered = false;
      if (this.stopped) return;
      const reason =
        this.closingReason ??
        (opened
          ? "The connection to the chat server was lost."
          : "Could not reach the chat server.");
      this.#scheduleRetry(reason);
    };
    // Errors are followed by a close event, which says what happened.
    socket.onerror = () => {};
  }

  #scheduleRetry(reason) {
    const retryIn = backoffDelay(this.attempt++);
    this.emit("status", { state: "waiting", reason, retryIn });
    this.retryTimer = this.timers.setTimeout(() => this.#open(), retryIn);
  }

  /** Stop for good with a message for the person (wrong password, bad nick). */
  #fail(reason) {
    this.stopped = true;
    this.#clearKeepalive();
    this.socket?.close(1000);
    this.emit("status", { state: "closed", reason, fatal: true });
  }

  #resetKeepalive() {
    this.#clearKeepalive();
    this.quietTimer = this.timers.setTimeout(() => {
      this.send(new Message("PING", ["keepalive"]));
      this.pingTimer = this.timers.setTimeout(() => {
        this.closingReason = "The chat server stopped answering.";
        this.socket?.close(4000);
      }, KEEPALIVE_TIMEOUT_MS);
    }, KEEPALIVE_MS);
  }

  #clearKeepalive() {
    this.timers.clearTimeout(this.quietTimer);
    this.timers.clearTimeout(this.pingTimer);
  }

  #receive(line) {
    this.#resetKeepalive();
    let message;
    try {
      message = parseMessage(line);
    } catch (error) {
      if (error instanceof ParseError) return; // not IRC: nothing to show
      throw error;
    }
    const wasRegistered = this.registered;
    this.#handle(message);
    this.emit("message", message);
    if (this.registered && !wasRegistered) {
      this.emit("registered", { nick: this.nick, caps: this.caps });
    }
  }

  #handle(message) {
    const { command } = message;
    if (command === "PING") {
      this.send(new Message("PONG", message.params));
    } else if (command === "CAP") {
      this.#handleCap(message);
    } else if (command === "AUTHENTICATE" && message.param(0) === "+") {
      const payload = saslPlainPayload(this.account, this.password);
      for (const piece of authenticateLines(payload)) {
        this.send(new Message("AUTHENTICATE", [piece]));
      }
    } else if (command === "903") {
      this.send(new Message("CAP", ["END"]));
    } else if (command === "001") {
      this.registered = true;
      this.attempt = 0;
      this.nick = message.param(0, this.nick);
      this.emit("status", { state: "connected" });
    } else if (command === "NICK" && this.registered) {
      // Keep the nick we come back with after a reconnect up to date.
      const [oldNick] = (message.source ?? "").split("!");
      if (oldNick === this.nick) this.nick = message.param(0);
    } else if (command === "433" && !this.registered) {
      this.#tryAnotherNick();
    } else if (Object.hasOwn(REGISTRATION_ERRORS, command) && !this.registered) {
      this.#fail(REGISTRATION_ERRORS[command](this.nick));
    } else if (command === "ERROR") {
      this.closingReason = `The server closed the connection: ${message.param(0)}`;
    }
  }

  #tryAnotherNick() {
    this.nickTries += 1;
    if (this.nickTries > 5) {
      this.#fail(`The nickname "${this.nick}" is taken. Choose another.`);
      return;
    }
    this.nick = this.nick.replace(/_*$/, "") + "_".repeat(this.nickTries);
    this.send(new Message("NICK", [this.nick]));
  }

  #handleCap(message) {
    const sub = message.param(1).toUpperCase();
    if (sub === "LS") {
      // CAP * LS * :caps... means more lines follow (302 multiline).
      const more = message.params.length > 3 && message.param(2) === "*";
      const list = message.params[message.params.length - 1];
      for (const item of list.split(" ").filter(Boolean)) {
        const [name, ...value] = item.split("=");
        this.offeredCaps.set(name, value.join("="));
      }
      if (!more) this.#requestCaps();
    } else if (sub === "ACK") {
      for (const name of message.param(2).split(" ").filter(Boolean)) {
        if (name.startsWith("-")) this.caps.delete(name.slice(1));
        else this.caps.add(name);
      }
      if (!this.registered) this.#afterAck();
    } else if (sub === "NAK" && !this.registered) {
      this.send(new Message("CAP", ["END"]));
    } else if (sub === "NEW") {
      const wanted = message
        .param(2)
        .split(" ")
        .map((item) => item.split("=")[0])
        .filter((name) => WANTED_CAPS.includes(name) && !this.caps.has(name));
      if (wanted.length) this.send(new Message("CAP", ["REQ", wanted.join(" ")]));
    } else if (sub === "DEL") {
      for (const name of message.param(2).split(" ")) this.caps.delete(name);
    }
  }

  #requestCaps() {
    const wanted = WANTED_CAPS.filter((name) => this.offeredCaps.has(name));
    if (this.account) {
      const mechanisms = this.offeredCaps.get("sasl");
      if (mechanisms === undefined) {
        this.#fail("This server does not offer account login (SASL).");
        return;
      }
      if (mechanisms && !mechanisms.split(",").includes("PLAIN")) {
        this.#fail(REGISTRATION_ERRORS[908]());
        return;
      }
      wanted.push("sasl");
    }
    if (wanted.length === 0) {
      this.send(new Message("CAP", ["END"]));
    } else {
      this.send(new Message("CAP", ["REQ", wanted.join(" ")]));
    }
  }

  #afterAck() {
    if (this.account && this.caps.has("sasl")) {
      this.send(new Message("AUTHENTICATE", ["PLAIN"]));
    } else {
      this.send(new Message("CAP", ["END"]));
    }
  }
}
