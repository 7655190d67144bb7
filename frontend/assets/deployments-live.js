// Portolan: keeps an entity's Deployments tab live (/catalog/…?tab=deployments).
// The page works without this script (it has a Refresh link); with it, the
// panel follows the stream named by the wrapper's data-events-url: each
// `status` event carries the panel's HTML, rendered and escaped by the
// server, which replaces the wrapper's content. Pods tables the reader
// opened or closed stay that way across updates; EventSource reconnects by
// itself after a dropped connection.
(function () {
  'use strict';

  var root = document.querySelector('[data-events-url]');
  if (!root || typeof window.EventSource !== 'function') {
    return;
  }
  var url = root.getAttribute('data-events-url') || '';
  // Same origin only: a path, never a scheme or a protocol-relative URL.
  if (url.charAt(0) !== '/' || url.charAt(1) === '/' || url.charAt(1) === '\\') {
    return;
  }
  var state = document.querySelector('[data-live-state]');
  var announce = document.querySelector('[data-live-announce]');
  // id of a <details> → whether the reader left it open.
  var chosen = {};
  var last = null;

  function setState(text) {
    if (state) {
      state.textContent = text;
    }
  }

  function overall() {
    var panel = root.querySelector('[data-overall-health]');
    return panel ? panel.getAttribute('data-overall-health') : '';
  }

  function reason() {
    var line = root.querySelector('.deployments-reason');
    return line ? line.textContent : '';
  }

  function clock() {
    var now = new Date();
    function two(n) {
      return (n < 10 ? '0' : '') + n;
    }
    return two(now.getHours()) + ':' + two(now.getMinutes()) + ':' + two(now.getSeconds());
  }

  // A click on a summary (mouse, Enter or Space) toggles its <details>; the
  // state after the toggle is the reader's choice for that id.
  root.addEventListener('click', function (event) {
    var summary = event.target && event.target.closest ? event.target.closest('summary') : null;
    var details = summary ? summary.parentElement : null;
    if (details && details.tagName === 'DETAILS' && details.id && root.contains(details)) {
      chosen[details.id] = !details.open;
    }
  });

  var FOCUSABLE = 'a[href], summary, button';

  // Where the focus is, as the nearest element with an id and the focused
  // element's index among that element's focusable descendants (or itself).
  function focusMark() {
    var active = document.activeElement;
    if (!active || active === root || !root.contains(active)) {
      return null;
    }
    var holder = active.parentElement ? active.parentElement.closest('[id]') : null;
    if (!holder || !root.contains(holder)) {
      return null;
    }
    var list = holder.querySelectorAll(FOCUSABLE);
    for (var i = 0; i < list.length; i++) {
      if (list[i] === active) {
        return { id: holder.id, index: i };
      }
    }
    return null;
  }

  function refocus(mark) {
    var holder = mark ? document.getElementById(mark.id) : null;
    var target = holder ? holder.querySelectorAll(FOCUSABLE)[mark.index] : null;
    if (target && typeof target.focus === 'function') {
      target.focus({ preventScroll: true });
    }
  }

  function replace(html) {
    var before = overall();
    var mark = focusMark();
    root.innerHTML = html;
    var all = root.querySelectorAll('details[id]');
    for (var i = 0; i < all.length; i++) {
      if (Object.prototype.hasOwnProperty.call(chosen, all[i].id)) {
        all[i].open = chosen[all[i].id];
      }
    }
    refocus(mark);
    var after = overall();
    if (announce && after && after !== before) {
      announce.textContent = 'Health is now ' + after + '. ' + reason();
    }
  }

  var source = new EventSource(url);

  source.addEventListener('status', function (message) {
    if (typeof message.data !== 'string' || message.data === '') {
      return;
    }
    if (message.data !== last) {
      last = message.data;
      replace(message.data);
    }
    setState('Live: updated at ' + clock() + '.');
  });

  source.onopen = function () {
    setState('Live: follows the clusters as they change.');
  };

  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) {
      setState('Lost the live connection. Refresh to see the latest state.');
    } else {
      setState('Reconnecting…');
    }
  };
})();
