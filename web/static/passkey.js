// Passkey ceremonies for sesame's pages. A form marked data-passkey="register",
// "sign-in" or "second-factor" is not sent as it is: this script asks the JSON
// API for the ceremony's options, hands them to the browser (which asks the
// user to touch or unlock their device), puts the browser's answer in the
// form's hidden "credential" field and then sends the form, so that the page
// flow is the server's, as for every other form. Nothing here decides
// anything: the server checks every answer.
"use strict";

(() => {
  const optionsURL = {
    "register": "/api/v1/account/passkeys/options",
    "sign-in": "/api/v1/session/passkey/options",
    "second-factor": "/api/v1/session/second-factor/options",
  };

  const supported = () =>
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  // say shows msg in the form's alert box.
  const say = (form, msg) => {
    const box = form.querySelector("[data-passkey-error]");
    box.textContent = msg;
    box.hidden = msg === "";
  };

  // fail explains an error of the browser or of the API in the form.
  const fail = (form, err) => {
    if (err.name === "NotAllowedError" || err.name === "AbortError") {
      say(form, "No passkey was used. Try again when you are ready.");
    } else if (err.name === "InvalidStateError") {
      say(form, "This device already holds one of your passkeys.");
    } else if (err.name === "SecurityError") {
      say(form, "Passkeys cannot be used at this address.");
    } else {
      say(form, err.message || String(err));
    }
  };

  const ceremony = async (form) => {
    const kind = form.dataset.passkey;
    const answer = await fetch(optionsURL[kind], {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: "{}",
      credentials: "same-origin",
    });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = body.error || {};
      if (error.code === "reauthentication_required") {
        location.assign("/reauth?next=" + encodeURIComponent(location.pathname));
        return;
      }
      if (answer.status === 401 && kind === "second-factor") {
        location.assign("/login");
        return;
      }
      throw new Error(error.message || "The server refused: " + answer.status);
    }
    const credential = kind === "register"
      ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(body.publicKey) })
      : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(body.publicKey) });
    form.elements.credential.value = JSON.stringify(credential);
    // The login page has one "keep me signed in" box, in the password
    // form; it counts for the passkey too.
    const remember = document.querySelector('input[type="checkbox"][name="remember"]');
    if (form.elements.remember && remember && remember.checked) {
      form.elements.remember.value = "1";
    }
    form.submit();
  };

  for (const form of document.querySelectorAll("form[data-passkey]")) {
    if (!supported()) {
      say(form, "This browser cannot use passkeys.");
      form.querySelector("button").disabled = true;
      continue;
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      say(form, "");
      const button = form.querySelector("button");
      button.disabled = true;
      ceremony(form).catch((err) => fail(form, err)).finally(() => { button.disabled = false; });
    });
  }
})();
