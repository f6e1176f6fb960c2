// Everything the walker hears or feels: ARIA live regions (polite; assertive for safety only),
// an earcon, the server's audio or the browser's own speech, and vibration.

/** A said message leaves its live region after this long (screen readers have taken it by
 *  then), so someone reading the page does not stumble over old announcements. */
const KEPT_MS = 8000;
const VIBRATION = { normal: [120], urgent: [250, 120, 250, 120, 250], done: [400, 150, 400] };
const SPEECH_LANG = { de: "de-DE", en: "en-GB" };

function wait(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

/** How long a sentence takes to say, as a ceiling for players that never report their end. */
function speakingMs(text) {
  return 1500 + (text.split(/\s+/).length / 2.0) * 1000;
}

export class Announcer {
  constructor(polite, assertive) {
    this.regions = { polite, assertive };
    this.voice = true;
    this.vibrate = true;
    this.lang = "de";
    this.queue = Promise.resolve();
    this.generation = 0;
    this.audio = null;
    this.context = null;
  }

  /** Must run inside a user gesture (the Start button): browsers unlock sound only then. */
  unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!this.context && Context) this.context = new Context();
    this.context?.resume?.().catch(() => {});
  }

  /** Say something: ``urgent`` for safety messages (assertive, interrupts what is playing);
   *  ``interrupts`` stops what is playing too (an instruction that makes it obsolete). */
  say(text, { urgent = false, audioUrl = null, done = false, interrupts = false } = {}) {
    const region = this.regions[urgent ? "assertive" : "polite"];
    const line = document.createElement("p");
    line.textContent = text;
    region.append(line);
    setTimeout(() => line.remove(), KEPT_MS);
    if (this.vibrate && navigator.vibrate) {
      navigator.vibrate(VIBRATION[done ? "done" : urgent ? "urgent" : "normal"]);
    }
    if (urgent || interrupts) this.silence();
    const generation = this.generation;
    this.queue = this.queue.then(() => (generation === this.generation
      ? this.play(text, audioUrl, urgent) : undefined)).catch(() => {});
  }

  /** Stop what is playing and drop what is queued. */
  silence() {
    this.generation += 1;
    this.audio?.pause();
    window.speechSynthesis?.cancel();
  }

  async play(text, audioUrl, urgent) {
    await this.earcon(urgent);
    if (!this.voice) return;
    if (audioUrl && await this.playAudio(audioUrl, text)) return;
    await this.speak(text);
  }

  /** A short rising tone (two falling ones for safety messages) before each message. */
  async earcon(urgent) {
    const ctx = this.context;
    if (!ctx || ctx.state !== "running") return;
    const tones = urgent ? [660, 440] : [880];
    tones.forEach((hz, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const start = ctx.currentTime + i * 0.18;
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.2, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + 0.15);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.16);
    });
    await wait(tones.length * 180 + 60);
  }

  /** The server's recording of the sentence; false when it cannot be played. */
  async playAudio(url, text) {
    const audio = new Audio(url);
    this.audio = audio;
    try {
      await audio.play();
    } catch {
      return false;
    }
    await Promise.race([
      new Promise((resolve) => { audio.onended = resolve; audio.onerror = resolve; audio.onpause = resolve; }),
      wait(speakingMs(text) * 2),
    ]);
    return true;
  }

  /** The browser's own speech, when the server sent no audio. */
  async speak(text) {
    const synth = window.speechSynthesis;
    if (!synth || typeof SpeechSynthesisUtterance === "undefined") return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = SPEECH_LANG[this.lang] ?? this.lang;
    const ended = new Promise((resolve) => { utterance.onend = resolve; utterance.onerror = resolve; });
    synth.speak(utterance);
    await Promise.race([ended, wait(speakingMs(text))]);
  }
}
