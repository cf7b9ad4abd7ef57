// The sessions page, kept current without a reload: listens to /account/events and re-reads the
// list when another session of the account starts or ends; warns before this session expires.
// Without JavaScript (or EventSource) the page works as it is.
(function () {
  'use strict';
  var list = document.getElementById('sessions');
  if (!list || typeof window.EventSource !== 'function' || typeof window.fetch !== 'function') return;
  var live = document.getElementById('session-live');
  var expiry = document.getElementById('session-expiry');
  var currentUid = list.getAttribute('data-current');
  var warnSeconds = Number(list.getAttribute('data-warn-seconds')) || 300;
  var warnTimer;

  function say(text) {
    if (live) live.textContent = text;
  }

  function warnExpiry(expiresAt) {
    if (!expiry) return;
    var when = new Date(expiresAt);
    expiry.textContent = 'Your session ends at ' + when.toLocaleTimeString() + '. Reload the page to stay signed in, or save your work.';
    expiry.hidden = false;
  }

  function scheduleWarning(expiresAt) {
    window.clearTimeout(warnTimer);
    var delay = new Date(expiresAt).getTime() - warnSeconds * 1000 - Date.now();
    if (isNaN(delay) || delay > 2147483647) return;
    warnTimer = window.setTimeout(function () { warnExpiry(expiresAt); }, Math.max(0, delay));
  }

  function refreshList() {
    window.fetch(window.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(new Error(String(response.status))); })
      .then(function (html) {
        var fresh = new window.DOMParser().parseFromString(html, 'text/html').getElementById('sessions');
        if (fresh) list.innerHTML = fresh.innerHTML;
      })
      .catch(function () { say('The list may be out of date. Reload the page to see it.'); });
  }

  function payload(event) {
    try { return JSON.parse(event.data); } catch { return {}; }
  }

  var source = new window.EventSource(list.getAttribute('data-events'));
  source.addEventListener('ready', function (event) {
    var data = payload(event);
    if (data.expiresAt) scheduleWarning(data.expiresAt);
  });
  source.addEventListener('session.created', function (event) {
    if (payload(event).current) return;
    say('You signed in somewhere else. The list was updated.');
    refreshList();
  });
  source.addEventListener('session.ended', function (event) {
    var data = payload(event);
    if (data.current || data.session === currentUid) {
      source.close();
      say('This session was signed out. Sign in again to continue.');
      return;
    }
    var row = list.querySelector('[data-session="' + String(data.session).replace(/[^A-Za-z0-9_-]/g, '') + '"]');
    if (row) row.parentNode.removeChild(row);
    say('A session was signed out. The list was updated.');
  });
  source.addEventListener('session.expiring', function (event) {
    var data = payload(event);
    if (data.at) warnExpiry(data.at);
  });
  if (list.getAttribute('data-expires-at')) scheduleWarning(list.getAttribute('data-expires-at'));
})();
