// File sharing, the way the soju.im/FILEHOST proposal describes it: ask the
// server over IRC for an upload address and a short-lived token (FILEHOST),
// POST the file there, and post the link it answers as a normal message.
// Also: which links are images from this server, to show inline.

import { Message } from "./irc.js";
import { safeUrl } from "./text.js";

const TOKEN_WAIT_MS = 10_000;
const TOKEN_MARGIN_MS = 15_000; // do not use a token this close to its expiry
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
const UNSPECIFIED = /^(0\.0\.0\.0|\[::\])$/; // a server listening everywhere

/** An upload that did not happen, with the sentence the person reads. */
export class UploadError extends Error {
  constructor(message) {
    super(message);
    this.name = "UploadError";
  }
}

/** Why the server refused an upload (its HTTP status), in words. */
export function uploadErrorText(status, file) {
  const name = `"${file.name}"`;
  switch (status) {
    case 400:
      return `${name} is empty, so there is nothing to share.`;
    case 401:
    case 403:
      return "The server did not accept the upload: your upload permission ran out. Try again.";
    case 413:
      return `${name} is too large to share on this server.`;
    case 415:
      return `${name} is a kind of file this server does not accept (${file.type || "unknown type"}).`;
    default:
      return `The upload of ${name} failed (the server answered ${status}).`;
  }
}

/** A file name safe for a Content-Disposition header (ASCII, no quotes). */
export function headerFilename(name) {
  const cleaned = [...name]
    .map((c) => (c >= " " && c <= "~" && c !== '"' && c !== "\\" ? c : "_"))
    .join("");
  return cleaned || "upload";
}

/**
 * Where to POST: the server's upload URL, except that we stay on the page's
 * origin (so the browser needs no cross-origin request) when the URL names
 * the same port on another name for this machine: localhost vs 127.0.0.1,
 * or 0.0.0.0 from a server listening on every address.
 */
export function uploadUrlFor(advertised, location) {
  const url = safeUrl(advertised);
  if (!url) return null;
  const page = new URL(location.href);
  const sameMachine =
    UNSPECIFIED.test(url.hostname) ||
    (LOOPBACK.test(url.hostname) && LOOPBACK.test(page.hostname));
  if (
    url.origin !== page.origin &&
    url.port === page.port &&
    url.protocol === page.protocol &&
    sameMachine
  ) {
    return new URL(url.pathname + url.search, page.origin).href;
  }
  return url.href;
}

/**
 * Is `href` a file on this chat server that is an image (so it may be shown
 * inline)? `origins` are this server's web origins; `knownImages` are links
 * we uploaded ourselves with an image type.
 */
export function isInlineImage(href, origins, knownImages = new Set()) {
  const url = safeUrl(href);
  if (!url || !origins.includes(url.origin)) return false;
  if (!url.pathname.startsWith("/files/")) return false;
  return knownImages.has(url.href) || IMAGE_EXTENSIONS.test(url.pathname);
}

export class Uploader {
  /**
   * @param connection  the Connection (to ask for FILEHOST tokens)
   * @param options     {fetch, location, now, timers}
   */
  constructor(connection, options = {}) {
    this.connection = connection;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.location = options.location ?? globalThis.location;
    this.now = options.now ?? (() => Date.now());
    this.timers = options.timers ?? globalThis;
    this.grant = null; // {url, token, expires}
    this.knownImages = new Set();
  }

  /** An upload address and token, from the cache or a fresh FILEHOST. */
  async grantFor() {
    if (this.grant && this.grant.expires - TOKEN_MARGIN_MS > this.now()) {
      return this.grant;
    }
    this.grant = null;
    const connection = this.connection;
    if (!connection.isOpen) {
      throw new UploadError("You are not connected, so the file cannot be shared now.");
    }
    const reply = await new Promise((resolve) => {
      let stop = () => {};
      const timer = this.timers.setTimeout(() => {
        stop();
        resolve(null);
      }, TOKEN_WAIT_MS);
      stop = connection.on("message", (message) => {
        const isGrant = message.command === "FILEHOST";
        const isRefusal =
          (message.command === "FAIL" || message.command === "ERR") &&
          message.param(0) === "FILEHOST";
        if (isGrant || isRefusal) {
          this.timers.clearTimeout(timer);
          stop();
          resolve(message);
        }
      });
      connection.send(new Message("FILEHOST"));
    });
    if (reply === null) {
      throw new UploadError("The server did not answer the upload request. Try again.");
    }
    if (reply.command !== "FILEHOST") {
      throw new UploadError("File sharing is turned off on this server.");
    }
    const url = uploadUrlFor(reply.param(0), this.location);
    const seconds = Number(reply.param(2)) || 60;
    if (!url) throw new UploadError("The server gave an upload address that is not valid.");
    this.grant = { url, token: reply.param(1), expires: this.now() + seconds * 1000 };
    return this.grant;
  }

  /**
   * Upload `file` (a File or Blob with a name); resolves to the link to post.
   * @throws {UploadError} with the sentence to show when anything fails.
   */
  async upload(file) {
    if (file.size === 0) throw new UploadError(uploadErrorText(400, file));
    let response = await this.#post(file, await this.grantFor());
    if (response.status === 401) {
      this.grant = null; // expired or from an old connection: one fresh try
      response = await this.#post(file, await this.grantFor());
    }
    if (response.status !== 201 && response.status !== 200) {
      throw new UploadError(uploadErrorText(response.status, file));
    }
    const link = response.headers.get("Location") || (await response.text()).trim();
    const url = safeUrl(link);
    if (!url) throw new UploadError("The server's answer to the upload was not a link.");
    if ((file.type || "").startsWith("image/")) this.knownImages.add(url.href);
    return url.href;
  }

  async #post(file, grant) {
    try {
      return await this.fetch(grant.url, {
        method: "POST",
        body: file,
        headers: {
          Authorization: `Bearer ${grant.token}`,
          "Content-Type": file.type || "application/octet-stream",
          "Content-Disposition": `attachment; filename="${headerFilename(file.name)}"`,
        },
      });
    } catch {
      throw new UploadError(
        `The upload of "${file.name}" failed: the server could not be reached.`,
      );
    }
  }
}
