// The browser client's entry point: wires the connection, the state, the
// view, commands, uploads and notifications together, and carries out what
// the person asks for. Each piece lives in its own module:
//   irc.js          the wire format (mirrors protocol/message.py)
//   connection.js   WebSocket, capabilities, SASL, reconnect with backoff
//   state.js        buffers, members, unread counts (no DOM)
//   ui.js           rendering (text only, never HTML from the network)
//   commands.js     slash commands
//   files.js        uploads (FILEHOST) and inline images
//   notifications.js desktop notifications

import { InputError, parseInput } from "./commands.js";
import { Connection, defaultSocketUrl } from "./connection.js";
import { UploadError, Uploader, isInlineImage } from "./files.js";
import { Message } from "./irc.js";
import { Notifier } from "./notifications.js";
import { ChatState } from "./state.js";
import { safeUrl, splitForSending, utf8Length } from "./text.js";
import { ChatView } from "./ui.js";

const HISTORY_PAGE = 50;
const TARGETS_DAYS = 30;
const LINE_BUDGET = 400; // bytes of text per message, leaving room for the prefix
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/;
const SETTINGS_KEY = "hubbub.settings";
// How often new lines and the room list are drawn, at most (a flood of
// messages makes one layout per this many milliseconds, not one per line).
const REDRAW_MS = 30;
const MAX_QUEUED_LINES = 300;

function loadSettings(storage) {
  try {
    return JSON.parse(storage.getItem(SETTINGS_KEY)) ?? {};
  } catch {
    return {};
  }
}

function saveSettings(storage, settings) {
  try {
    storage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    // Storage may be refused (private browsing): the settings last for this page.
  }
}

