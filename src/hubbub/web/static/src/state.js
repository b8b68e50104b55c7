// What the client knows: buffers (the server, rooms, private conversations),
// their lines, member lists, topics and unread counts. No DOM here: the state
// is changed only by handle() (a message from the server) and the few
// methods the app calls for what the person does, and it tells the UI what
// changed through events.
//
// Events:
//   "lines"    {buffer, merged}  lines were added (merged: history was merged in,
//                                 so the whole buffer should be drawn again)
//   "buffers"  the list of buffers or an unread count changed
//   "current"  another buffer was selected
//   "members"  {buffer}           a member list changed
//   "topic"    {buffer}           a topic changed
//   "mention"  {buffer, line}     a live message names us, or a private message came
//   "joined"   {buffer}           we joined a room (the app then fetches its history)
//   "history-wanted" {buffer}     a private conversation was found (CHATHISTORY TARGETS)
//   "ctcp"     {nick, query, argument}
//   "nick"     {nick}             our own nick changed
//   "away"     {away}             we went away or came back

import { Emitter } from "./events.js";
import {
  casefold,
  nickOf,
  parseAction,
  parseCtcp,
  parseSource,
  serverTime,
} from "./irc.js";
import { mentions, stripFormatting } from "./text.js";

export const SERVER_KEY = "";
const MAX_LINES = 5000;
const CHAT_KINDS = new Set(["privmsg", "action", "notice"]);
// Numerics shown in the server buffer (welcome, server stats, MOTD).
const SERVER_NUMERICS = new Set([
  "001", "002", "003", "251", "252", "253", "254", "255", "265", "266",
  "375", "372", "376", "422",
]);
// Numerics nobody needs to read.
const QUIET_NUMERICS = new Set([
  "004", "005", "318", "321", "333", "353", "366", "315", "903", "908",
]);

/** One conversation: the server's, a room's, or a private one. */
export class Buffer {
  constructor(name, key, kind) {
    this.name = name;
    this.key = key;
    this.kind = kind; // "server" | "channel" | "query"
    this.lines = [];
    this.msgids = new Set();
    this.signatures = new Set(); // of lines without a msgid, to spot repeats
    this.members = new Map(); // folded nick -> {nick, prefixes, away, account}
    this.topic = "";
    this.joined = false;
    this.rejoin = false; // rejoin after a reconnect
    this.unread = 0;
    this.highlights = 0;
    this.history = { pending: [], exhausted: false };
  }

  get loadingHistory() {
    return this.history.pending.length > 0;
  }

  /** The reference for CHATHISTORY BEFORE: the oldest line we have. */
  oldestReference() {
    const withId = this.lines.find((line) => line.msgid);
    if (withId) return `msgid=${withId.msgid}`;
    const first = this.lines.find((line) => line.fromServer);
    return first ? `timestamp=${first.time.toISOString()}` : "*";
  }
}

function signature(line) {
  return [line.kind, line.nick, line.time.getTime(), line.text].join("\0");
}

/** The members of a room in the order people expect: by rank, then by name. */
export function sortedMembers(buffer, prefixes) {
  const rank = (member) => {
    const index = prefixes.findIndex((p) => member.prefixes.includes(p.symbol));
    return index < 0 ? prefixes.length : index;
  };
  return [...buffer.members.values()].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.nick.localeCompare(b.nick, undefined, { sensitivity: "base" }),
  );
}

export class ChatState extends Emitter {
  constructor({ now = () => new Date() } = {}) {
    super();
    this.now = now;
    this.nick = "";
    this.account = null;
    this.away = false;
    this.isupport = {
      network: null,
      chantypes: "#&",
      prefixes: [
        { mode: "o", symbol: "@" },
        { mode: "v", symbol: "+" },
      ],
      chanmodes: ["beI", "k", "l", "imnpst"],
      casemapping: "rfc1459",
      filehost: null,
      chathistory: 0,
    };
    this.buffers = new Map();
    this.batches = new Map();
    this.pendingNames = new Map();
    this.namesAsked = new Set(); // rooms whose NAMES the person asked to see
    this.nextLineId = 1;
    this.current = SERVER_KEY;
    this.buffers.set(SERVER_KEY, new Buffer("Server", SERVER_KEY, "server"));
  }

  // Names

  fold(name) {
    return casefold(name, this.isupport.casemapping);
  }

