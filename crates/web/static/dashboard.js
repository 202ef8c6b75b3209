// Gatehouse dashboard: the only script. Copy buttons; every flow works without it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  field.select();
  var done = function () { button.textContent = "Copied"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
// Without this script the buttons stay hidden: the field can still be selected and copied.
document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
