/* global document, window */
// Small comforts when JavaScript runs; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Filters and the city switch apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.requestSubmit();
    });
  });
  document.querySelectorAll("[data-js-hide]").forEach(function (el) {
    el.hidden = true;
  });
  // The menu is sent open (so it works without script); on a phone it starts folded.
  if (window.matchMedia("(max-width: 800px)").matches) {
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (menu) {
      menu.open = false;
    });
  }
  // Ask once more before something that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  // A second click on a slow form would only post it twice.
  document.querySelectorAll("form[method='post']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type='submit']").forEach(function (b) {
        b.disabled = true;
      });
    });
  });
});
// Coming back with the Back button shows the page as it was left: buttons usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[disabled]").forEach(function (b) {
    b.disabled = false;
  });
});