  isChannel(name) {
    return Boolean(name) && this.isupport.chantypes.includes(name[0]);
  }

  isSelf(nick) {
    return Boolean(nick) && this.fold(nick) === this.fold(this.nick);
  }

  // Buffers

  get serverBuffer() {
    return this.buffers.get(SERVER_KEY);
  }

  get currentBuffer() {
    return this.buffers.get(this.current) ?? this.serverBuffer;
  }

  find(name) {
    return this.buffers.get(name ? this.fold(name) : SERVER_KEY) ?? null;
  }

  /** The buffer for a room or a person, made when missing. */
  buffer(name) {
    const key = this.fold(name);
    let buffer = this.buffers.get(key);
    if (!buffer) {
      const kind = this.isChannel(name) ? "channel" : "query";
      buffer = new Buffer(name, key, kind);
      this.buffers.set(key, buffer);
      this.emit("buffers");
    }
    return buffer;
  }

  /** Open (or show) a private conversation. */
  openQuery(nick) {
    const isNew = !this.find(nick);
    const buffer = this.buffer(nick);
    this.select(buffer.key);
    if (isNew) this.emit("history-wanted", { buffer });
    return buffer;
  }

  /** The buffers as the sidebar lists them: server, rooms, then people. */
  bufferList() {
    const order = { server: 0, channel: 1, query: 2 };
    return [...this.buffers.values()].sort(
      (a, b) =>
        order[a.kind] - order[b.kind] ||
        a.name.localeCompare(b.name, undefined, { sensitivity: "base" }),
    );
  }

  select(key) {
    const buffer = this.buffers.get(key);
    if (!buffer) return;
    this.current = key;
    buffer.unread = 0;
    buffer.highlights = 0;
    this.emit("current");
    this.emit("buffers");
  }

  close(key) {
    if (key === SERVER_KEY) return;
    this.buffers.delete(key);
    if (this.current === key) {
      const next = this.bufferList().filter((b) => b.kind !== "server");
      this.select(next.length ? next[0].key : SERVER_KEY);
    }
    this.emit("buffers");
  }

  /** What commands.js needs to know about where the person is typing. */
  inputContext() {
    const buffer = this.currentBuffer;
    const isChannel = buffer.kind === "channel";
    return {
      target: buffer.kind === "server" ? null : buffer.name,
      channel: isChannel ? buffer.name : null,
      isJoined: !isChannel || buffer.joined,
      chantypes: this.isupport.chantypes,
      isChannel: (name) => this.isChannel(name),
    };
  }

  // Lines

  /**
   * Add a line to `buffer`. `live` lines count as unread and may notify;
   * lines from history do neither.
   */
  addLine(buffer, fields, { live = true } = {}) {
    const line = this.#makeLine(fields);
    if (!this.#isNew(buffer, line)) return null;
    this.#remember(buffer, line);
    buffer.lines.push(line);
    this.#trim(buffer);
    if (live) this.#countUnread(buffer, line);
    this.emit("lines", { buffer, merged: false, lines: [line] });
    return line;
  }

  /** A note from the client itself (help, errors) in the current buffer. */
  info(text, { kind = "info", buffer = this.currentBuffer } = {}) {
    return this.addLine(buffer, { kind, text }, { live: false });
  }

  #makeLine(fields) {
    const time = fields.time ?? this.now();
    const line = {
      id: this.nextLineId++,
      msgid: fields.msgid || null,
      time,
      kind: fields.kind,
      nick: fields.nick ?? "",
      text: fields.text ?? "",
      self: Boolean(fields.self),
      mention: Boolean(fields.mention),
      fromServer: Boolean(fields.fromServer),
    };
    return line;
  }

