// Copy buttons for values shown once (a new client's secret): each button names the element whose
// text it copies. Without JavaScript the buttons stay hidden and the value can be selected by hand.
(function () {
  'use strict';
  var clipboard = window.navigator.clipboard;
  if (!clipboard || typeof clipboard.writeText !== 'function') return;
  var status = document.getElementById('copy-status');
  var buttons = document.querySelectorAll('button[data-copy]');
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      clipboard.writeText(target.textContent.trim()).then(function () {
        if (status) status.textContent = 'Copied to the clipboard.';
      }, function () {
        if (status) status.textContent = 'Could not copy: select the text and copy it by hand.';
      });
    });
  });
}());
