// files.js: FILEHOST uploads over a fake connection and fetch, and which
// links show as images.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Emitter } from "../../../src/hubbub/web/static/src/events.js";
import { Message, formatMessage, parseMessage } from "../../../src/hubbub/web/static/src/irc.js";
import {
  UploadError,
  Uploader,
  headerFilename,
  isInlineImage,
  uploadErrorText,
  uploadUrlFor,
} from "../../../src/hubbub/web/static/src/files.js";

const PAGE = new URL("http://127.0.0.1:8080/");

/** A connection whose server answers FILEHOST with `reply` (a line or null). */
class FakeConnection extends Emitter {
  constructor(replies) {
    super();
    this.replies = replies;
    this.isOpen = true;
    this.sent = [];
  }

  send(message) {
    this.sent.push(formatMessage(message));
    const reply = this.replies.shift();
    if (reply) queueMicrotask(() => this.emit("message", parseMessage(reply)));
    return true;
  }
}

function response(status, location = null) {
  return {
    status,
    headers: new Map(location ? [["Location", location]] : []),
    text: async () => location ?? "",
  };
}

function uploader(replies, responses) {
  const requests = [];
  const connection = new FakeConnection(replies);
  const fetch = async (url, init) => {
    requests.push({ url, ...init });
    return responses.shift();
  };
  const timers = { setTimeout: () => 0, clearTimeout: () => {} };
  return { up: new Uploader(connection, { fetch, location: PAGE, timers }), requests, connection };
}

const GRANT = ":irc.test FILEHOST http://127.0.0.1:8080/upload TOKEN1 300";
const LINK = "http://127.0.0.1:8080/files/abc/cat.png";

test("an upload asks for a token, posts the file and gives the link", async () => {
  const { up, requests, connection } = uploader([GRANT], [response(201, LINK)]);
  const file = new File(["png bytes"], "café \"cat\".png", { type: "image/png" });
  assert.equal(await up.upload(file), LINK);
  assert.deepEqual(connection.sent, ["FILEHOST"]);
  const [request] = requests;
  assert.equal(request.url, "http://127.0.0.1:8080/upload");
  assert.equal(request.method, "POST");
  assert.equal(request.body, file);
  assert.equal(request.headers.Authorization, "Bearer TOKEN1");
  assert.equal(request.headers["Content-Type"], "image/png");
  assert.equal(request.headers["Content-Disposition"], 'attachment; filename="caf_ _cat_.png"');
  assert.ok(up.knownImages.has(LINK));
});

test("the token is reused while it lasts", async () => {
  const { up, connection } = uploader([GRANT], [response(201, LINK), response(201, LINK)]);
  await up.upload(new File(["a"], "a.txt", { type: "text/plain" }));
  await up.upload(new File(["b"], "b.txt", { type: "text/plain" }));
  assert.deepEqual(connection.sent, ["FILEHOST"]);
});

test("an expired token is replaced once", async () => {
  const grant2 = ":irc.test FILEHOST http://127.0.0.1:8080/upload TOKEN2 300";
  const { up, requests } = uploader([GRANT, grant2], [response(401), response(201, LINK)]);
  await up.upload(new File(["a"], "a.png", { type: "image/png" }));
  assert.deepEqual(requests.map((r) => r.headers.Authorization), ["Bearer TOKEN1", "Bearer TOKEN2"]);
});

test("refusals become sentences", async () => {
  for (const [status, pattern] of [[413, /too large/], [415, /does not accept \(application\/x-thing\)/], [500, /answered 500/]]) {
    const { up } = uploader([GRANT], [response(status)]);
    const file = new File(["x"], "thing.bin", { type: "application/x-thing" });
    await assert.rejects(up.upload(file), (error) => error instanceof UploadError && pattern.test(error.message));
  }
});

test("an empty file is refused before uploading", async () => {
  const { up, connection } = uploader([GRANT], []);
  await assert.rejects(up.upload(new File([], "empty.txt")), /empty/);
  assert.deepEqual(connection.sent, []);
});

test("file sharing turned off, and no connection", async () => {
  const { up } = uploader([":irc.test FAIL FILEHOST UNAVAILABLE :File sharing is off"], []);
  await assert.rejects(up.upload(new File(["x"], "x.txt")), /turned off/);
  const offline = uploader([], []);
  offline.connection.isOpen = false;
  await assert.rejects(offline.up.upload(new File(["x"], "x.txt")), /not connected/);
});

test("a network failure is a sentence too", async () => {
  const { up } = uploader([GRANT], []);
  up.fetch = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(up.upload(new File(["x"], "x.txt")), /could not be reached/);
});

test("only this server's /files/ images show inline", () => {
  const origins = ["http://127.0.0.1:8080"];
  assert.ok(isInlineImage("http://127.0.0.1:8080/files/id/cat.PNG", origins));
  assert.ok(isInlineImage("http://127.0.0.1:8080/files/id/photo.jpeg", origins));
  assert.ok(!isInlineImage("http://127.0.0.1:8080/files/id/notes.txt", origins));
  assert.ok(!isInlineImage("http://127.0.0.1:8080/static/x.png", origins));
  assert.ok(!isInlineImage("https://elsewhere.example/files/id/cat.png", origins));
  assert.ok(!isInlineImage("javascript:alert(1)//x.png", origins));
  const known = new Set(["http://127.0.0.1:8080/files/id/noextension"]);
  assert.ok(isInlineImage("http://127.0.0.1:8080/files/id/noextension", origins, known));
});

test("the upload URL stays on the page's origin across loopback names", () => {
  const page = new URL("http://localhost:8080/");
  assert.equal(uploadUrlFor("http://127.0.0.1:8080/upload", page), "http://localhost:8080/upload");
  assert.equal(uploadUrlFor("https://files.example/upload", page), "https://files.example/upload");
  const remote = new URL("http://chat.example:8080/");
  assert.equal(uploadUrlFor("http://0.0.0.0:8080/upload", remote), "http://chat.example:8080/upload");
  assert.equal(uploadUrlFor("http://127.0.0.1:8080/upload", remote), "http://127.0.0.1:8080/upload");
  assert.equal(uploadUrlFor("javascript:alert(1)", page), null);
});

test("error texts and header file names", () => {
  const file = { name: "a.png", type: "" };
  assert.match(uploadErrorText(415, file), /unknown type/);
  assert.match(uploadErrorText(401, file), /Try again/);
  assert.equal(headerFilename("\u00e9\u00e9"), "__");
  assert.equal(headerFilename(""), "upload");
  assert.equal(new Message("FILEHOST").command, "FILEHOST");
});
