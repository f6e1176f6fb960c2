// A place picker: search by name (typed, or spoken where the browser can listen), choose one.

import { searchPlaces } from "./api.js";
import { has, lang, t } from "./i18n.js";

const SPEECH_LANG = { de: "de-DE", en: "en-GB" };

/** "Postbank (amenity)": the name with the kind of place, in the app's language. */
export function placeLabel(place) {
  const kind = `kind_${place.kind}`;
  return has(kind) ? `${place.name} (${t(kind)})` : place.name;
}

export class PlacePicker {
  /**
   * @param {HTMLFormElement} form  the picker's form (input, search and voice buttons, status, list)
   * @param {(place: object, button: HTMLElement) => void} onChoose
   */
  constructor(form, onChoose) {
    this.form = form;
    this.input = form.querySelector("input");
    this.status = form.querySelector(".picker-status");
    this.list = form.querySelector(".choices");
    this.onChoose = onChoose;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(this.input.value.trim());
    });
    const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    const voice = form.querySelector(".voice");
    if (Recognition && voice) {
      voice.hidden = false;
      voice.addEventListener("click", () => this.listen(Recognition));
    }
  }

  async search(query) {
    this.list.replaceChildren();
    if (!query) return;
    this.status.textContent = t("searching");
    let found;
    try {
      found = await searchPlaces(query);
    } catch (err) {
      this.status.textContent = err.code === "network" ? t("err_network") : err.message;
      return;
    }
    this.status.textContent = found.length
      ? t("n_results", { n: found.length }) : t("no_results", { q: query });
    this.list.replaceChildren(...found.map((place) => choiceItem(place, this.onChoose)));
  }

  /** Fill the field from the microphone (the browser's speech recognition), then search. */
  listen(Recognition) {
    const recognition = new Recognition();
    recognition.lang = SPEECH_LANG[lang()];
    recognition.interimResults = false;
    recognition.maxAlternatives = 1;
    this.status.textContent = t("voice_listening");
    recognition.onresult = (event) => {
      this.input.value = event.results[0][0].transcript;
      this.search(this.input.value.trim());
    };
    recognition.onerror = () => { this.status.textContent = t("voice_failed"); };
    try {
      recognition.start();
    } catch {
      this.status.textContent = t("voice_failed");
    }
  }

  clear() {
    this.list.replaceChildren();
    this.status.textContent = "";
  }
}

/** One choosable place as a list item holding a button. */
export function choiceItem(place, onChoose) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = placeLabel(place);
  button.addEventListener("click", () => onChoose(place, button));
  item.append(button);
  return item;
}
