// Shows every <time data-local-time> in the browser's own time zone; the page says UTC without it.
(function () {
  'use strict';
  var format;
  try {
    // dateStyle cannot be combined with timeZoneName: the fields are named one by one.
    format = new Intl.DateTimeFormat(undefined, {
      day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    });
  } catch {
    return;
  }
  function rewrite(root) {
    var times = (root || document).querySelectorAll('time[data-local-time]');
    for (var i = 0; i < times.length; i += 1) {
      var when = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(when.getTime())) times[i].textContent = format.format(when);
    }
  }
  window.gatehouseLocalTimes = rewrite;
  rewrite(document);
})();
