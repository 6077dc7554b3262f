// The sign-up form's proof of work (served at /subscribe/pow.js; no third party).
// Finds a nonce whose SHA-256 with the form's ticket starts with the number of zero
// bits the form asks for (`app::signup::pow_solves` checks the same on the server),
// while the person types. A submit before it is done waits for it.
(function () {
  var form = document.querySelector("form.signup-form");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder) return;
  var bits = parseInt(form.getAttribute("data-pow-bits"), 10) || 0;
  var ticket = form.elements["ticket"].value;
  var answer = form.elements["pow"];
  var encoder = new TextEncoder();
  function zeroBits(buffer) {
    var bytes = new Uint8Array(buffer), n = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { n += 8; continue; }
      var v = bytes[i];
      while ((v & 0x80) === 0) { n++; v <<= 1; }
      break;
    }
    return n;
  }
  async function solve() {
    for (var start = 0; ; start += 512) {
      var batch = [];
      for (var i = 0; i < 512; i++) {
        batch.push(crypto.subtle.digest("SHA-256", encoder.encode(ticket + ":" + (start + i))));
      }
      var digests = await Promise.all(batch);
      for (var j = 0; j < digests.length; j++) {
        if (zeroBits(digests[j]) >= bits) return String(start + j);
      }
    }
  }
  var done = false;
  // Should the browser refuse the work, the form goes without it (as with JavaScript off).
  var work = solve().then(function (nonce) { answer.value = nonce; done = true; }, function () { done = true; });
  form.addEventListener("submit", function (event) {
    if (done) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = button.getAttribute("data-working") || "…"; }
    work.then(function () { form.submit(); });
  });
})();