  #isNew(buffer, line) {
    if (line.msgid && buffer.msgids.has(line.msgid)) return false;
    return !buffer.signatures.has(signature(line));
  }

  #remember(buffer, line) {
    if (line.msgid) buffer.msgids.add(line.msgid);
    else buffer.signatures.add(signature(line));
  }

  #trim(buffer) {
    // A tenth over before trimming, so that the sets of what was seen are
    // rebuilt once in a while, not on every line.
    if (buffer.lines.length <= MAX_LINES + MAX_LINES / 10) return;
    buffer.lines.splice(0, buffer.lines.length - MAX_LINES);
    buffer.history.exhausted = false;
    buffer.msgids = new Set();
    buffer.signatures = new Set();
    for (const line of buffer.lines) this.#remember(buffer, line);
  }

  #countUnread(buffer, line) {
    const isChat = CHAT_KINDS.has(line.kind);
    if (isChat && !line.self && buffer.key !== this.current) {
      buffer.unread += 1;
      if (line.mention || buffer.kind === "query") buffer.highlights += 1;
      this.emit("buffers");
    }
    if (isChat && !line.self && (line.mention || buffer.kind === "query")) {
      this.emit("mention", { buffer, line });
    }
  }

  // History (draft/chathistory)

  /** Note a CHATHISTORY request for `buffer` ("latest" or "before", with its limit). */
  requestHistory(buffer, kind, limit) {
    buffer.history.pending.push({ kind, limit });
    this.emit("lines", { buffer, merged: false, lines: [] });
  }

  #applyHistory(target, messages) {
    const buffer = this.find(target);
    if (!buffer) return; // closed while the history was on its way
    const request = buffer.history.pending.shift() ?? { limit: Infinity };
    const added = [];
    for (const message of messages) {
      const fields = this.#historyFields(message);
      if (!fields) continue;
      const line = this.#makeLine(fields);
      if (!this.#isNew(buffer, line)) continue;
      this.#remember(buffer, line);
      added.push(line);
    }
    if (messages.length < request.limit) buffer.history.exhausted = true;
    // Stable sort: lines at the same instant keep their order.
    buffer.lines = [...added, ...buffer.lines].sort((a, b) => a.time - b.time);
    this.#trim(buffer);
    this.emit("lines", { buffer, merged: true, lines: added });
  }

  #historyFields(message) {
    const base = {
      time: serverTime(message) ?? this.now(),
      msgid: message.tags.get("msgid"),
      fromServer: true,
    };
    if (message.command === "PRIVMSG" || message.command === "NOTICE") {
      const fields = this.#chatFields(message);
      return fields && { ...fields, mention: false };
    }
    const described = this.#describe(message);
    return described && { ...base, ...described };
  }

  // Messages from the server

  handle(message) {
    const ref = message.tags.get("batch");
    const batch = ref ? this.batches.get(ref) : null;
    if (batch && batch.type === "chathistory" && message.command !== "BATCH") {
      batch.messages.push(message);
      return;
    }
    const handler = HANDLERS[message.command];
    if (handler) handler(this, message);
    else if (/^\d{3}$/.test(message.command)) this.#numeric(message);
  }

  #chatFields(message) {
    const nick = nickOf(message.source);
    let text = stripFormatting(message.param(1));
    let kind = message.command === "NOTICE" ? "notice" : "privmsg";
    const action = parseAction(message.param(1));
    if (action !== null) {
      text = stripFormatting(action);
      kind = "action";
    } else if (text.startsWith("\x01")) {
      return null;
    }
    const account = message.tags.get("account");
    const self =
      this.isSelf(nick) || (Boolean(account) && account === this.account);
    return {
      kind,
      nick,
      text,
      self,
      mention: !self && mentions(text, this.nick),
      time: serverTime(message) ?? this.now(),
      msgid: message.tags.get("msgid"),
      fromServer: true,
    };
  }

  /** Join, part, quit, kick, nick, topic and mode lines, as text. */
  #describe(message) {
    const nick = nickOf(message.source);
    const you = this.isSelf(nick);
    const who = you ? "You" : nick;
    const reason = (text) => (text ? ` (${stripFormatting(text)})` : "");
    switch (message.command) {
      case "JOIN":
        return { kind: "join", nick, text: `${who} joined ${message.param(0)}` };
      case "PART":
        return {
          kind: "part",
          nick,
          text: `${who} left ${message.param(0)}${reason(message.param(1))}`,
        };
      case "QUIT":
        return {
          kind: "quit",
          nick,
          text: `${who} quit${reason(message.param(0))}`,
        };
      case "KICK": {
        const kicked = this.isSelf(message.param(1)) ? "You were" : `${message.param(1)} was`;
        return {
          kind: "kick",
          nick,
          text: `${kicked} removed from ${message.param(0)} by ${nick}${reason(message.param(2))}`,
        };
      }
      case "NICK":
        return {
          kind: "nick",
          nick,
          text: you
            ? `You are now known as ${message.param(0)}`
            : `${nick} is now known as ${message.param(0)}`,
        };
      case "TOPIC":
        return {
          kind: "topic",
          nick,
          text: message.param(1)
            ? `${who} changed the topic to: ${stripFormatting(message.param(1))}`
            : `${who} cleared the topic`,
        };
      case "MODE":
        return {
          kind: "mode",
          nick,
          text: `${who} set mode ${message.params.slice(1).join(" ")}`,
        };
      default:
        return null;
    }
  }

  #eventLine(buffer, message) {
    const described = this.#describe(message);
    if (!described) return;
    this.addLine(buffer, {
      ...described,
      time: serverTime(message) ?? this.now(),
      msgid: message.tags.get("msgid"),
      fromServer: true,
    });
  }

  /** Each room `nick` is in (and a private conversation with them). */
  *#buffersWith(nick) {
    const key = this.fold(nick);
    for (const buffer of this.buffers.values()) {
      if (buffer.members.has(key) || buffer.key === key) yield buffer;
    }
  }

  #numeric(message) {
    const code = message.command;
    const handler = NUMERICS[code];
    if (handler) {
      handler(this, message);
      return;
    }
    if (QUIET_NUMERICS.has(code)) return;
    const params = message.params.slice(1);
    const last = stripFormatting(params.at(-1) ?? "");
    const text = params.length > 1 ? `${params.slice(0, -1).join(" ")}: ${last}` : last;
    if (SERVER_NUMERICS.has(code)) {
      this.info(last, { buffer: this.serverBuffer });
    } else {
      const kind = code[0] === "4" || code[0] === "5" ? "error" : "info";
      this.info(text, { kind });
    }
  }

  // Handlers used by the tables below.

  onJoin(message) {
    const nick = nickOf(message.source);
    const channel = message.param(0);
    const buffer = this.isSelf(nick) ? this.buffer(channel) : this.find(channel);
    if (!buffer) return;
    if (this.isSelf(nick)) {
      buffer.name = channel;
      buffer.joined = true;
      buffer.rejoin = true;
      buffer.members.clear();
      this.emit("joined", { buffer });
      this.emit("buffers");
    }
    // extended-join: JOIN #room account :realname ("*" when not logged in).
    const account = message.params.length > 1 ? message.param(1) : "*";
    buffer.members.set(this.fold(nick), {
      nick,
      prefixes: "",
      away: false,
      account: account === "*" ? null : account,
    });
    this.emit("members", { buffer });
    this.#eventLine(buffer, message);
  }

  onPart(message) {
    const nick = nickOf(message.source);
    const buffer = this.find(message.param(0));
    if (!buffer) return;
    this.#removeMember(buffer, nick);
    this.#eventLine(buffer, message);
  }

  onKick(message) {
    const buffer = this.find(message.param(0));
    if (!buffer) return;
    this.#removeMember(buffer, message.param(1));
    this.#eventLine(buffer, message);
  }

  #removeMember(buffer, nick) {
    if (this.isSelf(nick)) {
      buffer.joined = false;
      buffer.rejoin = false;
      buffer.members.clear();
      this.emit("buffers");
    } else {
      buffer.members.delete(this.fold(nick));
    }
    this.emit("members", { buffer });
  }

  onQuit(message) {
    const nick = nickOf(message.source);
    for (const buffer of [...this.#buffersWith(nick)]) {
      buffer.members.delete(this.fold(nick));
      this.emit("members", { buffer });
      this.#eventLine(buffer, message);
    }
  }

  onNick(message) {
    const oldNick = nickOf(message.source);
    const newNick = message.param(0);
    const oldKey = this.fold(oldNick);
    const newKey = this.fold(newNick);
    const wasSelf = this.isSelf(oldNick);
    const affected = wasSelf
      ? [...this.buffers.values()].filter((b) => b.joined || b.kind === "server")
      : [...this.#buffersWith(oldNick)];
    for (const buffer of affected) {
      const member = buffer.members.get(oldKey);
      if (member) {
        buffer.members.delete(oldKey);
        buffer.members.set(newKey, { ...member, nick: newNick });
        this.emit("members", { buffer });
      }
      this.#eventLine(buffer, message);
    }
    // A private conversation follows the person to their new nick.
    const query = this.buffers.get(oldKey);
    if (query && query.kind === "query" && !this.buffers.has(newKey)) {
      this.buffers.delete(oldKey);
      query.name = newNick;
      query.key = newKey;
      this.buffers.set(newKey, query);
      if (this.current === oldKey) this.current = newKey;
      this.emit("buffers");
    }
    if (wasSelf) {
      this.nick = newNick;
      this.emit("nick", { nick: newNick });
    }
  }

  onTopic(message) {
    const buffer = this.find(message.param(0));
    if (!buffer) return;
    buffer.topic = stripFormatting(message.param(1));
    this.emit("topic", { buffer });
    this.#eventLine(buffer, message);
  }

  onMode(message) {
    const target = message.param(0);
    if (!this.isChannel(target)) return; // our own user modes: nothing to show
    const buffer = this.find(target);
    if (!buffer) return;
    const symbols = new Map(this.isupport.prefixes.map((p) => [p.mode, p.symbol]));
    const [lists = "", always = "", whenSet = ""] = this.isupport.chanmodes;
    const args = message.params.slice(2);
    let adding = true;
    for (const letter of message.param(1)) {
      if (letter === "+" || letter === "-") {
        adding = letter === "+";
      } else if (symbols.has(letter)) {
        const member = buffer.members.get(this.fold(args.shift() ?? ""));
        if (!member) continue;
        const symbol = symbols.get(letter);
        member.prefixes = adding
          ? member.prefixes.replace(symbol, "") + symbol
          : member.prefixes.replace(symbol, "");
        // Keep the prefixes in rank order (multi-prefix).
        member.prefixes = this.isupport.prefixes
          .map((p) => p.symbol)
          .filter((s) => member.prefixes.includes(s))
          .join("");
      } else if (
        lists.includes(letter) ||
        always.includes(letter) ||
        (adding && whenSet.includes(letter))
      ) {
        args.shift();
      }
    }
    this.emit("members", { buffer });
    this.#eventLine(buffer, message);
  }

  onChat(message) {
    const fields = this.#chatFields(message);
    const sender = nickOf(message.source);
    if (!fields) {
      const ctcp = parseCtcp(message.param(1));
      // Only a query sent to us is answered: one sent to a room would make
      // every web client in it answer at once.
      const toUs = this.isSelf(message.param(0));
      if (ctcp && message.command === "PRIVMSG" && toUs && !this.isSelf(sender)) {
        this.emit("ctcp", { nick: sender, ...ctcp });
      }
      return;
    }
    // STATUSMSG (@#room) reaches a room's operators: show it in the room.
    const symbols = this.isupport.prefixes.map((p) => p.symbol).join("");
    let target = message.param(0);
    while (target && symbols.includes(target[0]) && this.isChannel(target.slice(1))) {
      target = target.slice(1);
    }
    let buffer;
    if (this.isChannel(target)) {
      buffer = this.buffer(target);
    } else if (!message.source || !message.source.includes("!")) {
      buffer = this.serverBuffer; // a notice from the server itself
      fields.kind = "info";
    } else if (fields.self) {
      const isNew = !this.find(target);
      buffer = this.buffer(target); // our own message, echoed
      if (isNew) this.emit("history-wanted", { buffer });
    } else if (fields.kind === "notice" && !this.find(sender)) {
      buffer = this.currentBuffer; // a notice does not open a conversation
    } else {
      const isNew = !this.find(sender);
      buffer = this.buffer(sender);
      if (isNew) this.emit("history-wanted", { buffer });
    }
    this.addLine(buffer, fields);
  }

  onAway(message) {
    const nick = nickOf(message.source);
    for (const buffer of this.#buffersWith(nick)) {
      const member = buffer.members.get(this.fold(nick));
      if (member) {
        member.away = message.params.length > 0;
        this.emit("members", { buffer });
      }
    }
  }

  onAccount(message) {
    const nick = nickOf(message.source);
    const account = message.param(0);
    for (const buffer of this.#buffersWith(nick)) {
      const member = buffer.members.get(this.fold(nick));
      if (member) member.account = account === "*" ? null : account;
    }
  }

  onBatch(message) {
    const ref = message.param(0);
    if (ref.startsWith("+")) {
      this.batches.set(ref.slice(1), {
        type: message.param(1),
        target: message.param(2),
        messages: [],
      });
    } else if (ref.startsWith("-")) {
      const batch = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      if (batch?.type === "chathistory") {
        this.#applyHistory(batch.target, batch.messages);
      }
    }
  }

  onChathistory(message) {
    // CHATHISTORY TARGETS <name> <timestamp>, in a draft/chathistory-targets batch.
    if (message.param(0) !== "TARGETS") return;
    const name = message.param(1);
    if (this.isChannel(name) || this.find(name)) return;
    const buffer = this.buffer(name);
    this.emit("history-wanted", { buffer });
  }

  onFail(message) {
    const [command] = message.params;
    if (command === "CHATHISTORY") {
      // No history there (not a member, or none kept): stop asking.
      for (const buffer of this.buffers.values()) {
        if (buffer.loadingHistory && message.params.includes(buffer.name)) {
          buffer.history.pending.shift();
          buffer.history.exhausted = true;
          this.emit("lines", { buffer, merged: false, lines: [] });
        }
      }
      return;
    }
    if (command === "FILEHOST") return; // files.js tells the person
    const kind = message.command === "FAIL" ? "error" : "info";
    this.info(stripFormatting(message.params.at(-1) ?? ""), { kind });
  }

  onInvite(message) {
    const by = nickOf(message.source);
    const channel = message.param(1);
    if (this.isSelf(message.param(0))) {
      this.info(`${by} invites you to ${channel}: type /join ${channel} to accept.`);
    } else {
      const buffer = this.find(channel);
      if (buffer) this.info(`${by} invited ${message.param(0)}`, { buffer });
    }
  }

  onIsupport(message) {
    for (const token of message.params.slice(1, -1)) {
      const [name, ...rest] = token.split("=");
      const value = rest.join("=");
      if (name === "NETWORK") {
        this.isupport.network = value;
        this.serverBuffer.name = value;
        this.emit("buffers");
      } else if (name === "CHANTYPES") {
        this.isupport.chantypes = value;
      } else if (name === "CASEMAPPING") {
        this.isupport.casemapping = value;
      } else if (name === "CHANMODES") {
        this.isupport.chanmodes = value.split(",");
      } else if (name === "CHATHISTORY") {
        this.isupport.chathistory = Number(value) || 0;
      } else if (name === "PREFIX") {
        const match = /^\(([^)]*)\)(.*)$/.exec(value);
        if (match) {
          this.isupport.prefixes = [...match[1]].map((mode, i) => ({
            mode,
            symbol: match[2][i],
          }));
        }
      } else if (name === "soju.im/FILEHOST" || name === "draft/FILEHOST") {
        this.isupport.filehost = value || null;
      }
    }
  }

  onNames(message) {
    // RPL_NAMREPLY: me = #room :@nick!user@host +nick ... (multi-prefix, userhost-in-names)
    const channel = message.param(2);
    const key = this.fold(channel);
    const names = this.pendingNames.get(key) ?? new Map();
    const symbols = this.isupport.prefixes.map((p) => p.symbol).join("");
    for (const entry of message.param(3).split(" ").filter(Boolean)) {
      let at = 0;
      while (at < entry.length && symbols.includes(entry[at])) at += 1;
      const { nick } = parseSource(entry.slice(at));
      names.set(this.fold(nick), {
        nick,
        prefixes: entry.slice(0, at),
        away: false,
        account: null,
      });
    }
    this.pendingNames.set(key, names);
  }

  onEndOfNames(message) {
    const key = this.fold(message.param(1));
    const names = this.pendingNames.get(key);
    this.pendingNames.delete(key);
    const buffer = this.buffers.get(key);
    const asked = this.namesAsked.delete(key);
    if (!names) return;
    if (asked || !buffer?.joined) {
      const list = [...names.values()].map((m) => m.prefixes + m.nick).join(" ");
      this.info(`In ${message.param(1)}: ${list}`);
    }
    if (buffer?.joined) {
      // Keep what away-notify and account-notify told us.
      for (const [nickKey, member] of names) {
        const known = buffer.members.get(nickKey);
        if (known) Object.assign(member, { away: known.away, account: known.account });
      }
      buffer.members = names;
      this.emit("members", { buffer });
    }
  }

  /** The person asked for a room's NAMES: show the list when it comes. */
  showNames(channel) {
    this.namesAsked.add(this.fold(channel));
  }

  /** The connection dropped: rooms are rejoined when it comes back. */
  disconnected() {
    for (const buffer of this.buffers.values()) {
      if (buffer.kind !== "channel") continue;
      buffer.rejoin = buffer.rejoin || buffer.joined;
      buffer.joined = false;
      buffer.history.pending = [];
      buffer.members.clear();
      this.emit("members", { buffer });
    }
    this.batches.clear();
    this.pendingNames.clear();
    this.emit("buffers");
  }

  /** The rooms to join again after a reconnect. */
  roomsToRejoin() {
    return [...this.buffers.values()]
      .filter((b) => b.kind === "channel" && b.rejoin && !b.joined)
      .map((b) => b.name);
  }
}

