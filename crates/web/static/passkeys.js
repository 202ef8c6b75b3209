// Passkeys: the glue between the options the server renders into a form (data-options, JSON
// with its binary fields in base64url) and the browser's navigator.credentials. A form marked
// data-passkey="create" registers a passkey, data-passkey="get" uses one; the credential goes
// back to the server as JSON in the form's "response" field and the form is posted as usual.
// data-conditional also offers the passkeys in the email field's autofill (conditional UI).
// The forms are hidden until this script finds WebAuthn: without it they cannot work.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function bytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out.buffer;
  }

  function text(buffer) {
    var b = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < b.length; i++) {
      raw += String.fromCharCode(b[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: bytes(d.id) };
    });
  }

  function options(form) {
    var o = JSON.parse(form.getAttribute("data-options"));
    o.challenge = bytes(o.challenge);
    if (o.user) {
      o.user.id = bytes(o.user.id);
      o.excludeCredentials = descriptors(o.excludeCredentials);
    } else {
      o.allowCredentials = descriptors(o.allowCredentials);
    }
    return o;
  }

  // The credential as PublicKeyCredential.toJSON() would write it.
  function encode(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: text(cred.rawId),
      type: cred.type,
      response: { clientDataJSON: text(r.clientDataJSON) },
      clientExtensionResults: {}
    };
    if (r.attestationObject) {
      out.response.attestationObject = text(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      out.response.userHandle = r.userHandle ? text(r.userHandle) : null;
    }
    return JSON.stringify(out);
  }

  function send(form, cred) {
    form.elements.response.value = encode(cred);
    form.submit();
  }

  function say(form, message) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = message;
    }
  }

  // The autofill request waiting on the email field; a button press cancels it first.
  var waiting = null;

  function ask(form, kind, extra) {
    var publicKey = options(form);
    var request = Object.assign({ publicKey: publicKey }, extra || {});
    return kind === "create"
      ? navigator.credentials.create(request)
      : navigator.credentials.get(request);
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var kind = form.getAttribute("data-passkey");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (form.elements.response.value) {
        return;
      }
      event.preventDefault();
      if (waiting) {
        waiting.abort();
        waiting = null;
      }
      say(form, "");
      ask(form, kind).then(
        function (cred) {
          send(form, cred);
        },
        function (e) {
          say(form, e && e.name === "NotAllowedError"
            ? "No passkey was used (cancelled or timed out). Try again."
            : "The passkey did not work: " + (e && e.message ? e.message : e));
        }
      );
    });
    if (form.hasAttribute("data-conditional") && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available || waiting) {
          return;
        }
        waiting = new AbortController();
        ask(form, kind, { mediation: "conditional", signal: waiting.signal }).then(
          function (cred) {
            send(form, cred);
          },
          function () {}
        );
      });
    }
  });
})();
