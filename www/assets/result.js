/*
 * result.js — the result page /orientation/resultat/<id> (SPEC §6).
 *
 * COMPLETED: wires the "Imprimer / Enregistrer en PDF" button; while the
 * report's PDF is being made (it follows COMPLETED by a few seconds), looks
 * at the page again every 4 s for two minutes and shows « Télécharger le
 * PDF » as soon as the server offers it.
 * PENDING: polls GET /api/orientation/bilan/<id> every 5 s (or the server's
 * Retry-After) with If-None-Match, so an unchanged bilan costs a 304. A new
 * step updates the label in place; COMPLETED or FAILED fetches the page again
 * and swaps #bilan-state (the server renders the final state; a full reload is
 * the fallback), then marks the tab's title and favicon. Errors back off
 * 10 → 20 → 40 → 60 s with a discreet note.
 */
(function () {
  'use strict';

  var state = document.getElementById('bilan-state');
  if (!state || !window.Api) return;
  var Api = window.Api;

  var BASE_DELAY = 5000;
  var MAX_DELAY = 60000;

  function wirePrint() {
    var button = document.getElementById('print');
    if (button && !button.hasAttribute('data-wired')) {
      button.setAttribute('data-wired', '');
      button.addEventListener('click', function () { window.print(); });
    }
  }
  wirePrint();

  /** This page as the server renders it now, parsed (never inserted as a string). */
  function fetchPage() {
    return fetch(window.location.pathname, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Accept': 'text/html' }
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.text();
    }).then(function (html) {
      return new DOMParser().parseFromString(html, 'text/html');
    });
  }

  /** Swaps in the server's actions (with the download link) once the PDF exists. */
  function watchForPDF() {
    var actions = document.getElementById('result-actions');
    if (!actions || !actions.hasAttribute('data-pdf-pending') || actions.hasAttribute('data-watching')) return;
    actions.setAttribute('data-watching', '');
    var tries = 0;
    function look() {
      tries += 1;
      fetchPage().then(function (doc) {
        var fresh = doc.getElementById('result-actions');
        var current = document.getElementById('result-actions');
        if (fresh && current && fresh.querySelector('#pdf-download')) {
          current.parentNode.replaceChild(document.importNode(fresh, true), current);
          wirePrint();
        } else if (tries < 30) {
          setTimeout(look, 4000);
        }
      }).catch(function () {
        if (tries < 30) setTimeout(look, 8000);
      });
    }
    setTimeout(look, 2000);
  }
  watchForPDF();

  var id = state.getAttribute('data-bilan-id');
  if (state.getAttribute('data-status') !== 'PENDING' || !id) return;

  var url = '/api/orientation/bilan/' + encodeURIComponent(id);
  var etag = null;
  var failures = 0;
  var timer = null;
  var inFlight = false;
  var finished = false;

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function setNote(visible) {
    var note = document.getElementById('connection-note');
    if (note) note.hidden = !visible;
  }

  function updateProgress(data) {
    var progress = data.progress || {};
    var step = typeof progress.step === 'number' ? String(progress.step) : state.getAttribute('data-step');
    if (step !== state.getAttribute('data-step')) state.setAttribute('data-step', step);
    var label = document.getElementById('step-label');
    if (label && progress.label && label.textContent !== progress.label) label.textContent = progress.label;
  }

  /**
   * A student who left the tab in the background sees it change: a ✅ (or
   * ⚠️) before the title and a favicon with a badge (SPEC §14).
   */
  function announceInTab(status, title) {
    var completed = status === 'COMPLETED';
    document.title = (completed ? '\u2705 ' : '\u26A0\uFE0F ') + (title || document.title);
    var icon = document.getElementById('favicon');
    if (icon) icon.setAttribute('href', completed ? '/assets/favicon-ready.svg' : '/assets/favicon-failed.svg');
  }

  /** Replaces #bilan-state with the server-rendered final state, without reloading. */
  function showFinalState() {
    finished = true;
    clearTimeout(timer);
    fetchPage().then(function (doc) {
      var fresh = doc.getElementById('bilan-state');
      if (!fresh || fresh.getAttribute('data-status') === 'PENDING') throw new Error('not final');
      // The new state is announced through its focused heading, not by reading
      // the whole report out of the live region.
      state.setAttribute('aria-live', 'off');
      ['data-status', 'data-step'].forEach(function (a) {
        state.setAttribute(a, fresh.getAttribute(a) || '');
      });
      state.innerHTML = fresh.innerHTML;
      announceInTab(fresh.getAttribute('data-status'), doc.title);
      wirePrint();
      watchForPDF();
      var title = document.getElementById('state-title');
      if (title) title.focus();
      setTimeout(function () { state.setAttribute('aria-live', 'polite'); }, 1500);
    }).catch(function () {
      window.location.reload();
    });
  }

  function poll() {
    if (finished || inFlight) return;
    inFlight = true;
    var headers = {};
    if (etag) headers['If-None-Match'] = etag;
    Api.request(url, { headers: headers, timeout: 15000 }).then(function (r) {
      inFlight = false;
      failures = 0;
      setNote(false);
      var tag = r.headers.get('ETag');
      if (tag) etag = tag;
      var retryAfter = parseInt(r.headers.get('Retry-After') || '', 10);
      var next = retryAfter >= 1 && retryAfter <= 60 ? retryAfter * 1000 : BASE_DELAY;
      if (r.status === 304 || !r.data) { schedule(next); return; }
      if (r.data.status === 'COMPLETED' || r.data.status === 'FAILED') {
        showFinalState();
        return;
      }
      updateProgress(r.data);
      schedule(next);
    }, function (err) {
      inFlight = false;
      // Session gone or bilan no longer visible: the server page knows what to show
      // (login redirect, not-found page).
      if (err.status === 401 || err.status === 404) {
        finished = true;
        window.location.reload();
        return;
      }
      failures += 1;
      setNote(true);
      schedule(Math.min(BASE_DELAY * Math.pow(2, failures), MAX_DELAY));
    });
  }

  // Back on the tab after a while: check at once rather than wait for a throttled timer.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !finished && !inFlight && failures === 0) poll();
  });

  schedule(BASE_DELAY);
})();
