/*
 * push.js — « Me prévenir sur cet appareil » on the pending result page (SPEC §14).
 *
 * The server renders #push (hidden) only when Web Push is on, with the VAPID
 * public key in data-vapid-key. This script shows it where the browser can
 * receive pushes and the student has not blocked notifications. A click asks
 * for the permission (browsers allow the prompt from a user gesture only),
 * registers the service worker /orientation/sw.js, subscribes with the VAPID
 * key and POSTs the subscription to /api/orientation/push. A device that is
 * already subscribed (permission granted earlier) is re-sent silently, so it
 * is bound to the student who is signed in now.
 */
(function () {
  'use strict';

  var box = document.getElementById('push');
  var button = document.getElementById('push-subscribe');
  var status = document.getElementById('push-status');
  if (!box || !button || !status || !window.Api) return;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return;
  if (Notification.permission === 'denied') return;

  var WORKER = '/orientation/sw.js';
  var SCOPE = '/orientation/';
  var key = keyBytes(box.getAttribute('data-vapid-key') || '');
  box.hidden = false;

  function say(text) { status.textContent = text; }

  /** base64url (no padding) → bytes, as pushManager.subscribe wants the key. */
  function keyBytes(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) base64 += '=';
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;
    var bytes = new Uint8Array(current);
    if (bytes.length !== key.length) return false;
    for (var i = 0; i < bytes.length; i++) if (bytes[i] !== key[i]) return false;
    return true;
  }

  /** The browser's subscription for our key: the existing one, or a new one. */
  function subscription(registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      if (existing && sameKey(existing)) return existing;
      // Made with an older VAPID key (the site changed it): useless now.
      var gone = existing ? existing.unsubscribe() : Promise.resolve();
      return gone.then(function () {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      });
    });
  }

  function send(sub) {
    return window.Api.postJSON('/api/orientation/push', sub.toJSON());
  }

  function subscribed() {
    button.hidden = true;
    say('C\u2019est noté : cet appareil recevra une notification dès que votre bilan sera prêt.');
  }

  function refused(error) {
    button.disabled = false;
    if (error && error.permission) {
      say('Notifications non autorisées : vous recevrez tout de même un e-mail.');
    } else {
      say('Impossible d\u2019activer les notifications sur cet appareil. Vous recevrez tout de même un e-mail.');
    }
  }

  button.addEventListener('click', function () {
    button.disabled = true;
    say('');
    // First thing in the click: the permission prompt needs the user's gesture.
    var asked = Notification.requestPermission();
    Promise.resolve(asked).then(function (answer) {
      if (answer !== 'granted') throw { permission: answer };
      return navigator.serviceWorker.register(WORKER, { scope: SCOPE });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(subscription).then(send).then(subscribed, refused);
  });

  // Already allowed on this device: no prompt, just make sure the server knows it.
  if (Notification.permission === 'granted') {
    navigator.serviceWorker.getRegistration(SCOPE).then(function (registration) {
      if (!registration) return null;
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing && sameKey(existing)) return send(existing).then(subscribed);
        return null;
      });
    }).catch(function () { /* the button stays: a click tries again */ });
  }
})();
