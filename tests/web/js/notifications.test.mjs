// notifications.js: on only when wanted and allowed; remembered.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Notifier } from "../../../src/hubbub/web/static/src/notifications.js";

function fakes(permission, answer = permission) {
  const shown = [];
  class FakeNotification {
    static permission = permission;
    static async requestPermission() {
      FakeNotification.permission = answer;
      return answer;
    }
    constructor(title, options) {
      shown.push([title, options.body]);
    }
    close() {}
  }
  const stored = new Map();
  const storage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, v) };
  return { Notification: FakeNotification, storage, shown, stored };
}

test("turning on asks the browser once, then shows notifications", async () => {
  const { Notification, storage, shown, stored } = fakes("default", "granted");
  const notifier = new Notifier({ Notification, storage });
  assert.ok(!notifier.enabled);
  notifier.show("nobody", "sees this");
  assert.equal(await notifier.toggle(), true);
  assert.equal(stored.get("hubbub.notifications"), "on");
  notifier.show("alice in #room", "bob: hi");
  assert.deepEqual(shown, [["alice in #room", "bob: hi"]]);
  assert.ok(new Notifier({ Notification, storage }).enabled, "remembered");
  assert.equal(await notifier.toggle(), false);
  assert.equal(stored.get("hubbub.notifications"), "off");
});

test("refused by the browser: off, and said to be blocked", async () => {
  const { Notification, storage } = fakes("default", "denied");
  const notifier = new Notifier({ Notification, storage });
  assert.equal(await notifier.toggle(), false);
  assert.ok(notifier.blocked);
});

test("without the Notification API there is nothing to turn on", async () => {
  const notifier = new Notifier({ Notification: undefined, storage: null });
  assert.ok(!notifier.available);
  assert.equal(await notifier.toggle(), false);
});
