// The sessions page, kept current without a reload: listens to /account/events and re-reads the
// list when another session of the account starts or ends; warns before this session expires.
// When this browser's own session ends (signed out from another device, or expired), the page
// says so, links to sign in again, and its buttons go. Without JavaScript (or EventSource) the
// page works as it is, and a form posted from it after the session ended is answered plainly.
(function () {
  'use strict';
  var list = document.getElementById('sessions');
  if (!list || typeof window.EventSource !== 'function' || typeof window.fetch !== 'function') return;
  var live = document.getElementById('session-live');
  var expiry = document.getElementById('session-expiry');
  var ended = document.getElementById('session-ended');
  var currentUid = list.getAttribute('data-current');
  var warnSeconds = Number(list.getAttribute('data-warn-seconds')) || 300;
  var warnTimer;
  var source;
  var over = false;

  function say(text) {
    if (live) live.textContent = text;
  }

  function remove(node) {
    if (node && node.parentNode) node.parentNode.removeChild(node);
  }

  // This browser is no longer signed in: nothing on the page can be acted on any more.
  function showEnded() {
    if (over) return;
    over = true;
    if (source) source.close();
    window.clearTimeout(warnTimer);
    var controls = list.querySelectorAll('form, a, .badge');
    for (var i = 0; i < controls.length; i += 1) remove(controls[i]);
    remove(document.getElementById('end-others'));
    if (expiry) expiry.hidden = true;
    if (ended) ended.hidden = false;
    else say('You have been signed out. Reload the page to sign in again.');
  }

  function warnExpiry(expiresAt) {
    if (!expiry || over) return;
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

  // The page as the server sees it now; undefined when this browser was sent to sign in instead.
  function fetchPage() {
    return window.fetch(window.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (response.ok && new URL(response.url).pathname === window.location.pathname) return response.text();
        if (response.ok || response.status === 401) return undefined;
        return Promise.reject(new Error(String(response.status)));
      });
  }

  function refreshList() {
    fetchPage()
      .then(function (html) {
        if (html === undefined) return showEnded();
        var fresh = new window.DOMParser().parseFromString(html, 'text/html').getElementById('sessions');
        if (!fresh || over) return;
        list.innerHTML = fresh.innerHTML;
        if (typeof window.gatehouseLocalTimes === 'function') window.gatehouseLocalTimes(list);
      })
      .catch(function () { say('The list may be out of date. Reload the page to see it.'); });
  }

  function payload(event) {
    try { return JSON.parse(event.data); } catch { return {}; }
  }

  source = new window.EventSource(list.getAttribute('data-events'));
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
    if (data.current || data.session === currentUid) return showEnded();
    var row = list.querySelector('[data-session="' + String(data.session).replace(/[^A-Za-z0-9_-]/g, '') + '"]');
    remove(row);
    say('A session was signed out. The list was updated.');
  });
  source.addEventListener('session.expiring', function (event) {
    var data = payload(event);
    if (data.at) warnExpiry(data.at);
  });
  // The stream was refused (the session is gone: the server sends this browser to sign in) or
  // lost for good: ask the page itself whether this browser is still signed in.
  source.addEventListener('error', function () {
    if (source.readyState === window.EventSource.CLOSED && !over) refreshList();
  });
  if (list.getAttribute('data-expires-at')) scheduleWarning(list.getAttribute('data-expires-at'));
})();
