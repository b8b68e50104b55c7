// DOM rendering, and only that: the view reads the state and calls the
// handlers app.js gives it when the person clicks or types.
//
// The one rule here: text from the network (messages, nicks, topics, room
// names) reaches the page only through textContent and text nodes, never
// through innerHTML, so nothing anyone sends can become markup or script.
// Links are <a> elements whose href went through safeUrl() (http/https only).

import { sortedMembers } from "./state.js";
import { nickHue, splitLinks } from "./text.js";

const NEAR_BOTTOM_PX = 48;
const NEAR_TOP_PX = 120;
// Lines (and day rules) drawn at most: the buffer keeps up to 5,500 lines.
const MAX_DRAWN_ITEMS = 6000;
// Images larger than this are not shown inline (16 megapixels: 4096×4096).
const MAX_IMAGE_PIXELS = 16 * 1024 * 1024;
const EVENT_KINDS = new Set(["join", "part", "quit", "kick", "nick", "topic", "mode"]);

/** An element with a class and (as text, never HTML) its content. */
function el(doc, tag, className = "", text = null) {
  const element = doc.createElement(tag);
  if (className) element.className = className;
  if (text !== null) element.textContent = text;
  return element;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "full",
  timeStyle: "medium",
});
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  month: "long",
  day: "numeric",
});

function dayLabel(date, now = new Date()) {
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return dayFormat.format(date);
}