/** Room names typed in the sign-in form: "#a b, c" -> ["#a", "#b", "#c"]. */
function parseRooms(text) {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((name) => (/^[#&]/.test(name) ? name : `#${name}`));
}

class App {
  constructor(win) {
    this.win = win;
    this.doc = win.document;
    this.storage = win.localStorage;
    this.settings = loadSettings(this.storage);
    this.notifier = new Notifier({ storage: this.storage });
    this.state = null;
    this.connection = null;
    this.uploader = null;
    this.view = new ChatView(this.doc, {
      onSelect: (key) => this.state.select(key),
      onClose: (key) => this.closeBuffer(key),
      onSubmit: (text) => this.submit(text),
      onJoin: (name) => this.run([{ type: "join", channel: parseRooms(name)[0], key: null }]),
      onOlder: () => this.loadOlder(),
      onQuery: (nick) => this.state.openQuery(nick),
      onFiles: (files) => this.uploadFiles(files),
      onTheme: () => this.toggleTheme(),
      onNotify: () => this.toggleNotifications(),
      onLogout: () => this.logout(),
      onRetry: () => this.connection?.retryNow(),
      isImage: (href) => this.isImage(href),
    });
  }

  start() {
    this.view.setTheme(this.settings.theme ?? "auto");
    this.view.setNotify(this.notifier.enabled, this.notifier.available);
    this.#bindLogin();
    this.showLogin();
    this.win.addEventListener("online", () => this.connection?.retryNow());
    // A bug in this page shows as a sentence, never as a stack trace.
    const oops = (event) => {
      console.error(event.error ?? event.reason ?? event);
      this.view.note("Something went wrong in this page. If it misbehaves, reload it.", "error");
    };
    this.win.addEventListener("error", oops);
    this.win.addEventListener("unhandledrejection", oops);
  }

  // Signing in

  showLogin(error = "") {
    const s = this.settings;
    this.view.showLogin({
      nick: s.nick ?? "",
      rooms: s.rooms ?? "#hubbub",
      account: s.account ?? "",
      useAccount: Boolean(s.useAccount),
      error,
    });
  }

  #bindLogin() {
    const $ = (id) => this.doc.getElementById(id);
    $("login-use-account").addEventListener("change", (event) => {
      $("login-account-fields").hidden = !event.target.checked;
    });
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const nick = $("login-nick").value.trim();
      const rooms = $("login-rooms").value.trim();
      const useAccount = $("login-use-account").checked;
      const account = $("login-account").value.trim();
      const password = $("login-password").value;
      const error = this.#checkLogin(nick, useAccount, password);
      if (error) {
        $("login-error").textContent = error;
        $("login-error").hidden = false;
        return;
      }
      Object.assign(this.settings, { nick, rooms, useAccount, account });
      saveSettings(this.storage, this.settings);
      this.connect({
        nick,
        rooms: parseRooms(rooms),
        account: useAccount ? account || nick : null,
        password,
      });
    });
  }

  #checkLogin(nick, useAccount, password) {
    if (!nick) return "Choose a nickname.";
    if (!NICK.test(nick)) {
      return "A nickname has up to 30 letters, digits and - _ [ ] { } | ^ ` \\, and does not start with a digit or -.";
    }
    if (useAccount && !password) return "Enter your account's password.";
    return "";
  }

  // The connection

  connect({ nick, rooms, account, password }) {
    this.connection?.close();
    const state = new ChatState();
    this.state = state;
    this.initialRooms = rooms;
    this.selectOnJoin = new Set(rooms.slice(0, 1).map((room) => state.fold(room)));
    this.#bindState(state);
    const connection = new Connection({
      url: defaultSocketUrl(this.win.location),
      nick,
      account,
      password,
    });
    this.connection = connection;
    this.uploader = new Uploader(connection);
    connection.on("message", (message) => state.handle(message));
    connection.on("status", (status) => this.onStatus(status));
    connection.on("registered", () => this.onRegistered());
    this.view.showChat();
    this.view.setMe(nick);
    this.view.renderBuffers(state);
    this.view.renderCurrent(state);
    connection.start();
  }

  onStatus(status) {
    if (status.state === "waiting" && this.wasRegistered) {
      this.wasRegistered = false;
      this.state.disconnected();
    }
    if (status.state === "closed" && status.fatal) {
      this.connection = null;
      this.showLogin(status.reason);
      return;
    }
    this.view.showStatus(status);
  }

  onRegistered() {
    const { state, connection } = this;
    this.wasRegistered = true;
    this.view.setMe(state.nick, { account: state.account });
    const rooms = [...new Set([...state.roomsToRejoin(), ...this.initialRooms])];
    if (this.initialRooms.length === 0 && rooms.length === 0) {
      state.info("Join a room with + on the left, or type /join #room. /help lists the commands.");
    }
    this.initialRooms = [];
    for (let i = 0; i < rooms.length; i += 10) {
      connection.send(new Message("JOIN", [rooms.slice(i, i + 10).join(",")]));
    }
    if (this.hasHistory) {
      // Private conversations of the last days (found again after a reload).
      const now = new Date();
      const since = new Date(now.getTime() - TARGETS_DAYS * 86_400_000);
      connection.send(
        new Message("CHATHISTORY", [
          "TARGETS",
          `timestamp=${now.toISOString()}`,
          `timestamp=${since.toISOString()}`,
          "50",
        ]),
      );
      for (const buffer of state.buffers.values()) {
        if (buffer.kind === "query") this.requestLatest(buffer);
      }
    }
  }

  get hasHistory() {
    return Boolean(this.connection?.caps.has("draft/chathistory"));
  }

  logout() {
    this.connection?.close("Leaving");
    this.connection = null;
    this.showLogin();
  }

  // The state, drawn by the view

  #bindState(state) {
    const view = this.view;
    // Redraws waiting, for this state only: a redraw still waiting for the
    // state before (a reconnection) must not hold this one's back.
    const pending = new Set();
    const later = (key, render, delay = null) => {
      // Many changes in one pass of the event loop make one redraw; with a
      // delay, many changes in that time (a flood of messages) make one.
      if (pending.has(key)) return;
      pending.add(key);
      const run = () => {
        pending.delete(key);
        if (this.state === state) render();
      };
      if (delay === null) queueMicrotask(run);
      else this.win.setTimeout(run, delay);
    };
    state.on("buffers", () =>
      later(
        "buffers",
        () => {
          view.renderBuffers(state);
          view.setNetwork(state.isupport.network ?? "hubbub");
        },
        REDRAW_MS,
      ),
    );
    // New lines are drawn together, at most once per REDRAW_MS: one layout
    // for many lines. A buffer that gathers more than a page's worth is
    // drawn again whole (the view keeps only the newest lines anyway).
    const newLines = new Map();
    const drawNewLines = () => {
      for (const [buffer, lines] of newLines) {
        if (lines === null) view.renderLines(state, buffer, { keepScroll: true });
        else view.appendLines(state, buffer, lines);
      }
      newLines.clear();
    };
    state.on("current", () => {
      view.renderCurrent(state);
      view.focusInput();
    });
    state.on("lines", ({ buffer, merged, lines }) => {
      if (merged) {
        newLines.delete(buffer); // drawn now, with the rest
        view.renderLines(state, buffer, { keepScroll: true });
      } else if (lines.length) {
        if (!newLines.has(buffer)) newLines.set(buffer, []);
        const queued = newLines.get(buffer);
        if (queued && queued.length < MAX_QUEUED_LINES) queued.push(...lines);
        else newLines.set(buffer, null); // too many: drawn again whole
        later("lines", drawNewLines, REDRAW_MS);
      } else {
        view.renderHistoryStatus(state, buffer);
      }
    });
    state.on("members", ({ buffer }) => {
      if (buffer === state.currentBuffer) later("members", () => view.renderMembers(state, state.currentBuffer));
    });
    state.on("topic", ({ buffer }) => {
      if (buffer === state.currentBuffer) view.renderTitle(state, buffer);
    });
    state.on("joined", ({ buffer }) => {
      this.#rememberRooms();
      // Ask first, so that drawing the room sees its history on the way and
      // does not ask for an older page as well.
      this.requestLatest(buffer);
      if (this.selectOnJoin.delete(buffer.key)) state.select(buffer.key);
      else if (buffer === state.currentBuffer) view.renderCurrent(state);
    });
    state.on("history-wanted", ({ buffer }) => this.requestLatest(buffer));
    state.on("mention", ({ buffer, line }) => this.notify(buffer, line));
    state.on("nick", ({ nick }) => {
      view.setMe(nick, { away: state.away, account: state.account });
      this.settings.nick = nick;
      saveSettings(this.storage, this.settings);
    });
    state.on("away", ({ away }) => view.setMe(state.nick, { away, account: state.account }));
    state.on("ctcp", ({ nick, query, argument }) => this.answerCtcp(nick, query, argument));
  }

  #rememberRooms() {
    const rooms = [...this.state.buffers.values()]
      .filter((b) => b.kind === "channel" && (b.joined || b.rejoin))
      .map((b) => b.name);
    this.settings.rooms = rooms.join(" ");
    saveSettings(this.storage, this.settings);
  }

  // History

  requestLatest(buffer) {
    if (!this.hasHistory || buffer.kind === "server") return;
    const limit = this.#historyLimit();
    this.state.requestHistory(buffer, "latest", limit);
    this.connection.send(new Message("CHATHISTORY", ["LATEST", buffer.name, "*", String(limit)]));
  }

  /** Scrolled to the top: fetch the page of messages before the oldest shown. */
  loadOlder() {
    const state = this.state;
    const buffer = state?.currentBuffer;
    if (!buffer || buffer.kind === "server" || !this.connection?.registered) return;
    if (!this.hasHistory || buffer.loadingHistory || buffer.history.exhausted) return;
    if (buffer.kind === "channel" && !buffer.joined) return;
    const reference = buffer.oldestReference();
    // Nothing shown yet to be older than: the buffer's CHATHISTORY LATEST
    // (asked for on join or when the conversation opens) fills it.
    if (reference === "*") return;
    const limit = this.#historyLimit();
    state.requestHistory(buffer, "before", limit);
    this.connection.send(
      new Message("CHATHISTORY", ["BEFORE", buffer.name, reference, String(limit)]),
    );
  }

  #historyLimit() {
    const most = this.state.isupport.chathistory;
    return most > 0 ? Math.min(HISTORY_PAGE, most) : HISTORY_PAGE;
  }

  // What the person types

  submit(text) {
    let actions;
    try {
      actions = parseInput(text, this.state.inputContext());
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.state.info(error.message, { kind: "error" });
      return false;
    }
    const done = this.run(actions);
    if (done) this.view.note("");
    return done;
  }

  /** Carry out the actions of commands.js; false when something could not be sent. */
  run(actions) {
    const { state, connection } = this;
    for (const action of actions) {
      switch (action.type) {
        case "send":
          if (action.message.command === "NAMES") state.showNames(action.message.param(0));
          if (!this.#send(action.message)) return false;
          break;
        case "say":
          if (!this.say(action.target, action.text, action.kind)) return false;
          break;
        case "join": {
          const existing = state.find(action.channel);
          if (existing?.joined) {
            state.select(existing.key);
            break;
          }
          const params = action.key ? [action.channel, action.key] : [action.channel];
          this.selectOnJoin.add(state.fold(action.channel));
          if (!this.#send(new Message("JOIN", params))) return false;
          break;
        }
        case "open":
          state.openQuery(action.name);
          break;
        case "close": {
          const buffer = state.find(action.name);
          if (buffer) state.close(buffer.key);
          break;
        }
        case "show":
          state.info(action.text);
          break;
        case "upload":
          this.view.pickFiles();
          break;
        case "clear":
          state.currentBuffer.lines = [];
          state.currentBuffer.history.exhausted = true;
          this.view.renderLines(state, state.currentBuffer, { keepScroll: false });
          break;
        case "quit":
          connection?.close(action.reason);
          this.connection = null;
          this.showLogin();
          break;
        default:
          break;
      }
    }
    return true;
  }

  #send(message) {
    if (this.connection?.send(message)) return true;
    this.state.info("You are not connected right now, so that was not sent.", {
      kind: "error",
    });
    return false;
  }

  /** Send text as one or more messages (long text is split to fit IRC lines). */
  say(target, text, kind = "privmsg") {
    const command = kind === "notice" ? "NOTICE" : "PRIVMSG";
    const budget = LINE_BUDGET - utf8Length(target) - (kind === "action" ? 9 : 0);
    const pieces = kind === "action" ? [text.replace(/\s+/g, " ")] : splitForSending(text, budget);
    for (const piece of pieces) {
      const body = kind === "action" ? `\x01ACTION ${piece}\x01` : piece;
      if (!this.#send(new Message(command, [target, body]))) return false;
      if (!this.connection.caps.has("echo-message")) {
        const buffer = this.state.buffer(target);
        this.state.addLine(buffer, { kind, nick: this.state.nick, text: piece, self: true });
      }
    }
    return true;
  }

  closeBuffer(key) {
    const buffer = this.state.buffers.get(key);
    if (!buffer) return;
    if (buffer.kind === "channel" && buffer.joined) {
      this.connection?.send(new Message("PART", [buffer.name]));
    }
    buffer.rejoin = false;
    this.state.close(key);
    this.#rememberRooms();
  }

  answerCtcp(nick, query, argument) {
    // CTCP (https://modern.ircdocs.horse/ctcp): answer VERSION and PING in a NOTICE.
    const replies = { VERSION: "hubbub web", PING: argument.replaceAll("\x01", "") };
    if (!(query in replies)) return;
    const body = replies[query] ? `${query} ${replies[query]}` : query;
    this.connection?.send(new Message("NOTICE", [nick, `\x01${body}\x01`]));
  }

  // Files

  /** This server's web origins: the page's, and the one its uploads advertise. */
  #origins() {
    const origins = [this.win.location.origin];
    const filehost = safeUrl(this.state?.isupport.filehost ?? "");
    if (filehost) origins.push(filehost.origin);
    return origins;
  }

  isImage(href) {
    return isInlineImage(href, this.#origins(), this.uploader?.knownImages);
  }

  async uploadFiles(files) {
    const buffer = this.state?.currentBuffer;
    if (!buffer || buffer.kind === "server") {
      this.view.note("Open a room or a conversation to share a file there.", "error");
      return;
    }
    if (buffer.kind === "channel" && !buffer.joined) {
      this.view.note(`You are not in ${buffer.name}: join it to share files there.`, "error");
      return;
    }
    for (const file of files) {
      this.view.note(`Uploading "${file.name}"…`, "info");
      try {
        const link = await this.uploader.upload(file);
        if (!this.say(buffer.name, link)) return;
        this.view.note("");
      } catch (error) {
        if (!(error instanceof UploadError)) {
          console.error(error);
          this.view.note(`The upload of "${file.name}" failed.`, "error");
        } else {
          this.view.note(error.message, "error");
        }
        return;
      }
    }
  }

  // Preferences

  toggleTheme() {
    const shown =
      this.doc.documentElement.dataset.theme ??
      (this.win.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    this.settings.theme = shown === "dark" ? "light" : "dark";
    saveSettings(this.storage, this.settings);
    this.view.setTheme(this.settings.theme);
  }

  async toggleNotifications() {
    await this.notifier.toggle();
    this.view.setNotify(this.notifier.enabled, this.notifier.available);
    if (this.notifier.blocked) {
      this.view.note("Notifications are blocked for this site in the browser's settings.", "error");
    }
  }

  notify(buffer, line) {
    const visible = !this.doc.hidden && buffer === this.state.currentBuffer;
    if (visible) return;
    const title = buffer.kind === "query" ? line.nick : `${line.nick} in ${buffer.name}`;
    this.notifier.show(title, line.text, () => this.state.select(buffer.key));
  }
}

const app = new App(window);
app.start();
// For the end-to-end tests and the curious: the running client.
window.hubbub = app;
