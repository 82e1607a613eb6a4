// Inputs marked data-select-on-focus select their whole text when focused (the API key shown once),
// so it is copied in one go. A static file, not an onfocus= attribute: the Content-Security-Policy runs
// no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
});
