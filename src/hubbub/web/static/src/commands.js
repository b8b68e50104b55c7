// What the person types: slash commands, parsed into actions, like the
// terminal client (src/hubbub/client/commands.py). parseInput() never talks
// to the network; app.js carries the actions out. A line it cannot do throws
// InputError, whose text is the one line the person sees.
//
// Actions:
//   {type: "send", message}                  send an IRC message as it is
//   {type: "say", target, text, kind}        kind: "privmsg" | "action" | "notice"
//   {type: "join", channel, key}             join (and show) a room
//   {type: "open", name}                     show a private conversation
//   {type: "close", name}                    close a private conversation
//   {type: "show", text}                     text for the person only
//   {type: "upload"}                         pick a file to share
//   {type: "clear"}                          empty the current buffer's view
//   {type: "quit", reason}                   leave the chat

import { Message, ParseError, parseMessage } from "./irc.js";

export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = "InputError";
  }
}

/** The slash commands, in the order /help lists them. */
export const COMMANDS = new Map();

function command(usage, summary, parse, { minArgs = 0, aliases = [] } = {}) {
  const name = usage.split(" ")[0].slice(1);
  const entry = { name, usage, summary, parse, minArgs };
  COMMANDS.set(name, entry);
  for (const alias of aliases) COMMANDS.set(alias, { ...entry, alias: true });
}

/** `rest` without its first `words` words (the free text of a command). */
export function restAfter(rest, words) {
  let text = rest.trimStart();
  for (let i = 0; i < words; i++) {
    const space = text.search(/\s/);
    if (space < 0) return "";
    text = text.slice(space).trimStart();
  }
  return text;
}

function requireChannel(args, context, usage) {
  if (args.length && context.isChannel(args[0])) return args.shift();
  if (!context.channel) throw new InputError(`Not in a room: ${usage}`);
  return context.channel;
}

function requireTarget(context, usage) {
  if (!context.target) {
    throw new InputError(`Not in a room or a private chat: ${usage}`);
  }
  return context.target;
}

function requireNick(word, usage, context) {
  if (context.isChannel(word) || word.startsWith("@")) {
    throw new InputError(`${word} is not a nickname: ${usage}`);
  }
  return word;
}

function toMessage(line) {
  try {
    return parseMessage(line);
  } catch (error) {
    if (error instanceof ParseError) {
      throw new InputError(`Not an IRC line: ${error.message}.`);
    }
    throw error;
  }
}

/**
 * The actions for one typed line.
 * @param context {target, channel, isJoined, chantypes, isChannel(name)}
 * @throws {InputError} an unknown command, a missing argument, or nowhere to send.
 */
export function parseInput(text, context) {
  if (text.startsWith("/") && !text.startsWith("//")) {
    const [, name, rest = ""] = /^\/(\S*)\s*([\s\S]*)$/.exec(text);
    const entry = COMMANDS.get(name.toLowerCase());
    if (!entry) {
      throw new InputError(`Unknown command /${name}: /help lists the commands.`);
    }
    const args = rest.split(/\s+/).filter(Boolean);
    if (args.length < entry.minArgs) throw new InputError(`Usage: ${entry.usage}`);
    return entry.parse(args, rest.trim(), context);
  }
  const body = text.startsWith("//") ? text.slice(1) : text;
  if (!body.trim()) return [];
  if (!context.target) {
    throw new InputError(
      "This is the server's window: /join #room to talk in a room, or /msg nick text to one person.",
    );
  }
  if (!context.isJoined) {
    throw new InputError(
      `You are not in ${context.target}: /join ${context.target} to talk there.`,
    );
  }
  return [{ type: "say", target: context.target, text: body, kind: "privmsg" }];
}

