/*
 * historique.js — /orientation/historique.html: the user's bilans from
 * GET /api/orientation/bilans ({"bilans":[{id,status,createdAt,updatedAt,
 * completedAt,progress:{step,total,label}}]}, newest first), built with DOM
 * calls only (no HTML strings), so nothing from the server is parsed as HTML.
 */
(function () {
  'use strict';

  var Api = window.Api;
  var list = document.getElementById('bilan-list');
  if (!Api || !list) return;

  var PANELS = ['history-loading', 'history-login', 'history-empty', 'history-error', 'bilan-list'];
  var STATUS = {
    PENDING: { label: 'En cours', badge: 'badge--pending' },
    COMPLETED: { label: 'Terminé', badge: 'badge--completed' },
    FAILED: { label: 'Échec', badge: 'badge--failed' }
  };

  function $(id) { return document.getElementById(id); }
  function show(id) { PANELS.forEach(function (p) { $(p).hidden = p !== id; }); }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text) e.textContent = text;
    return e;
  }

  function item(bilan) {
    var status = STATUS[bilan.status] || { label: bilan.status || '—', badge: '' };
    var created = Api.formatDate(bilan.createdAt);
    var li = el('li', 'card bilan-item');
    li.setAttribute('data-bilan-id', bilan.id);
    li.setAttribute('data-status', bilan.status || '');

    li.appendChild(el('h2', null, created ? 'Bilan du ' + created : 'Bilan d\'orientation'));
    li.appendChild(el('span', 'badge ' + status.badge, status.label));
    // The profile in the labels file's words (templates/labels.txt), from the server.
    if (bilan.profil) li.appendChild(el('p', 'profile', bilan.profil));

    var meta;
    if (bilan.status === 'COMPLETED') {
      meta = 'Terminé le ' + Api.formatDateTime(bilan.completedAt || bilan.updatedAt);
    } else if (bilan.status === 'PENDING') {
      meta = (bilan.progress && bilan.progress.label) || 'Rédaction en cours';
    } else if (bilan.status === 'FAILED') {
      meta = 'La rédaction n\'a pas abouti. Ce bilan ne compte pas : vous pouvez en demander un nouveau.';
    } else {
      meta = 'Demandé le ' + Api.formatDateTime(bilan.createdAt);
    }
    li.appendChild(el('p', 'bilan-item__meta', meta));

    if (bilan.status === 'PENDING') {
      var bar = el('div', 'mini-progress');
      bar.setAttribute('aria-hidden', 'true');
      bar.setAttribute('data-step', String((bilan.progress && bilan.progress.step) || 0));
      bar.appendChild(el('span'));
      li.appendChild(bar);
    }

    var link = el('a', 'btn btn-small ' + (bilan.status === 'COMPLETED' ? 'btn-primary' : 'btn-ghost') + ' bilan-item__action');
    link.href = '/orientation/resultat/' + encodeURIComponent(bilan.id);
    link.appendChild(document.createTextNode(bilan.status === 'PENDING' ? 'Suivre l\'avancement' : 'Voir le bilan'));
    if (created) link.appendChild(el('span', 'sr-only', ' du ' + created));
    li.appendChild(link);
    return li;
  }

  function load() {
    show('history-loading');
    Api.getJSON('/api/orientation/bilans').then(function (data) {
      var bilans = (data && Array.isArray(data.bilans)) ? data.bilans : [];
      if (!bilans.length) { show('history-empty'); return; }
      list.textContent = '';
      bilans.forEach(function (b) { if (b && b.id) list.appendChild(item(b)); });
      show('bilan-list');
    }).catch(function (err) {
      if (err.status === 401) {
        $('logout-form').hidden = true;
        show('history-login');
        return;
      }
      $('history-error-message').textContent = err.message;
      show('history-error');
    });
  }

  $('history-retry').addEventListener('click', load);
  load();
})();