/** The last part of a link's path, decoded, as an image's alternative text. */
function fileName(href) {
  const last = new URL(href).pathname.split("/").pop() || "image";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function isSameDay(a, b) {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

export class ChatView {
  /**
   * @param doc       the document
   * @param handlers  {onSelect(key), onClose(key), onSubmit(text), onJoin(name),
   *                   onOlder(), onQuery(nick), onFiles(files), onTheme(), onNotify(),
   *                   onLogout(), onRetry(), isImage(href)}
   */
  constructor(doc, handlers) {
    this.newestLineId = -1; // of the lines drawn in the current buffer
    this.doc = doc;
    this.handlers = handlers;
    const $ = (id) => doc.getElementById(id);
    this.$ = $;
    this.chat = $("chat");
    this.log = $("log");
    this.linesList = $("lines");
    this.input = $("input");
    this.stickToBottom = true;
    this.renderedBuffer = null;
    this.lastDay = null;
    this.membersHidden = false;
    this.inputHistory = [];
    this.inputHistoryAt = -1;
    this.#bind();
  }

  #bind() {
    const { $, handlers } = this;
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.input.addEventListener("keydown", (event) => this.#onKey(event));
    this.input.addEventListener("input", () => this.#fitInput());
    this.input.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length) {
        event.preventDefault();
        handlers.onFiles(files);
      }
    });
    $("upload-button").addEventListener("click", () => this.pickFiles());
    $("file-input").addEventListener("change", (event) => {
      const files = [...event.target.files];
      event.target.value = "";
      if (files.length) handlers.onFiles(files);
    });
    $("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("join-input").value.trim();
      if (name) handlers.onJoin(name);
      $("join-input").value = "";
      this.closeDrawers();
    });
    this.log.addEventListener("scroll", () => this.#onScroll(), { passive: true });
    $("show-sidebar").addEventListener("click", () => this.#toggleDrawer("show-sidebar"));
    $("show-members").addEventListener("click", () => {
      if (this.#isNarrow()) {
        this.#toggleDrawer("show-members");
      } else {
        this.membersHidden = !this.membersHidden;
        this.#updateMembersVisibility();
      }
    });
    $("scrim").addEventListener("click", () => this.closeDrawers());
    $("theme-toggle").addEventListener("click", () => handlers.onTheme());
    $("notify-toggle").addEventListener("click", () => handlers.onNotify());
    $("logout").addEventListener("click", () => handlers.onLogout());
    $("status-retry").addEventListener("click", () => handlers.onRetry());
    this.#bindDrop();
  }

  #bindDrop() {
    const overlay = this.$("drop-overlay");
    let depth = 0;
    const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
    this.chat.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      overlay.hidden = false;
    });
    this.chat.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    this.chat.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    this.chat.addEventListener("drop", (event) => {
      event.preventDefault();
      depth = 0;
      overlay.hidden = true;
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length) this.handlers.onFiles(files);
    });
  }

  #isNarrow() {
    return this.doc.defaultView.matchMedia("(max-width: 760px)").matches;
  }

  #toggleDrawer(name) {
    const open = !this.chat.classList.contains(name);
    this.closeDrawers();
    this.chat.classList.toggle(name, open);
    this.$("scrim").hidden = !open;
  }

  closeDrawers() {
    this.chat.classList.remove("show-sidebar", "show-members");
    this.$("scrim").hidden = true;
  }

  pickFiles() {
    this.$("file-input").click();
  }

  // Typing

  #submit() {
    const text = this.input.value;
    if (!text.trim()) return;
    if (this.handlers.onSubmit(text) !== false) {
      this.inputHistory.push(text);
      if (this.inputHistory.length > 100) this.inputHistory.shift();
      this.inputHistoryAt = -1;
      this.input.value = "";
      this.#fitInput();
    }
  }

  #onKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.#submit();
    } else if (event.key === "Tab" && !event.shiftKey) {
      if (this.#completeNick()) event.preventDefault();
    } else if (event.key === "ArrowUp" && !this.input.value.includes("\n")) {
      if (this.inputHistory.length && (this.input.value === "" || this.inputHistoryAt >= 0)) {
        event.preventDefault();
        this.inputHistoryAt =
          this.inputHistoryAt < 0
            ? this.inputHistory.length - 1
            : Math.max(0, this.inputHistoryAt - 1);
        this.input.value = this.inputHistory[this.inputHistoryAt];
      }
    } else if (event.key === "ArrowDown" && this.inputHistoryAt >= 0) {
      event.preventDefault();
      this.inputHistoryAt += 1;
      if (this.inputHistoryAt >= this.inputHistory.length) {
        this.inputHistoryAt = -1;
        this.input.value = "";
      } else {
        this.input.value = this.inputHistory[this.inputHistoryAt];
      }
    } else if (event.key === "Escape") {
      this.closeDrawers();
    }
  }

  /** Tab completes the nick being typed from the room's members. */
  #completeNick() {
    const { value, selectionStart } = this.input;
    const before = value.slice(0, selectionStart);
    const match = /(\S+)$/.exec(before);
    if (!match || !this.completionNicks) return false;
    const prefix = match[1].toLowerCase();
    const found = this.completionNicks.find((nick) => nick.toLowerCase().startsWith(prefix));
    if (!found) return false;
    const start = before.length - match[1].length;
    const suffix = start === 0 ? ": " : " ";
    this.input.value = value.slice(0, start) + found + suffix + value.slice(selectionStart);
    const caret = start + found.length + suffix.length;
    this.input.setSelectionRange(caret, caret);
    return true;
  }

  #fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 144)}px`;
  }

  focusInput() {
    if (!this.#isNarrow()) this.input.focus();
  }

  // Screens

  showLogin({ nick = "", rooms = "", account = "", useAccount = false, error = "" } = {}) {
    const { $ } = this;
    $("chat").hidden = true;
    $("login").hidden = false;
    $("login-nick").value = nick;
    $("login-rooms").value = rooms;
    $("login-account").value = account;
    $("login-use-account").checked = useAccount;
    $("login-account-fields").hidden = !useAccount;
    $("login-password").value = "";
    $("login-error").textContent = error;
    $("login-error").hidden = !error;
    $("login-submit").disabled = false;
    (nick ? $("login-rooms") : $("login-nick")).focus();
  }

  showChat() {
    this.$("login").hidden = true;
    this.$("chat").hidden = false;
    this.focusInput();
  }

  // Connection status

  showStatus(status) {
    const { $ } = this;
    const dot = $("connection-dot");
    const banner = $("status-banner");
    dot.classList.toggle("connected", status.state === "connected");
    dot.classList.toggle("offline", status.state === "waiting" || status.state === "closed");
    const titles = {
      connecting: "Connecting…",
      registering: "Signing in…",
      connected: "Connected",
      waiting: "Disconnected",
      closed: "Disconnected",
    };
    dot.title = titles[status.state] ?? "";
    if (status.state === "connected") {
      banner.hidden = true;
      return;
    }
    let text = titles[status.state];
    if (status.state === "waiting") {
      const seconds = Math.max(1, Math.round(status.retryIn / 1000));
      text = `${status.reason} Reconnecting in ${seconds} s…`;
    } else if (status.state === "closed") {
      text = status.reason ?? "Disconnected.";
    }
    $("status-text").textContent = text;
    $("status-retry").hidden = status.state !== "waiting";
    banner.hidden = false;
  }

  /** A short note above the input (upload progress and refusals). */
  note(text, kind = "info") {
    const note = this.$("composer-note");
    note.textContent = text;
    note.className = `composer-note ${kind}`;
    note.hidden = !text;
  }

  setMe(nick, { away = false, account = null } = {}) {
    const me = this.$("me");
    me.replaceChildren(el(this.doc, "span", "", nick));
    if (away) me.append(el(this.doc, "span", "away", " (away)"));
    me.title = account ? `${nick}, logged in as ${account}` : nick;
  }

  setTheme(theme) {
    const root = this.doc.documentElement;
    if (theme === "auto") delete root.dataset.theme;
    else root.dataset.theme = theme;
    const labels = {
      auto: "Theme: as the system (click for dark or light)",
      light: "Theme: light (click for dark)",
      dark: "Theme: dark (click for light)",
    };
    this.$("theme-toggle").title = labels[theme];
    this.$("theme-toggle").setAttribute("aria-label", labels[theme]);
  }

  setNotify(enabled, available = true) {
    const button = this.$("notify-toggle");
    button.hidden = !available;
    button.classList.toggle("on", enabled);
    button.title = enabled
      ? "Desktop notifications on mentions: on"
      : "Desktop notifications on mentions: off";
    button.setAttribute("aria-label", button.title);
  }

  setNetwork(name) {
    this.$("network-name").textContent = name;
  }

  // The buffer list

  renderBuffers(state) {
    const { doc } = this;
    const list = this.$("buffer-list");
    const items = [];
    let section = null;
    const sections = { channel: "Rooms", query: "People" };
    for (const buffer of state.bufferList()) {
      if (buffer.kind !== section && sections[buffer.kind]) {
        section = buffer.kind;
        items.push(el(doc, "li", "section", sections[buffer.kind]));
      }
      items.push(this.#bufferItem(state, buffer));
    }
    list.replaceChildren(...items);
    let unread = 0;
    for (const buffer of state.buffers.values()) unread += buffer.highlights;
    doc.title = unread ? `(${unread}) hubbub` : "hubbub";
  }

  #bufferItem(state, buffer) {
    const { doc } = this;
    const item = el(doc, "li", "buffer");
    item.dataset.buffer = buffer.name;
    item.classList.toggle("active", buffer.key === state.current);
    item.classList.toggle("unread", buffer.unread > 0);
    item.classList.toggle("parted", buffer.kind === "channel" && !buffer.joined);
    const button = el(doc, "button", "buffer-name");
    button.type = "button";
    const glyphs = { server: "⌂", channel: "#", query: "@" };
    button.append(el(doc, "span", "glyph", glyphs[buffer.kind]));
    const label = buffer.kind === "channel" ? buffer.name.replace(/^#/, "") : buffer.name;
    button.append(el(doc, "span", "label", label));
    if (buffer.unread > 0) {
      const badge = el(doc, "span", "badge", String(buffer.unread));
      badge.classList.toggle("mention", buffer.highlights > 0);
      badge.setAttribute("aria-label", `${buffer.unread} unread`);
      button.append(badge);
    }
    button.addEventListener("click", () => {
      this.handlers.onSelect(buffer.key);
      this.closeDrawers();
    });
    item.append(button);
    if (buffer.kind !== "server") {
      const close = el(doc, "button", "close", "×");
      close.type = "button";
      close.title = buffer.kind === "channel" ? `Leave ${buffer.name}` : "Close";
      close.setAttribute("aria-label", close.title);
      close.addEventListener("click", () => this.handlers.onClose(buffer.key));
      item.append(close);
    }
    return item;
  }

  // The current buffer

  renderCurrent(state) {
    const buffer = state.currentBuffer;
    this.renderTitle(state, buffer);
    this.renderMembers(state, buffer);
    this.renderLines(state, buffer, { keepScroll: false });
    this.#updateMembersVisibility();
  }

  renderTitle(state, buffer) {
    this.$("buffer-title").textContent =
      buffer.kind === "server" ? state.isupport.network ?? "Server" : buffer.name;
    const topic = this.$("buffer-topic");
    if (buffer.kind === "channel" && buffer.topic) {
      topic.replaceChildren(...this.#textWithLinks(buffer.topic));
    } else if (buffer.kind === "channel") {
      topic.textContent = buffer.joined ? "" : "You are not in this room.";
    } else if (buffer.kind === "query") {
      topic.textContent = "Private conversation";
    } else {
      topic.textContent = "Messages from the server";
    }
    topic.title = topic.textContent;
    this.input.placeholder =
      buffer.kind === "server" ? "Type /join #room or /help" : `Message ${buffer.name}`;
  }

  #updateMembersVisibility() {
    const buffer = this.renderedBuffer;
    const isChannel = buffer?.kind === "channel";
    this.chat.classList.toggle("no-members", !isChannel || this.membersHidden);
    this.$("show-members").hidden = !isChannel;
  }

  renderMembers(state, buffer) {
    if (buffer !== state.currentBuffer) return;
    const { doc } = this;
    const members = sortedMembers(buffer, state.isupport.prefixes);
    this.completionNicks = members.map((m) => m.nick).filter((n) => !state.isSelf(n));
    const count = members.length;
    this.$("members-title").textContent = `${count} ${count === 1 ? "person" : "people"}`;
    const items = members.map((member) => {
      const item = el(doc, "li");
      item.classList.toggle("self", state.isSelf(member.nick));
      item.classList.toggle("away", member.away);
      item.dataset.nick = member.nick;
      const button = el(doc, "button");
      button.type = "button";
      button.title = member.away ? `${member.nick} (away)` : member.nick;
      button.append(el(doc, "span", "prefix", member.prefixes.slice(0, 1)));
      const name = el(doc, "span", "member-nick", member.nick);
      name.style.setProperty("--hue", String(nickHue(member.nick)));
      button.append(name);
      button.addEventListener("click", () => {
        if (!state.isSelf(member.nick)) this.handlers.onQuery(member.nick);
        this.closeDrawers();
      });
      item.append(button);
      return item;
    });
    this.$("member-list").replaceChildren(...items);
  }

  renderHistoryStatus(state, buffer) {
    if (buffer !== state.currentBuffer) return;
    const status = this.$("history-status");
    if (buffer.kind === "server") status.textContent = "";
    else if (buffer.loadingHistory) status.textContent = "Loading older messages…";
    else if (buffer.history.exhausted) status.textContent = "This is the beginning of the conversation.";
    else status.textContent = "";
  }

  /** Draw all of a buffer's lines (keepScroll: stay at the same place, for history). */
  renderLines(state, buffer, { keepScroll }) {
    if (buffer !== state.currentBuffer) return;
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    const switched = this.renderedBuffer !== buffer;
    this.renderedBuffer = buffer;
    this.lastDay = null;
    const fragment = this.doc.createDocumentFragment();
    for (const line of buffer.lines) this.#appendLine(fragment, state, line);
    this.linesList.replaceChildren(fragment);
    this.newestLineId = buffer.lines.reduce((newest, line) => Math.max(newest, line.id), -1);
    this.renderHistoryStatus(state, buffer);
    if (keepScroll && !switched && !this.stickToBottom) {
      this.log.scrollTop = this.log.scrollHeight - fromBottom;
    } else {
      this.scrollToBottom();
    }
    this.#maybeWantOlder();
  }

  /** Add new lines at the end of the current buffer. */
  appendLines(state, buffer, lines) {
    if (buffer !== state.currentBuffer) return;
    if (this.renderedBuffer !== buffer) {
      this.renderLines(state, buffer, { keepScroll: false });
      return;
    }
    const stick = this.stickToBottom;
    for (const line of lines) {
      if (line.id <= this.newestLineId) continue; // drawn by a whole redraw already
      this.#appendLine(this.linesList, state, line);
      this.newestLineId = line.id;
    }
    // The page keeps about as many lines as the buffer does: a flood must
    // not grow it (and every layout) without end.
    const list = this.linesList;
    while (list.childElementCount > MAX_DRAWN_ITEMS) list.firstElementChild.remove();
    this.renderHistoryStatus(state, buffer);
    if (stick) this.scrollToBottom();
  }

  clearLines() {
    this.linesList.replaceChildren();
    this.lastDay = null;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.stickToBottom = true;
  }

  #onScroll() {
    const log = this.log;
    this.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
    if (log.scrollTop < NEAR_TOP_PX) this.handlers.onOlder();
  }

  /** When the lines do not fill the window there is nothing to scroll: load more. */
  #maybeWantOlder() {
    if (this.log.scrollHeight <= this.log.clientHeight + NEAR_TOP_PX) {
      this.handlers.onOlder();
    }
  }

  #appendLine(parent, state, line) {
    const { doc } = this;
    if (!this.lastDay || !isSameDay(this.lastDay, line.time)) {
      this.lastDay = line.time;
      parent.append(el(doc, "li", "day", dayLabel(line.time)));
    }
    const item = el(doc, "li", `line kind-${line.kind}`);
    if (EVENT_KINDS.has(line.kind)) item.classList.add("event");
    if (line.self) item.classList.add("self");
    if (line.mention) item.classList.add("mention");
    if (line.msgid) item.dataset.msgid = line.msgid;
    const time = el(doc, "time", "", timeFormat.format(line.time));
    time.dateTime = line.time.toISOString();
    time.title = fullFormat.format(line.time);
    item.append(time);
    const body = el(doc, "div", "body");
    const isChat = line.kind === "privmsg" || line.kind === "action" || line.kind === "notice";
    if (isChat && line.nick) {
      const nick = el(doc, "span", "nick", line.nick);
      nick.style.setProperty("--hue", String(nickHue(line.nick)));
      nick.title = `Talk privately with ${line.nick}`;
      if (!line.self) nick.addEventListener("click", () => this.handlers.onQuery(line.nick));
      body.append(nick);
    }
    const text = el(doc, "span", "text");
    text.append(...this.#textWithLinks(line.text));
    const images = splitLinks(line.text)
      .filter((segment) => segment.href && this.handlers.isImage(segment.href))
      .map((segment) => segment.href);
    body.append(text);
    for (const href of images.slice(0, 4)) body.append(this.#image(href));
    item.append(body);
    parent.append(item);
  }

  /** Text nodes and <a> elements for `text` (never parsed as HTML). */
  #textWithLinks(text) {
    return splitLinks(text).map((segment) =>
      segment.href
        ? this.#link(segment.href, segment.text)
        : this.doc.createTextNode(segment.text),
    );
  }

  #link(href, label) {
    const link = el(this.doc, "a", "", label);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  #image(href) {
    const link = this.#link(href, null);
    link.className = "embed";
    const image = this.doc.createElement("img");
    image.src = href;
    image.loading = "lazy";
    image.decoding = "async";
    image.referrerPolicy = "no-referrer";
    image.alt = fileName(href);
    // Not painted (so not decoded) until its size is known: a small file
    // can hold an image of gigapixels, which would take the tab's memory.
    image.style.visibility = "hidden";
    image.addEventListener("load", () => {
      const pixels = image.naturalWidth * image.naturalHeight;
      if (pixels > MAX_IMAGE_PIXELS) {
        link.replaceChildren(
          `${fileName(href)} (${image.naturalWidth}×${image.naturalHeight}, too large to show)`,
        );
        link.className = "";
        return;
      }
      image.style.visibility = "";
      if (this.stickToBottom) this.scrollToBottom();
    });
    image.addEventListener("error", () => link.remove());
    link.append(image);
    return link;
  }
}
