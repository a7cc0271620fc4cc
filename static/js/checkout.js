// The checkout form: choosing a saved address hides the new address's fields (and takes them
// out of the form), and every change of the address (a saved one, or the new one's county)
// shows the goods, shipping and total for it in place (/checkout/summary) before the order
// is placed. Without this script the page works as a plain form: the new address's fields
// stay visible and the server prices the order for the address it is sent.
(function () {
  'use strict';
  const form = document.getElementById('checkout-form');
  const summary = document.getElementById('checkout-summary');
  if (!form || !summary) {
    return;
  }
  const fresh = form.querySelector('[data-new-address]');
  const choices = form.querySelectorAll('input[name="address_id"][type="radio"]');
  const county = form.querySelector('[data-region="county"]');
  const barTotal = form.querySelector('[data-checkout-bar-total]');
  let pending = null;

  // The place-order bar shows the summary's total (copied node by node: the server's markup).
  const syncBar = function () {
    const total = document.getElementById('checkout-total');
    if (barTotal && total) {
      barTotal.replaceChildren(...Array.from(total.childNodes, function (node) {
        return node.cloneNode(true);
      }));
    }
  };

  const chosen = function () {
    const checked = form.querySelector('input[name="address_id"]:checked');
    return checked ? checked.value : 'new';
  };

  const refresh = async function () {
    const params = new URLSearchParams();
    const choice = chosen();
    params.set('address_id', choice);
    if (choice === 'new' && county && county.value) {
      params.set('county_code', county.value);
    }
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    summary.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(summary.dataset.summaryUrl + '?' + params.toString(), {
        signal: pending.signal,
        headers: {Accept: 'text/html'},
      });
      if (response.ok) {
        // The server's own rendering of the summary (escaped by its templates).
        summary.innerHTML = await response.text();
        syncBar();
      }
    } catch (err) {
      if (err.name !== 'AbortError') {
        throw err;
      }
    } finally {
      summary.removeAttribute('aria-busy');
    }
  };

  const showFields = function () {
    if (!fresh || choices.length === 0) {
      return;
    }
    const isNew = chosen() === 'new';
    fresh.hidden = !isNew;
    // A disabled fieldset is neither sent nor checked by the browser.
    fresh.disabled = !isNew;
    fresh.querySelectorAll('input[name="name"], input[name="phone"], textarea[name="detail"], select[name="county_code"]').forEach(function (field) {
      field.required = isNew;
    });
  };

  choices.forEach(function (choice) {
    choice.addEventListener('change', function () {
      showFields();
      refresh();
    });
  });
  form.addEventListener('regions:change', function () {
    if (chosen() === 'new') {
      refresh();
    }
  });
  showFields();
})();
