/*
 * questionnaire.js — the questionnaire page (/orientation/).
 *
 * 1. Asks GET /api/orientation/eligibility and shows exactly one state:
 *    login, no subscription, already used this year, error, or the form.
 * 2. Enhances the form (which also works as a plain form post without JS):
 *    série shown only for the technological track, at most 3 spécialités,
 *    extra grade rows, character counters.
 * 3. Validates what the server validates (SPEC §5), sends JSON, and shows the
 *    server's answer: 202 → result page; 400 + field → message under the field;
 *    anything else → a banner (role="alert") next to the submit button.
 */
(function () {
  'use strict';

  var Api = window.Api;
  var form = document.getElementById('bilan-form');
  if (!Api || !form) return;

  var MAX_TEXT = 2000;
  var MAX_SPECIALITES = 3;
  var MAX_GRADES = 20;
  var GRADE_KEY = /^[a-z0-9_]{1,30}$/;
  // C0 controls except tab/newline/carriage return, DEL and C1 controls.
  var CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
  var TEXT_FIELDS = [
    ['projetProfessionnel', 'Projet professionnel'],
    ['centresInteret', "Centres d'intérêt"],
    ['pointsForts', 'Points forts'],
    ['difficultes', 'Difficultés'],
    ['commentaire', 'Autre chose à nous dire']
  ];
  var STATES = ['state-login', 'state-no-subscription', 'state-already-used', 'state-not-eligible', 'state-error'];

  function $(id) { return document.getElementById(id); }
  function checkedValues(name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (i) {
      return i.checked && !i.disabled && (i.type === 'checkbox' || i.type === 'radio');
    }).map(function (i) { return i.value; });
  }
  function isVisible(el) { return !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length)); }

  /* ================= eligibility ================= */

  function showState(id) {
    $('state-loading').hidden = true;
    STATES.forEach(function (s) { $(s).hidden = s !== id; });
    if (id) {
      form.classList.add('await-eligibility');
    } else {
      form.classList.remove('await-eligibility');
    }
  }

  function checkEligibility() {
    STATES.forEach(function (s) { $(s).hidden = true; });
    $('state-loading').hidden = false;
    Api.getJSON('/api/orientation/eligibility').then(function (data) {
      data = data || {};
      if (data.eligible === true) {
        showState(null);
        var plan = { MONTHLY: 'mensuel', ANNUAL: 'annuel' }[data.plan];
        if (plan) $('plan-note').textContent = 'Ce bilan est inclus dans votre abonnement ' + plan + '.';
        return;
      }
      if (data.reason === 'NO_SUBSCRIPTION') {
        var meta = document.querySelector('meta[name="subscription-url"]');
        var url = meta && meta.getAttribute('content');
        if (url) $('subscription-link').setAttribute('href', url);
        showState('state-no-subscription');
        return;
      }
      if (data.reason === 'ALREADY_USED') {
        if (data.lastBilanId) {
          $('last-bilan-link').setAttribute('href', '/orientation/resultat/' + encodeURIComponent(data.lastBilanId));
        }
        $('next-eligible-date').textContent = Api.formatDate(data.nextEligibleAt) || 'un an après votre dernier bilan';
        showState('state-already-used');
        return;
      }
      showState('state-not-eligible');
    }).catch(function (err) {
      if (err.status === 401) {
        $('logout-form').hidden = true;
        showState('state-login');
        return;
      }
      $('state-error-message').textContent = err.message;
      showState('state-error');
    });
  }

  $('eligibility-retry').addEventListener('click', function () {
    checkEligibility();
  });

  /* ================= track-dependent fields ================= */

  var filiere = $('filiere');
  var serieField = $('field-serie');
  var groupSpecialites = $('group-specialites');
  var groupOptions = $('group-options');

  /** Hidden groups are also disabled, so they are neither validated nor sent. */
  function setGroupEnabled(group, enabled) {
    group.hidden = !enabled;
    Array.prototype.forEach.call(group.querySelectorAll('input'), function (i) { i.disabled = !enabled; });
  }

  function updateTrack() {
    var f = filiere.value;
    var techno = f === 'TECHNOLOGIQUE';
    serieField.hidden = !techno;
    $('serie').disabled = !techno;
    // Spécialités and these options exist only in the general track.
    var general = f === '' || f === 'GENERALE';
    setGroupEnabled(groupSpecialites, general);
    setGroupEnabled(groupOptions, general);
    updateSpecialites(false);
  }
  filiere.addEventListener('change', updateTrack);

  /* ================= spécialités: 3 at most ================= */

  var liveRegion = $('counter-live');
  function announce(text) {
    liveRegion.textContent = '';
    // A fresh text node after a tick makes screen readers announce repeats too.
    setTimeout(function () { liveRegion.textContent = text; }, 50);
  }

  function updateSpecialites(announceChange) {
    var boxes = groupSpecialites.querySelectorAll('input[name="specialites"]');
    var count = 0;
    Array.prototype.forEach.call(boxes, function (b) { if (b.checked) count++; });
    var full = count >= MAX_SPECIALITES;
    if (!groupSpecialites.hidden) {
      Array.prototype.forEach.call(boxes, function (b) { b.disabled = full && !b.checked; });
    }
    var counter = $('specialites-count');
    counter.textContent = '— ' + count + ' sur ' + MAX_SPECIALITES;
    counter.classList.toggle('is-full', full);
    if (announceChange && full) {
      announce('Vous avez choisi ' + MAX_SPECIALITES + ' spécialités, le maximum. Décochez-en une pour en changer.');
    }
  }
  groupSpecialites.addEventListener('change', function () { updateSpecialites(true); });

  /* ================= character counters ================= */

  function formatCount(n) { return n.toLocaleString('fr-FR'); }

  function setupCounter(textarea) {
    var counter = $(textarea.getAttribute('data-counter'));
    if (!counter) return;
    var label = form.querySelector('label[for="' + textarea.id + '"]');
    var name = label ? label.firstChild.textContent.trim() : textarea.id;
    var lastBand = null;
    function update() {
      var n = textarea.value.length;
      var left = MAX_TEXT - n;
      counter.textContent = formatCount(n) + ' / ' + formatCount(MAX_TEXT) + ' caractères';
      counter.classList.toggle('is-near', left <= 200 && left >= 0);
      counter.classList.toggle('is-over', left < 0);
      // Announce only when crossing a threshold, not on every keystroke.
      var band = left <= 0 ? 0 : left <= 50 ? 50 : left <= 200 ? 200 : null;
      if (band !== lastBand && band !== null && document.activeElement === textarea) {
        announce(band === 0
          ? name + ' : limite de ' + formatCount(MAX_TEXT) + ' caractères atteinte.'
          : name + ' : plus que ' + left + ' caractères.');
      }
      lastBand = band;
    }
    textarea.addEventListener('input', update);
    update();
  }
  Array.prototype.forEach.call(form.querySelectorAll('textarea[data-counter]'), setupCounter);

  /* ================= extra grade rows ================= */

  var grades = $('grades');
  var newSubject = $('new-subject');
  var addSubjectBtn = $('add-subject');

  /** "Sciences de l'ingénieur" → "sciences_de_l_ingenieur" (the server's key syntax). */
  function gradeKey(name) {
    return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae')
      .replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
      .slice(0, 30).replace(/_+$/, '');
  }

  function gradeRows() { return grades.querySelectorAll('.grade'); }

  function updateAddSubject() {
    var full = gradeRows().length >= MAX_GRADES;
    addSubjectBtn.disabled = full;
    newSubject.disabled = full;
  }

  function addSubject() {
    var err = $('err-new-subject');
    err.textContent = '';
    newSubject.removeAttribute('aria-invalid');
    var label = newSubject.value.trim().replace(/\s+/g, ' ');
    var key = gradeKey(label);
    var message = null;
    if (!label) message = 'Indiquez le nom de la matière à ajouter.';
    else if (!GRADE_KEY.test(key)) message = 'Utilisez des lettres ou des chiffres pour le nom de la matière.';
    else if (gradeRows().length >= MAX_GRADES) message = MAX_GRADES + ' matières au maximum.';
    else if ($('moyennes.' + key)) message = 'Cette matière est déjà dans la liste.';
    if (message) {
      err.textContent = message;
      newSubject.setAttribute('aria-invalid', 'true');
      newSubject.focus();
      return;
    }
    var name = 'moyennes.' + key;
    var row = document.createElement('div');
    row.className = 'grade';
    row.setAttribute('data-grade-key', key);
    row.setAttribute('data-custom', '');
    var lab = document.createElement('label');
    lab.setAttribute('for', name);
    lab.textContent = label;
    var input = document.createElement('input');
    input.type = 'number';
    input.id = name;
    input.name = name;
    input.min = '0';
    input.max = '20';
    input.step = '0.01';
    input.setAttribute('inputmode', 'decimal');
    input.setAttribute('aria-describedby', 'err-' + name);
    var unit = document.createElement('span');
    unit.className = 'grade__unit';
    unit.setAttribute('aria-hidden', 'true');
    unit.textContent = '/ 20';
    var remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'btn-link grade__remove';
    remove.textContent = 'Retirer';
    remove.setAttribute('aria-label', 'Retirer la matière ' + label);
    remove.addEventListener('click', function () {
      row.parentNode.removeChild(row);
      updateAddSubject();
      announce('Matière ' + label + ' retirée.');
      newSubject.focus();
    });
    var error = document.createElement('p');
    error.className = 'field-error';
    error.id = 'err-' + name;
    row.appendChild(lab);
    row.appendChild(input);
    row.appendChild(unit);
    row.appendChild(remove);
    row.appendChild(error);
    grades.appendChild(row);
    newSubject.value = '';
    updateAddSubject();
    input.focus();
  }

  addSubjectBtn.addEventListener('click', addSubject);
  newSubject.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); addSubject(); }
  });

  /* ================= reading the form ================= */

  function textValue(id) {
    var el = $(id);
    // Tabs become spaces: the server refuses control characters.
    return el && !el.disabled ? el.value.replace(/\t/g, ' ').trim() : '';
  }

  function gradeInputs() {
    return Array.prototype.filter.call(form.querySelectorAll('input[name^="moyennes."]'), function (i) { return !i.disabled; });
  }

  function gradeNumber(input) {
    if (input.value === '') return null;
    var n = input.valueAsNumber;
    if (isNaN(n)) n = parseFloat(String(input.value).replace(',', '.'));
    return n;
  }

  function otherSubjects() {
    return $('matieresPreferees-autres').value.split(/[,;\n]/)
      .map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  function buildPayload() {
    var p = {};
    ['niveau', 'filiere'].forEach(function (k) { var v = $(k).value; if (v) p[k] = v; });
    if (p.filiere === 'TECHNOLOGIQUE' && $('serie').value) p.serie = $('serie').value;

    ['specialites', 'options', 'typesEtudes'].forEach(function (k) {
      var v = checkedValues(k);
      if (v.length) p[k] = v;
    });

    var moyennes = {};
    var any = false;
    gradeInputs().forEach(function (input) {
      var n = gradeNumber(input);
      if (n === null || isNaN(n)) return;
      moyennes[input.name.slice('moyennes.'.length)] = n;
      any = true;
    });
    if (any) p.moyennes = moyennes;

    var seen = {};
    var matieres = checkedValues('matieresPreferees').concat(otherSubjects()).filter(function (m) {
      var k = m.toLocaleLowerCase('fr-FR');
      if (seen[k]) return false;
      seen[k] = true;
      return true;
    });
    if (matieres.length) p.matieresPreferees = matieres;

    TEXT_FIELDS.forEach(function (f) {
      var v = textValue(f[0]);
      if (v) p[f[0]] = v;
    });

    ['dureeEtudes', 'mobilite'].forEach(function (k) {
      var v = checkedValues(k);
      if (v.length) p[k] = v[0];
    });
    if ($('departement').value) p.departement = $('departement').value;
    p.alternance = $('alternance').checked;
    return p;
  }

  /* ================= validation (mirrors SPEC §5) ================= */

  function validate() {
    var errors = [];
    function add(field, message) { errors.push({ field: field, message: message }); }

    if (!$('niveau').value) add('niveau', 'Choisissez votre niveau.');
    if (!$('filiere').value) add('filiere', 'Choisissez votre voie : générale, technologique ou professionnelle.');
    if (checkedValues('specialites').length > MAX_SPECIALITES) {
      add('specialites', 'Choisissez ' + MAX_SPECIALITES + ' spécialités au maximum.');
    }

    gradeInputs().forEach(function (input) {
      var bad = input.validity && input.validity.badInput;
      var n = gradeNumber(input);
      if (bad || (n !== null && (isNaN(n) || n < 0 || n > 20))) {
        add(input.name, 'Saisissez une note entre 0 et 20 (par exemple 12,5).');
      }
    });
    if (gradeInputs().filter(function (i) { return i.value !== ''; }).length > MAX_GRADES) {
      add('moyennes', MAX_GRADES + ' moyennes au maximum.');
    }

    if (!textValue('projetProfessionnel') && !textValue('centresInteret')) {
      add('projetProfessionnel', "Décrivez votre projet professionnel ou vos centres d'intérêt (au moins l'un des deux), même en quelques mots.");
    }
    TEXT_FIELDS.forEach(function (f) {
      var v = $(f[0]).value;
      if (v.length > MAX_TEXT) {
        add(f[0], formatCount(MAX_TEXT) + ' caractères au maximum (actuellement ' + formatCount(v.length) + ').');
      } else if (CONTROL_CHARS.test(v)) {
        add(f[0], 'Ce texte contient des caractères invisibles non autorisés. Retapez-le ou collez-le sans mise en forme.');
      }
    });
    var autres = $('matieresPreferees-autres').value;
    if (CONTROL_CHARS.test(autres)) add('matieresPreferees', 'Ce texte contient des caractères non autorisés.');
    return errors;
  }

  /* ================= showing errors ================= */

  var formErrors = $('form-errors');
  var submitError = $('submit-error');

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll('.field-error'), function (e) { e.textContent = ''; });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (e) { e.removeAttribute('aria-invalid'); });
    Array.prototype.forEach.call(form.querySelectorAll('.group.has-error'), function (g) { g.classList.remove('has-error'); });
    formErrors.textContent = '';
    submitError.textContent = '';
  }

  /** The control to focus for a field name of the server ("niveau", "specialites", "moyennes.svt"…). */
  function controlFor(field) {
    var el = $(field);
    if (el && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && !el.disabled) return el;
    var byName = Array.prototype.filter.call(form.querySelectorAll('[name]'), function (i) {
      return i.name === field && !i.disabled;
    })[0];
    if (byName) return byName;
    var group = form.querySelector('[data-field="' + field.split('.')[0] + '"]');
    if (group) return group.querySelector('input:not([disabled]), select:not([disabled]), textarea:not([disabled])');
    return null;
  }

  /** Puts `message` under the field; returns the control to focus, or null if the field is not on the page. */
  function showFieldError(field, message) {
    var errEl = $('err-' + field);
    if (!errEl && field.indexOf('.') > 0) errEl = $('err-' + field.split('.')[0]);
    if (!errEl || !isVisible(errEl.parentNode)) return null;
    errEl.textContent = message;
    var control = controlFor(field);
    var group = errEl.closest('fieldset.group');
    if (group && !/^moyennes\./.test(field)) group.classList.add('has-error');
    if (control) {
      if (control.type !== 'checkbox' && control.type !== 'radio') control.setAttribute('aria-invalid', 'true');
      if (control.getAttribute('aria-describedby') === null) control.setAttribute('aria-describedby', errEl.id);
    }
    return control || errEl;
  }

  function focusField(el) {
    if (!el) return;
    if (!el.hasAttribute('tabindex') && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(el.tagName)) {
      el.setAttribute('tabindex', '-1');
    }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  function notice(kind, parts) {
    var box = document.createElement('div');
    box.className = 'notice notice--' + kind;
    var body = document.createElement('div');
    parts.forEach(function (p) { body.appendChild(p); });
    box.appendChild(body);
    return box;
  }

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function showValidationErrors(errors) {
    var first = null;
    var list = el('ul');
    errors.forEach(function (e) {
      var target = showFieldError(e.field, e.message);
      if (!first) first = target;
      var li = el('li');
      var link = el('a', e.message, { href: '#' + (target && target.id ? target.id : 'bilan-form') });
      link.addEventListener('click', function (ev) { ev.preventDefault(); focusField(target); });
      li.appendChild(link);
      list.appendChild(li);
    });
    var title = el('p');
    title.appendChild(el('strong', errors.length === 1
      ? 'Une réponse est à corriger avant d\'envoyer le questionnaire :'
      : errors.length + ' réponses sont à corriger avant d\'envoyer le questionnaire :'));
    formErrors.appendChild(notice('error', [title, list]));
    focusField(first);
  }

  function showBanner(message, link) {
    var parts = [el('p', message)];
    if (link) {
      var p = el('p');
      p.appendChild(el('a', link.text, link.attrs));
      parts.push(p);
    }
    submitError.textContent = '';
    submitError.appendChild(notice('error', parts));
  }

  function handleSubmitError(err) {
    if (err.status === 400 && err.field) {
      var target = showFieldError(err.field, err.message);
      if (target) { focusField(target); return; }
    }
    if (err.status === 401) {
      showBanner('Votre session a expiré. Connectez-vous dans un nouvel onglet, puis revenez ici pour envoyer vos réponses : elles restent sur cette page.', {
        text: 'Se connecter (nouvel onglet)',
        attrs: { href: '/auth/login.html?returnTo=/orientation/', target: '_blank', rel: 'noopener' }
      });
      return;
    }
    if (err.status === 403 && err.code === 'not_eligible') {
      showBanner(err.message, { text: 'Voir mes bilans', attrs: { href: '/orientation/historique' } });
      return;
    }
    showBanner(err.message);
  }

  /* ================= submission ================= */

  var submitBtn = $('submit');
  var submitting = false;

  function setSubmitting(on, label) {
    submitting = on;
    submitBtn.disabled = on;
    $('submit-spinner').hidden = !on;
    $('submit-label').textContent = label || (on ? 'Envoi en cours…' : 'Lancer mon bilan');
    if (on) form.setAttribute('aria-busy', 'true'); else form.removeAttribute('aria-busy');
  }

  // The browser's own bubbles would be in the browser's language and one at a time.
  form.noValidate = true;

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (submitting) return;
    clearErrors();
    var errors = validate();
    if (errors.length) {
      showValidationErrors(errors);
      return;
    }
    setSubmitting(true);
    Api.postJSON('/api/orientation/create', buildPayload(), { timeout: 30000 }).then(function (r) {
      var data = r.data || {};
      var fallback = data.bilanId ? '/orientation/resultat/' + encodeURIComponent(data.bilanId) : '/orientation/historique';
      setSubmitting(true, 'Bilan lancé, un instant…');
      window.location.assign(Api.safePath(data.resultUrl, fallback));
    }).catch(function (err) {
      setSubmitting(false);
      handleSubmitError(err);
    });
  });

  // Coming back with the Back button from the result page: the form is usable again.
  window.addEventListener('pageshow', function (e) {
    if (e.persisted) setSubmitting(false);
  });

  /* ================= start ================= */

  updateTrack();
  updateAddSubject();
  checkEligibility();
})();
