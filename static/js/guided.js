/* Follow along: the timers for one exercise, and the screen kept awake.
 *
 * The server sends every timed step of the dose in the timer's data-timer
 * attribute, as a list of {kind, seconds, title, detail, spoken}; this script
 * only walks through it. Without it the page still works: the dose is in
 * words, and Done, Skip and "This hurt" are plain forms.
 */
(() => {
  "use strict";

  const PREFERENCE = "backtrack.follow-along.";
  // After a new exercise appears, its buttons wait this long, so a double tap
  // on Done cannot also record the next exercise.
  const SETTLE_MS = 700;
  let running = null; // the timer that is ticking, if any
  let wakeLock = null;
  let audio = null;

  /* Where the browser allows it, the screen stays on while this page is open. */
  async function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    if (!document.querySelector("[data-timer]")) return;
    try {
      if (!wakeLock || wakeLock.released) wakeLock = await navigator.wakeLock.request("screen");
      document.querySelectorAll("[data-awake]").forEach((note) => { note.hidden = false; });
    } catch {
      wakeLock = null; // refused, on low battery for instance: the timers work anyway
    }
  }
  document.addEventListener("visibilitychange", keepAwake);

  function preference(name, value) {
    try {
      if (value === undefined) return localStorage.getItem(PREFERENCE + name) === "on";
      localStorage.setItem(PREFERENCE + name, value ? "on" : "off");
    } catch {
      // storage turned off: the choice lasts for this page only
    }
    return value;
  }

  /* A short beep, or a few, made on the spot: no sound file to fetch. */
  function beep(count) {
    if (!audio) return;
    for (let i = 0; i < count; i += 1) {
      const at = audio.currentTime + i * 0.3;
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.3, at);
      volume.gain.exponentialRampToValueAtTime(0.001, at + 0.25);
      tone.connect(volume).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.25);
    }
  }

  class Timer {
    constructor(root, step) {
      this.root = root;
      this.step = step;
      this.steps = JSON.parse(root.dataset.timer);
      this.secondMs = Number(root.dataset.secondMs) || 1000;
      this.index = -1;
      this.left = 0;
      this.ticking = null;
      const find = (selector) => root.querySelector(selector);
      this.title = find("[data-phase-title]");
      this.seconds = find("[data-seconds]");
      this.progress = find("[data-progress]");
      this.detail = find("[data-phase-detail]");
      this.announcer = find("[data-announce]");
      this.toggle = find("[data-toggle]");
      this.restart = find("[data-restart]");
      this.toggle.addEventListener("click", () => this.press());
      this.restart.addEventListener("click", () => this.start());
      step.querySelectorAll("[data-signal]").forEach((box) => {
        box.checked = preference(box.dataset.signal);
        box.addEventListener("change", () => preference(box.dataset.signal, box.checked));
      });
      if ("vibrate" in navigator) step.querySelector("[data-vibrate-only]").hidden = false;
      step.querySelector("[data-timer-settings]").hidden = false;
      root.hidden = false;
    }

    get isRunning() { return this.ticking !== null; }

    press() {
      if (this.isRunning) this.pause();
      else if (this.index < 0 || this.index >= this.steps.length) this.start();
      else this.resume();
    }

    start() {
      this.stop();
      if (!audio && window.AudioContext) audio = new AudioContext(); // needs this tap
      this.index = 0;
      this.left = this.steps[0].seconds * this.secondMs;
      this.restart.hidden = false;
      this.show(true);
      this.resume();
      // The count and every button under it on the screen, whatever scrolled before.
      const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      this.root.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
    }

    resume() {
      if (this.isRunning) return;
      if (running && running !== this) running.pause();
      running = this;
      this.last = performance.now();
      this.ticking = setInterval(() => this.tick(), Math.min(200, this.secondMs / 4));
      this.root.dataset.state = "running";
      this.toggle.textContent = "Pause";
      if (audio && audio.state === "suspended") audio.resume();
      keepAwake();
    }

    pause() {
      if (!this.isRunning) return;
      this.stop();
      this.root.dataset.state = "paused";
      this.toggle.textContent = "Resume";
      this.say("Paused.");
    }

    stop() {
      clearInterval(this.ticking);
      this.ticking = null;
      if (running === this) running = null;
    }

    tick() {
      if (!this.root.isConnected) { this.stop(); return; } // swapped out by htmx
      const now = performance.now();
      this.left -= now - this.last;
      this.last = now;
      let ended = false;
      // Back from a hidden tab, several steps may have passed: catch up, signal once.
      while (this.left <= 0) {
        this.index += 1;
        if (this.index >= this.steps.length) { this.finish(); return; }
        ended = true;
        this.left += this.steps[this.index].seconds * this.secondMs;
      }
      if (ended) this.signal(1);
      this.show(ended);
    }

    show(isNew) {
      const step = this.steps[this.index];
      this.seconds.textContent = String(Math.max(1, Math.ceil(this.left / this.secondMs)));
      this.progress.max = step.seconds;
      this.progress.value = step.seconds - this.left / this.secondMs;
      if (!isNew) return;
      this.root.dataset.kind = step.kind;
      this.title.textContent = step.title;
      this.detail.textContent = step.detail;
      this.say(step.spoken);
    }

    finish() {
      this.stop();
      if (document.activeElement === this.restart) this.toggle.focus();
      this.root.dataset.state = "finished";
      this.root.dataset.kind = "finished";
      this.title.textContent = "All done";
      this.seconds.textContent = "✓";
      this.progress.value = this.progress.max;
      this.detail.textContent = "Press Done to record it.";
      this.toggle.textContent = "Start again";
      this.restart.hidden = true;
      this.signal(3);
      this.say("All done. Press Done to record it.");
    }

    /* The end of a step: a flash, and a beep or buzz if asked for. */
    signal(count) {
      this.root.classList.remove("guided-timer--signal");
      void this.root.offsetWidth; // restart the flash
      this.root.classList.add("guided-timer--signal");
      if (this.wants("sound")) beep(count);
      if (this.wants("vibrate") && "vibrate" in navigator) {
        navigator.vibrate(count > 1 ? [200, 100, 200, 100, 200] : 200);
      }
    }

    wants(signal) {
      const box = this.step.querySelector(`[data-signal="${signal}"]`);
      return Boolean(box && box.checked);
    }

    say(text) { this.announcer.textContent = text; }
  }

  /* Saying it hurt pauses the count, which keeps its place while the answer is saved. */
  function watchHurt(details) {
    details.addEventListener("toggle", () => {
      if (details.open && running) running.pause();
    });
  }

  function setUp(element) {
    const within = (selector) => [
      ...(element.matches(selector) ? [element] : []),
      ...element.querySelectorAll(selector),
    ];
    within("[data-timer]").forEach((root) => {
      if (root.dataset.ready) return;
      root.dataset.ready = "true";
      const step = root.closest("#guided-step");
      new Timer(root, step);
      step.querySelectorAll("[data-no-timer]").forEach((note) => { note.hidden = true; });
      keepAwake();
    });
    within("[data-hurt]").forEach(watchHurt);

    if (element.id === "guided-step") {
      // A new exercise swapped in: say so, start reading from its name, and let
      // a second tap meant for the last one land on nothing.
      document.title = element.dataset.title;
      element.querySelector("h1").focus();
      const buttons = element.querySelectorAll(".guided-outcome button");
      buttons.forEach((button) => { button.disabled = true; });
      setTimeout(() => buttons.forEach((button) => { button.disabled = false; }), SETTLE_MS);
    } else if (element.id === "guided-hurt") {
      // The rating saved: read out what to do now. Refused: back to the scale.
      const mistake = element.querySelector(".error");
      if (mistake) element.querySelector("input").focus();
      else document.getElementById("guided-record").focus();
    }
  }

  if (window.htmx) window.htmx.onLoad(setUp);
  else document.addEventListener("DOMContentLoaded", () => setUp(document.body));
})();