/** The help for one command, or the list of all. */
export function helpText(name) {
  if (name) {
    const entry = COMMANDS.get(name.replace(/^\//, "").toLowerCase());
    if (!entry) throw new InputError(`No command /${name.replace(/^\//, "")}.`);
    return `${entry.usage}: ${entry.summary}`;
  }
  const lines = ["Type to talk in the current room. Commands:"];
  for (const entry of COMMANDS.values()) {
    if (!entry.alias) lines.push(`${entry.usage} — ${entry.summary}`);
  }
  return lines.join("\n");
}

// The commands.

command(
  "/join #room [key]",
  "join a room (and show it)",
  (args, rest, context) => {
    let channel = args[0];
    if (!context.isChannel(channel)) channel = context.chantypes[0] + channel;
    return [{ type: "join", channel, key: args[1] ?? null }];
  },
  { minArgs: 1, aliases: ["j"] },
);

command("/part [#room] [reason]", "leave a room (or close a private chat)", (args, rest, context) => {
  if (!args.length && context.target && !context.channel) {
    return [{ type: "close", name: context.target }];
  }
  const channel = requireChannel(args, context, "/part #room");
  const reason = rest.startsWith(channel) ? restAfter(rest, 1) : rest;
  const params = reason ? [channel, reason] : [channel];
  return [{ type: "send", message: new Message("PART", params) }];
}, { aliases: ["leave"] });

command(
  "/msg nick text",
  "send a private message",
  (args, rest) => [
    { type: "say", target: args[0], text: restAfter(rest, 1), kind: "privmsg" },
  ],
  { minArgs: 2 },
);

command(
  "/query nick [text]",
  "open a private chat",
  (args, rest, context) => {
    const nick = requireNick(args[0], "/query nick", context);
    const text = restAfter(rest, 1);
    const actions = [{ type: "open", name: nick }];
    if (text) actions.push({ type: "say", target: nick, text, kind: "privmsg" });
    return actions;
  },
  { minArgs: 1 },
);

command(
  "/me action",
  "say what you are doing (/me waves)",
  (args, rest, context) => [
    { type: "say", target: requireTarget(context, "/me action"), text: rest, kind: "action" },
  ],
  { minArgs: 1 },
);

command(
  "/notice target text",
  "send a notice",
  (args, rest) => [
    { type: "say", target: args[0], text: restAfter(rest, 1), kind: "notice" },
  ],
  { minArgs: 2 },
);

command(
  "/nick newnick",
  "change your nickname",
  (args, rest, context) => {
    if (args.length > 1) throw new InputError("A nickname cannot contain spaces.");
    const nick = requireNick(args[0], "/nick newnick", context);
    return [{ type: "send", message: new Message("NICK", [nick]) }];
  },
  { minArgs: 1 },
);

command("/topic [#room] [text]", "show or set the room's topic", (args, rest, context) => {
  const channel = requireChannel(args, context, "/topic #room [text]");
  const text = rest.startsWith(channel) ? restAfter(rest, 1) : rest;
  const params = text ? [channel, text] : [channel];
  return [{ type: "send", message: new Message("TOPIC", params) }];
});

command("/names [#room]", "list the people in a room", (args, rest, context) => {
  const channel = requireChannel(args, context, "/names #room");
  return [{ type: "send", message: new Message("NAMES", [channel]) }];
});

command("/who [mask]", "list people matching a mask (or in this room)", (args, rest, context) => {
  const mask = args.length ? args[0] : requireChannel(args, context, "/who mask");
  return [{ type: "send", message: new Message("WHO", [mask]) }];
});

command(
  "/whois nick",
  "show who someone is",
  (args) => [{ type: "send", message: new Message("WHOIS", [args[0]]) }],
  { minArgs: 1 },
);

command("/list [mask]", "list the rooms", (args) => [
  { type: "send", message: new Message("LIST", args.slice(0, 1)) },
]);

command(
  "/invite nick [#room]",
  "invite someone to a room",
  (args, rest, context) => {
    const nick = args.shift();
    const channel = requireChannel(args, context, "/invite nick #room");
    return [{ type: "send", message: new Message("INVITE", [nick, channel]) }];
  },
  { minArgs: 1 },
);

command(
  "/kick nick [reason]",
  "remove someone from this room",
  (args, rest, context) => {
    const channel = requireChannel([], context, "/kick nick [reason]");
    const reason = restAfter(rest, 1);
    const params = reason ? [channel, args[0], reason] : [channel, args[0]];
    return [{ type: "send", message: new Message("KICK", params) }];
  },
  { minArgs: 1 },
);

command(
  "/mode [target] modes",
  "change modes (/mode +m, /mode #room +o nick)",
  (args, rest, context) => {
    const target =
      context.isChannel(args[0]) || !/^[+-]/.test(args[0])
        ? args.shift()
        : requireChannel([], context, "/mode #room modes");
    return [{ type: "send", message: new Message("MODE", [target, ...args]) }];
  },
  { minArgs: 1 },
);

command("/away [message]", "mark yourself away", (args, rest) => [
  { type: "send", message: new Message("AWAY", [rest || "away"]) },
]);

command("/back", "mark yourself back", () => [
  { type: "send", message: new Message("AWAY", []) },
]);

command("/upload", "share a file (or drop it on the window)", () => [
  { type: "upload" },
]);

command("/clear", "empty this window", () => [{ type: "clear" }]);

command("/close", "close this window (leaving the room)", (args, rest, context) => {
  const target = requireTarget(context, "/close");
  if (context.channel) {
    return [
      { type: "send", message: new Message("PART", [target]) },
      { type: "close", name: target },
    ];
  }
  return [{ type: "close", name: target }];
});

command(
  "/raw line",
  "send a raw IRC line (/raw MODE #room +m)",
  (args, rest) => [{ type: "send", message: toMessage(rest) }],
  { minArgs: 1, aliases: ["quote"] },
);

command("/help [command]", "list the commands, or explain one", (args) => [
  { type: "show", text: helpText(args[0] ?? null) },
]);

command("/quit [reason]", "leave the chat, telling the others why", (args, rest) => [
  { type: "quit", reason: rest },
]);
