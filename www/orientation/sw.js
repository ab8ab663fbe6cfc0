/*
 * sw.js — the service worker of /orientation/ (SPEC §14).
 *
 * `push`: the generator's message (RFC 8291, decrypted by the browser) is
 * JSON {title, body, url, tag, status}; it is shown as a notification.
 * `notificationclick`: opens the result page (focuses it when a tab already
 * shows it). Only this site's pages are ever opened.
 */
'use strict';

var FALLBACK_URL = '/orientation/';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

function sameSite(url) {
  try {
    return new URL(url, self.location.origin).origin === self.location.origin;
  } catch (error) {
    return false;
  }
}

self.addEventListener('push', function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : '' };
  }
  var url = typeof data.url === 'string' && sameSite(data.url) ? data.url : FALLBACK_URL;
  event.waitUntil(self.registration.showNotification(data.title || 'Bilan d\u2019orientation', {
    body: data.body || '',
    tag: data.tag || 'bilan',
    lang: 'fr',
    data: { url: url, status: data.status || '' }
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || FALLBACK_URL, self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === target && 'focus' in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(target);
  }));
});
