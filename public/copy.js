// Copy buttons for values shown once (a new client's secret, backup codes): each button names the element whose
// text it copies. Without JavaScript the buttons stay hidden and the value can be selected by hand.
(function () {
  'use strict';
  var clipboard = window.navigator.clipboard;
  if (!clipboard || typeof clipboard.writeText !== 'function') return;
  var status = document.getElementById('copy-status');
  var buttons = document.querySelectorAll('button[data-copy]');
  // A list (backup codes) is copied one item per line; anything else as its text.
  function textOf(target) {
    var items = target.querySelectorAll('li');
    if (items.length === 0) return target.textContent.trim();
    return Array.prototype.map.call(items, function (item) { return item.textContent.trim(); }).join('\n');
  }
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      clipboard.writeText(textOf(target)).then(function () {
        if (status) status.textContent = status.getAttribute('data-copied') || 'Copied to the clipboard.';
      }, function () {
        if (status) status.textContent = status.getAttribute('data-failed') || 'Could not copy: select the text and copy it by hand.';
      });
    });
  });
}());
