// Desktop notifications for mentions and private messages, when the person
// has allowed them (the Notification API asks once, on a click).

export class Notifier {
  constructor({ Notification = globalThis.Notification, storage = globalThis.localStorage } = {}) {
    this.Notification = Notification;
    this.storage = storage;
    this.wanted = this.#read() === "on";
  }

  /** Has the person (or the browser) refused notifications for this site? */
  get blocked() {
    return this.available && this.Notification.permission === "denied";
  }

  /** Can this browser show notifications at all? */
  get available() {
    return typeof this.Notification === "function";
  }

  /** On: available, wanted, and allowed by the browser. */
  get enabled() {
    return this.available && this.wanted && this.Notification.permission === "granted";
  }

  /** Turn notifications on (asking the browser if needed) or off. */
  async toggle() {
    if (!this.available) return false;
    if (this.enabled) {
      this.wanted = false;
    } else {
      const permission =
        this.Notification.permission === "default"
          ? await this.Notification.requestPermission()
          : this.Notification.permission;
      this.wanted = permission === "granted";
    }
    this.#write(this.wanted ? "on" : "off");
    return this.enabled;
  }

  /** Show one notification (text only); clicking it calls `onClick`. */
  show(title, body, onClick) {
    if (!this.enabled) return;
    try {
      const notification = new this.Notification(title, { body, tag: title });
      notification.onclick = () => {
        globalThis.focus?.();
        onClick?.();
        notification.close();
      };
    } catch {
      // Some browsers (Android Chrome) only notify from a service worker.
    }
  }

  #read() {
    try {
      return this.storage?.getItem("hubbub.notifications");
    } catch {
      return null;
    }
  }

  #write(value) {
    try {
      this.storage?.setItem("hubbub.notifications", value);
    } catch {
      // Private browsing may refuse storage; the choice lasts for this page.
    }
  }
}