const onWhoisUser = (state, m) =>
  state.info(`${m.param(1)} is ${m.param(2)}@${m.param(3)} (${m.param(5)})`);

// The server's commands, one handler each.
const HANDLERS = {
  JOIN: (state, m) => state.onJoin(m),
  PART: (state, m) => state.onPart(m),
  KICK: (state, m) => state.onKick(m),
  QUIT: (state, m) => state.onQuit(m),
  NICK: (state, m) => state.onNick(m),
  TOPIC: (state, m) => state.onTopic(m),
  MODE: (state, m) => state.onMode(m),
  PRIVMSG: (state, m) => state.onChat(m),
  NOTICE: (state, m) => state.onChat(m),
  AWAY: (state, m) => state.onAway(m),
  ACCOUNT: (state, m) => state.onAccount(m),
  BATCH: (state, m) => state.onBatch(m),
  CHATHISTORY: (state, m) => state.onChathistory(m),
  FAIL: (state, m) => state.onFail(m),
  WARN: (state, m) => state.onFail(m),
  NOTE: (state, m) => state.onFail(m),
  INVITE: (state, m) => state.onInvite(m),
};

// Numerics with something to do beyond showing their text
// (names from https://modern.ircdocs.horse/#numerics).
const NUMERICS = {
  // RPL_WELCOME
  "001": (state, m) => {
    state.nick = m.param(0);
    state.info(m.param(1), { buffer: state.serverBuffer });
  },
  // RPL_ISUPPORT
  "005": (state, m) => state.onIsupport(m),
  // RPL_AWAY: someone we wrote to is away
  301: (state, m) => state.info(`${m.param(1)} is away: ${m.param(2)}`),
  // RPL_UNAWAY, RPL_NOWAWAY
  305: (state, m) => {
    state.away = false;
    state.emit("away", { away: false });
    state.info("You are back.");
  },
  306: (state, m) => {
    state.away = true;
    state.emit("away", { away: true });
    state.info("You are marked as away.");
  },
  311: onWhoisUser, // RPL_WHOISUSER
  314: onWhoisUser, // RPL_WHOWASUSER
  // RPL_WHOISSERVER
  312: (state, m) => state.info(`${m.param(1)} is on ${m.param(2)}`),
  // RPL_WHOISIDLE
  317: (state, m) => {
    const idle = Number(m.param(2));
    const minutes = Math.floor(idle / 60);
    state.info(`${m.param(1)} has been idle ${minutes ? `${minutes} min` : `${idle} s`}`);
  },
  // RPL_WHOISCHANNELS
  319: (state, m) => state.info(`${m.param(1)} is in ${m.param(2)}`),
  // RPL_WHOISACCOUNT
  330: (state, m) => state.info(`${m.param(1)} is logged in as ${m.param(2)}`),
  // RPL_LIST
  322: (state, m) =>
    state.info(`${m.param(1)} (${m.param(2)}): ${stripFormatting(m.param(3))}`),
  // RPL_LISTEND
  323: (state) => state.info("End of the room list."),
  // RPL_NOTOPIC, RPL_TOPIC
  331: (state, m) => {
    const buffer = state.find(m.param(1));
    if (buffer) {
      buffer.topic = "";
      state.emit("topic", { buffer });
    }
  },
  332: (state, m) => {
    const buffer = state.find(m.param(1));
    if (buffer) {
      buffer.topic = stripFormatting(m.param(2));
      state.emit("topic", { buffer });
    }
  },
  353: (state, m) => state.onNames(m), // RPL_NAMREPLY
  366: (state, m) => state.onEndOfNames(m), // RPL_ENDOFNAMES
  // RPL_LOGGEDIN, RPL_LOGGEDOUT
  900: (state, m) => {
    state.account = m.param(2);
    state.info(`You are logged in as ${m.param(2)}.`, { buffer: state.serverBuffer });
  },
  901: (state) => {
    state.account = null;
    state.info("You are logged out.", { buffer: state.serverBuffer });
  },
};
