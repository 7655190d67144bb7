// Portolan: follows a running scaffolder task on its page (/create/tasks/:id).
// The page works without this script (it refreshes itself); with it, log
// lines and step statuses arrive as the task's event stream sends them, and
// the page reloads once the task is done to show its output.
(function () {
  'use strict';

  var root = document.querySelector('[data-task-id][data-follow="true"]');
  if (!root || typeof window.EventSource !== 'function') {
    return;
  }
  var taskId = root.getAttribute('data-task-id');
  var lastId = parseInt(root.getAttribute('data-last-event') || '0', 10) || 0;
  var url = '/api/scaffolder/v2/tasks/' + encodeURIComponent(taskId) + '/eventstream?after=' + lastId;
  var source = new EventSource(url);
  var done = false;

  function parse(message) {
    try {
      var event = JSON.parse(message.data);
      return event && typeof event === 'object' ? event : null;
    } catch (e) {
      return null;
    }
  }

  function fresh(event) {
    var id = Number(event.id);
    if (!isFinite(id) || id <= lastId) {
      return false;
    }
    lastId = id;
    root.setAttribute('data-last-event', String(id));
    return true;
  }

  function byAttribute(name, value) {
    var all = root.querySelectorAll('[' + name + ']');
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute(name) === value) {
        return all[i];
      }
    }
    return null;
  }

  function shortTime(text) {
    return String(text || '').replace('T', ' ').slice(0, 19);
  }

  function setBadge(badge, status) {
    if (!badge) {
      return;
    }
    badge.textContent = status;
    badge.setAttribute('data-status', status);
    badge.className = badge.className.replace(/\bstatus-[a-z-]+/g, '') + ' status-' + status.replace(/[^a-z]/g, '-');
  }

  function appendLine(event, body) {
    var log = byAttribute('data-log-for', body.stepId || '') || byAttribute('data-log-for', '');
    if (!log) {
      return;
    }
    var line = document.createElement('span');
    line.className = 'log-line';
    line.setAttribute('data-event-id', String(event.id));
    var when = document.createElement('span');
    when.className = 'log-time';
    when.textContent = shortTime(event.createdAt);
    line.appendChild(when);
    line.appendChild(document.createTextNode(' ' + String(body.message) + '\n'));
    log.appendChild(line);
    var details = log.closest('details');
    if (details) {
      details.open = true;
    }
  }

  function setStep(stepId, status) {
    var step = byAttribute('data-step-id', stepId);
    if (step) {
      setBadge(step.querySelector('.step-status .badge'), status);
    }
    if (status === 'processing') {
      setBadge(document.getElementById('task-status'), 'processing');
    }
  }

  function finish() {
    done = true;
    source.close();
    window.location.reload();
  }

  source.addEventListener('log', function (message) {
    var event = parse(message);
    if (!event || !fresh(event)) {
      return;
    }
    var body = event.body || {};
    if (body.stepId && body.status) {
      setStep(String(body.stepId), String(body.status));
    }
    if (body.message !== undefined && body.message !== null && body.message !== '') {
      appendLine(event, body);
    }
  });

  source.addEventListener('completion', function (message) {
    var event = parse(message);
    if (event) {
      fresh(event);
    }
    finish();
  });

  source.addEventListener('cancelled', function () {
    finish();
  });

  source.onerror = function () {
    if (!done && source.readyState === EventSource.CLOSED) {
      var hint = root.querySelector('.task-refresh');
      if (hint) {
        hint.textContent = 'Lost the connection to the task. Reload the page to see the latest log.';
      }
    }
  };
})();
