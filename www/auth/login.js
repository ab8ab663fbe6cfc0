/*
 * login.js — /auth/login.html. Without JavaScript the form posts to
 * /auth/login and the server answers 303 to /auth/check-inbox.html; with it,
 * the same form-encoded request is sent by fetch and the confirmation is shown
 * in place. The return URL comes from ?returnTo= (same-site paths only).
 */
(function () {
  'use strict';

  var Api = window.Api;
  var form = document.getElementById('login-form');
  if (!Api || !form) return;

  function $(id) { return document.getElementById(id); }

  var params = new URLSearchParams(window.location.search);
  var returnTo = Api.safePath(params.get('returnTo'), '/orientation/');
  $('returnTo').value = returnTo;

  var email = $('email');
  var errEmail = $('err-email');
  var message = $('login-message');
  var submit = $('login-submit');
  var busy = false;

  function banner(kind, text) {
    message.textContent = '';
    if (!text) return;
    var box = document.createElement('div');
    box.className = 'notice notice--' + kind;
    var p = document.createElement('p');
    p.textContent = text;
    box.appendChild(p);
    message.appendChild(box);
  }

  // A magic link that failed sends people back here with ?error=…
  if (params.get('error')) {
    banner('warn', params.get('error') === 'expired' || params.get('error') === 'invalid' || params.get('error') === 'used'
      ? "Ce lien de connexion n'est plus valable : il expire après 15 minutes et ne sert qu'une fois. Demandez-en un nouveau ci-dessous."
      : "La connexion n'a pas abouti. Demandez un nouveau lien ci-dessous.");
  }
  if (params.get('email')) email.value = params.get('email');

  function fieldError(text) {
    errEmail.textContent = text || '';
    if (text) email.setAttribute('aria-invalid', 'true'); else email.removeAttribute('aria-invalid');
  }

  function setBusy(on) {
    busy = on;
    submit.disabled = on;
    $('login-spinner').hidden = !on;
    $('login-submit-label').textContent = on ? 'Envoi en cours…' : 'Recevoir mon lien de connexion';
  }

  form.noValidate = true;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (busy) return;
    banner('error', '');
    var value = email.value.trim();
    if (!value) {
      fieldError('Indiquez votre adresse e-mail.');
      email.focus();
      return;
    }
    if (!email.validity.valid || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      fieldError('Cette adresse e-mail ne semble pas valide (exemple : prenom.nom@exemple.fr).');
      email.focus();
      return;
    }
    fieldError('');
    setBusy(true);
    Api.postForm('/auth/login', { email: value, returnTo: returnTo }).then(function () {
      setBusy(false);
      $('sent-email').textContent = value;
      $('login-card').hidden = true;
      $('login-sent').hidden = false;
      $('login-sent-title').focus();
    }).catch(function (err) {
      setBusy(false);
      if (err.status === 400 && (err.field === 'email' || !err.field)) {
        fieldError(err.message);
        email.focus();
        return;
      }
      banner('error', err.message);
      message.firstChild.setAttribute('tabindex', '-1');
      message.firstChild.focus();
    });
  });

  $('login-again').addEventListener('click', function () {
    $('login-sent').hidden = true;
    $('login-card').hidden = false;
    email.select();
    email.focus();
  });
})();
